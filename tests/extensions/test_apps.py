"""MCP Apps (io.modelcontextprotocol/ui): the example server's app, in both eras, over stdio and HTTP."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from mcp_sync import Client, Context, Server
from mcp_sync.apps import (APP_MIME_TYPE, APPS_CLIENT_EXTENSION, EXTENSION_ID, Apps, client_supports_apps,
                           read_app, tool_ui)
from mcp_sync.protocol.era import EraCache

ROOT = Path(__file__).resolve().parents[2]
APPS_SERVER = ROOT / "examples" / "apps_server.py"


@pytest.mark.parametrize("transport", ["stdio", "http"])
@pytest.mark.parametrize("era", ["legacy", "modern"])
def test_example_app(era, transport):
    stop = None
    options = dict(protocol=era, era_cache=EraCache(), extensions=APPS_CLIENT_EXTENSION)
    if transport == "stdio":
        client = Client.stdio([sys.executable, str(APPS_SERVER)], stderr=None, **options)
    else:
        spec = importlib.util.spec_from_file_location("apps_server_example", APPS_SERVER)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        handle = module.server.start_http(port=0)

        def stop() -> None:
            handle.stop()
            module.server.close()
        client = Client.http(handle.url, **options)
    try:
        with client:
            assert client.server_extension(EXTENSION_ID) == {}
            tool = next(t for t in client.list_tools() if t.name == "roll_dice")
            ui = tool_ui(tool)
            assert ui is not None and ui.resource_uri == "ui://dice/app.html"
            assert ui.model_visible and ui.app_visible
            assert tool.meta["ui/resourceUri"] == "ui://dice/app.html"
            listed = {r.uri: r for r in client.list_resources()}
            assert listed["ui://dice/app.html"].mime_type == APP_MIME_TYPE
            app = read_app(client, tool)
            assert app.html.startswith("<!doctype html>") and app.ui == {"prefersBorder": True}
            result = client.call_tool("roll_dice", {"count": 3})
            assert len(result.structured_content["faces"]) == 3
    finally:
        if stop is not None:
            stop()


@pytest.mark.parametrize("era", ["legacy", "modern"])
def test_tools_know_whether_the_client_shows_apps(era):
    server = Server("apps-check")
    apps = Apps()
    apps.add_html_resource("ui://check/app.html", lambda: "<p>hi</p>",
                           csp={"connectDomains": ["https://api.example.com"]}, permissions={"clipboardWrite": {}})

    @apps.tool(resource_uri="ui://check/app.html", visibility=["app"])
    def shows(ctx: Context) -> bool:  # registered once the extension is added
        """Whether this client renders apps."""
        return client_supports_apps(ctx)

    server.add_extension(apps)
    with Client.connect(server, protocol=era, era_cache=EraCache(), extensions=APPS_CLIENT_EXTENSION) as client:
        tool = client.list_tools()[0]
        assert tool_ui(tool).visibility == ("app",) and not tool_ui(tool).model_visible
        assert client.call_tool("shows").structured_content == {"result": True}
        app = read_app(client, "ui://check/app.html")
        assert app.ui == {"csp": {"connectDomains": ["https://api.example.com"]},
                          "permissions": {"clipboardWrite": {}}}
    with Client.connect(server, protocol=era, era_cache=EraCache()) as client:
        assert client.call_tool("shows").structured_content == {"result": False}
    server.close()


def test_bad_app_input_is_refused():
    apps = Apps()
    with pytest.raises(ValueError, match="ui://"):
        apps.add_html_resource("https://example.com/app.html", "<p></p>")
    with pytest.raises(ValueError, match="ui://"):
        apps.tool(resource_uri="file:///app.html")
    with pytest.raises(ValueError, match="visibility"):
        apps.tool(resource_uri="ui://x/app.html", visibility=["everyone"])
    with pytest.raises(ValueError, match="csp"):
        apps.add_html_resource("ui://x/app.html", "<p></p>", csp={"scriptDomains": []})
    assert tool_ui({"name": "t", "_meta": {"ui": {"resourceUri": "https://evil"}}}) is None
    assert tool_ui({"name": "t"}) is None
