"""``mcp-sync inspect TARGET``: what a server is and offers."""

from __future__ import annotations

import argparse
import sys
import textwrap
from typing import TYPE_CHECKING, Any, Mapping

from .common import (
    DEFAULT_TIMEOUT,
    EXIT_OK,
    dumps,
    open_client,
    parse_env,
    parse_headers,
    pretty,
    resolve_target,
    say,
)

if TYPE_CHECKING:
    from ..client import Client

HELP = "show a server's info, capabilities, tools, resources and prompts"

DESCRIPTION = """\
Connect to a server and print what it offers: its name and version, the
protocol version, its instructions and capabilities, every tool with its input
(and output) schema, resources, resource templates and prompts.

TARGET is a URL (Streamable HTTP), a Python FILE[:OBJECT] (served with
`mcp-sync run` over stdio), or a command after `--`.

examples:
  mcp-sync inspect http://127.0.0.1:8000/mcp
  mcp-sync inspect examples/quickstart_server.py
  mcp-sync inspect --json -- python examples/everything_server.py --stdio
"""


def add_target_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-H", "--header", action="append", default=[], metavar="'NAME: VALUE'",
                        help="an HTTP header for a URL target (repeatable)")
    parser.add_argument("-e", "--env", action="append", default=[], metavar="NAME=VALUE",
                        help="an environment variable for a command target (repeatable)")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="show the server's stderr (a command target) as it runs")


def add_parser(subparsers: Any, epilog: str) -> None:
    parser = subparsers.add_parser(
        "inspect", help=HELP, description=DESCRIPTION, epilog=epilog, allow_abbrev=False,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        usage="%(prog)s [options] (URL | FILE[:OBJECT] | -- COMMAND [ARG ...])")
    parser.add_argument("target", nargs="?", metavar="URL | FILE[:OBJECT]", help="the server")
    parser.add_argument("--json", action="store_true", help="print one JSON document instead of text")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, metavar="SECONDS",
                        help=f"for connecting and for each listing (default: {DEFAULT_TIMEOUT:g})")
    add_target_options(parser)
    parser.set_defaults(handler=inspect_command)


def inspect_command(args: argparse.Namespace) -> int:
    target = resolve_target(args.target, args.command)
    headers = parse_headers(args.header)
    env = parse_env(args.env)
    with open_client(target, headers=headers, env=env, timeout=args.timeout,
                     server_stderr=sys.stderr if args.verbose else None) as client:
        report = collect(client)
    if args.json:
        say(dumps(report))
    else:
        say(render(report))
    return EXIT_OK


def collect(client: "Client") -> dict[str, Any]:
    """Everything ``inspect`` shows, in wire form (camelCase keys, as the server sent them)."""
    from ..types import to_wire

    capabilities = to_wire(client.server_capabilities)
    report: dict[str, Any] = {
        "serverInfo": to_wire(client.server_info),
        "protocolVersion": client.protocol_version,
        "instructions": client.instructions,
        "capabilities": capabilities,
        "tools": [],
        "resources": [],
        "resourceTemplates": [],
        "prompts": [],
    }
    if "tools" in capabilities:
        report["tools"] = [to_wire(tool) for tool in client.list_tools()]
    if "resources" in capabilities:
        report["resources"] = [to_wire(r) for r in client.list_resources()]
        report["resourceTemplates"] = [to_wire(t) for t in client.list_resource_templates()]
    if "prompts" in capabilities:
        report["prompts"] = [to_wire(p) for p in client.list_prompts()]
    return report


# -- text rendering ---------------------------------------------------------------

_INDENT = "  "


def _indent(text: str, level: int) -> str:
    return textwrap.indent(text, _INDENT * level)


def _wrap(text: str, level: int) -> str:
    width = 100 - len(_INDENT) * level
    lines = []
    for paragraph in text.strip().splitlines():
        lines.extend(textwrap.wrap(paragraph, width) or [""])
    return _indent("\n".join(lines), level)


def _capability_summary(capabilities: Mapping[str, Any]) -> list[str]:
    lines = []
    for name, value in capabilities.items():
        if isinstance(value, Mapping) and value:
            flags = ", ".join(f"{k}" if v is True else f"{k}={dumps(v, indent=None)}" for k, v in value.items())
            lines.append(f"{name} ({flags})")
        else:
            lines.append(name)
    return lines


def _signature(schema: Any) -> str:
    if not isinstance(schema, Mapping):
        return "(...)"
    properties = schema.get("properties")
    if not isinstance(properties, Mapping):
        return "()"
    required = set(schema.get("required") or [])
    parts = []
    for name, prop in properties.items():
        kind = prop.get("type") if isinstance(prop, Mapping) else None
        if isinstance(kind, list):
            kind = " | ".join(map(str, kind))
        text = f"{name}{'' if name in required else '?'}"
        if kind:
            text += f": {kind}"
        parts.append(text)
    return f"({', '.join(parts)})"


def _hints(annotations: Any) -> str:
    if not isinstance(annotations, Mapping):
        return ""
    names = {"readOnlyHint": "read-only", "destructiveHint": "destructive", "idempotentHint": "idempotent",
             "openWorldHint": "open-world"}
    tags = [label for key, label in names.items() if annotations.get(key) is True]
    return f"  [{', '.join(tags)}]" if tags else ""


def _title(item: Mapping[str, Any]) -> str:
    title = item.get("title")
    return f"  \"{title}\"" if isinstance(title, str) and title and title != item.get("name") else ""


def render(report: Mapping[str, Any]) -> str:
    """The report as text for people."""
    out: list[str] = []
    info = report.get("serverInfo") or {}
    name = info.get("name", "?")
    out.append(f"Server: {name} {info.get('version', '')}".rstrip() + _title(info))
    if info.get("description"):
        out.append(_wrap(str(info["description"]), 1))
    if info.get("websiteUrl"):
        out.append(f"Website: {info['websiteUrl']}")
    out.append(f"Protocol: {report.get('protocolVersion')}")
    capabilities = report.get("capabilities") or {}
    out.append("Capabilities: " + (", ".join(_capability_summary(capabilities)) or "(none)"))
    instructions = report.get("instructions")
    if instructions:
        out.append("Instructions:")
        out.append(_wrap(str(instructions), 1))

    out.append("")
    tools = report.get("tools") or []
    if "tools" not in capabilities:
        out.append("Tools: (not offered)")
    else:
        out.append(f"Tools ({len(tools)}):")
    for tool in tools:
        out.append(_indent(f"{tool.get('name')}{_signature(tool.get('inputSchema'))}{_title(tool)}"
                           f"{_hints(tool.get('annotations'))}", 1))
        if tool.get("description"):
            out.append(_wrap(str(tool["description"]), 2))
        out.append(_indent("input schema:", 2))
        out.append(_indent(pretty(tool.get("inputSchema"), width=94), 3))
        if tool.get("outputSchema") is not None:
            out.append(_indent("output schema:", 2))
            out.append(_indent(pretty(tool.get("outputSchema"), width=94), 3))

    out.append("")
    resources = report.get("resources") or []
    templates = report.get("resourceTemplates") or []
    if "resources" not in capabilities:
        out.append("Resources: (not offered)")
    else:
        out.append(f"Resources ({len(resources)}):")
        for resource in resources:
            out.append(_indent(_resource_line(resource, "uri"), 1))
            if resource.get("description"):
                out.append(_wrap(str(resource["description"]), 2))
        out.append(f"Resource templates ({len(templates)}):")
        for template in templates:
            out.append(_indent(_resource_line(template, "uriTemplate"), 1))
            if template.get("description"):
                out.append(_wrap(str(template["description"]), 2))

    out.append("")
    prompts = report.get("prompts") or []
    if "prompts" not in capabilities:
        out.append("Prompts: (not offered)")
    else:
        out.append(f"Prompts ({len(prompts)}):")
    for prompt in prompts:
        arguments = [a for a in prompt.get("arguments") or [] if isinstance(a, Mapping)]
        names = ", ".join(f"{a.get('name')}{'' if a.get('required') else '?'}" for a in arguments)
        out.append(_indent(f"{prompt.get('name')}({names}){_title(prompt)}", 1))
        if prompt.get("description"):
            out.append(_wrap(str(prompt["description"]), 2))
        for argument in arguments:
            if argument.get("description"):
                out.append(_indent(f"{argument.get('name')}: {argument['description']}", 2))
    return "\n".join(out)


def _resource_line(item: Mapping[str, Any], key: str) -> str:
    line = f"{item.get(key)}"
    details = [str(item[k]) for k in ("name", "mimeType") if isinstance(item.get(k), str)]
    if details:
        line += f"  ({', '.join(details)})"
    return line + _title(item)
