"""``mcp-sync inspect``: text and JSON, over stdio (a FILE or a command) and HTTP; connection errors."""

from __future__ import annotations

import json
import socket
import sys

import pytest

from tests.cli.conftest import FIXTURE, FIXTURE_COMMAND, run_cli

TOOLS = ["echo", "add", "types_of", "picture", "steps", "slow", "fail", "protocol_error", "crash"]


@pytest.fixture(params=["file", "command", "http"])
def target(request):
    """The fixture server as each kind of TARGET (as the argument list to append)."""
    if request.param == "file":
        return [FIXTURE]
    if request.param == "command":
        return ["--", *FIXTURE_COMMAND]
    return [request.getfixturevalue("http_url")]


def _args(target: list[str], *options: str) -> list[str]:
    """Options before the target (a command after `--` must come last)."""
    return ["inspect", *options, *target]


def test_inspect_text(cli, target):
    result = cli(*_args(target))
    assert result.code == 0, result.err
    out = result.out
    assert out.startswith('Server: cli-fixture 2.5  "CLI fixture"\n')
    assert "Protocol: 2025-11-25" in out
    assert "Capabilities: " in out and "tools (listChanged)" in out and "resources (subscribe, listChanged)" in out
    assert "Instructions:\n  A server for the CLI tests." in out
    assert f"Tools ({len(TOOLS)}):" in out
    assert "  echo(text: string)\n    Return the text.\n    input schema:\n" in out
    assert ('      {\n        "type": "object",\n        "properties": {"text": {"type": "string"}},\n'
            '        "required": ["text"],\n        "additionalProperties": false\n      }\n') in out
    assert "  picture()  [read-only]" in out
    assert "output schema:" in out
    assert "Resources (1):\n  fixture://readme  (readme, text/plain)\n    The readme." in out
    assert "Resource templates (1):\n  fixture://items/{item}  (item)" in out
    assert "Prompts (1):\n  ask(question, tone?)\n    Ask a question." in out
    assert result.err == ""


def test_inspect_json(cli, target):
    result = cli(*_args(target, "--json"))
    assert result.code == 0, result.err
    report = json.loads(result.out)  # exactly one JSON document
    assert set(report) == {"serverInfo", "protocolVersion", "instructions", "capabilities", "tools", "resources",
                           "resourceTemplates", "prompts"}
    assert report["serverInfo"] == {"name": "cli-fixture", "version": "2.5", "title": "CLI fixture"}
    assert report["instructions"] == "A server for the CLI tests."
    assert [tool["name"] for tool in report["tools"]] == TOOLS
    echo = report["tools"][0]
    assert echo["inputSchema"]["properties"] == {"text": {"type": "string"}}
    assert report["resources"][0]["uri"] == "fixture://readme"
    assert report["resourceTemplates"][0]["uriTemplate"] == "fixture://items/{item}"
    assert report["prompts"][0]["name"] == "ask"


def test_inspect_a_server_offering_only_tools(cli, tmp_path):
    path = tmp_path / "tools_only.py"
    path.write_text("from mcp_sync import Server\nserver = Server('bare')\n\n"
                    "@server.tool()\ndef ping() -> str:\n    return 'pong'\n")
    result = cli("inspect", str(path))
    assert result.code == 0, result.err
    assert "Resources: (not offered)" in result.out and "Prompts: (not offered)" in result.out
    result = cli("inspect", "--json", str(path))
    report = json.loads(result.out)
    assert report["resources"] == [] and report["prompts"] == [] and "resources" not in report["capabilities"]


def test_inspect_with_headers_over_http(cli, http_url):
    result = cli("inspect", "--json", "-H", "X-Trace: 1", http_url)
    assert result.code == 0, result.err


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_unreachable_url_exits_3(cli):
    result = cli("inspect", f"http://127.0.0.1:{_free_port()}/mcp")
    assert result.code == 3
    assert result.err.startswith("mcp-sync: error: connection failed:")
    assert "Traceback" not in result.err
    assert result.out == ""


def test_a_command_that_cannot_start_exits_3(cli, tmp_path):
    result = cli("inspect", "--", str(tmp_path / "no-such-program"))
    assert result.code == 3
    assert "cannot start the server" in result.err


def test_a_server_that_crashes_at_startup_exits_3(cli):
    result = cli("inspect", "--", sys.executable, "-c",
                 "import sys; print('fatal: no config', file=sys.stderr); sys.exit(5)")
    assert result.code == 3
    assert "server exited with code 5" in result.err
    assert "fatal: no config" in result.err  # the tail of its stderr explains why


def test_a_server_that_is_not_mcp_exits_3(cli):
    result = cli("inspect", "--timeout", "5", "--", sys.executable, "-c", "print('hello, I am not MCP')")
    assert result.code == 3
    assert result.err.startswith("mcp-sync: error:")


def test_verbose_shows_the_server_stderr(cli, tmp_path):
    path = tmp_path / "chatty.py"
    path.write_text("import sys\nfrom mcp_sync import Server\nprint('chatty server up', file=sys.stderr)\n"
                    "server = Server('chatty')\n")
    assert "chatty server up" not in cli("inspect", str(path)).err
    assert "chatty server up" in cli("inspect", "-v", str(path)).err


def test_inspect_as_a_subprocess():
    done = run_cli("inspect", "--json", FIXTURE)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["serverInfo"]["name"] == "cli-fixture"


def test_a_file_without_a_server_exits_2_as_the_help_says(cli, tmp_path):
    script = tmp_path / "no_server.py"
    script.write_text("x = 1\n")
    for command in (("inspect", str(script)), ("call", str(script), "anything")):
        result = cli(*command)
        assert result.code == 2, result.err
        assert "no mcp_sync Server instance found" in result.err
        assert "Traceback" not in result.err
