"""Sphinx configuration for the mcp_sync documentation site.

Build it with ``python -m sphinx -W --keep-going -b html docs docs/_build/html``
(``make docs``); ``tests/docs/test_sphinx_build.py`` runs the same build with
warnings as errors. Only the built-in alabaster theme is used and nothing is
downloaded at build time.
"""

from __future__ import annotations

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The checkout's package, not whatever mcp_sync happens to be installed.
sys.path.insert(0, ROOT)

import mcp_sync  # noqa: E402

project = "mcp_sync"
author = "the mcp_sync developers"
copyright = "the mcp_sync developers"
release = mcp_sync.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.viewcode",
]

root_doc = "index"
# notes-2026.md is research notes for integrators (Markdown, not part of the site).
exclude_patterns = ["_build", "notes-2026.md"]
source_suffix = {".rst": "restructuredtext"}
# Literal blocks (``::``) are shell commands and output, not Python: only
# ``.. code-block:: python`` is Python (and every such block is run by the tests).
highlight_language = "text"

# Autodoc: members in source order, signatures with their type hints.
autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autoclass_content = "both"
nitpicky = False

html_theme = "alabaster"
html_title = f"mcp_sync {release}"
html_theme_options = {
    "description": "A synchronous, thread-based Python SDK for the Model Context Protocol",
    "fixed_sidebar": True,
    "show_powered_by": False,
}
html_static_path: list[str] = []
html_show_sourcelink = False
pygments_style = "sphinx"
