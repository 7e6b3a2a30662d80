"""The ordinary pages of the site."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render


def index(request):
    return render(request, "index.html", {"mcp_url": request.build_absolute_uri("/mcp")})


@login_required
def note(request):
    """A form behind CSRF protection like any other view (POST needs the token)."""
    if request.method == "POST":
        return HttpResponse(f"noted: {request.POST.get('text', '')}")
    return render(request, "note.html")
