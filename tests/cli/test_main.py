"""The command line itself: help, usage errors, argument parsing and result rendering."""

from __future__ import annotations

import json
import os

import pytest

from mcp_sync.cli import common
from mcp_sync.cli.common import UsageError
from tests.cli.conftest import run_cli


def test_python_m_mcp_sync_help():
    done = run_cli("--help")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert out.startswith("usage: mcp-sync")
    for word in ("run", "inspect", "call", "task", "proxy", "exit codes:", "130"):
        assert word in out


@pytest.mark.parametrize("command", ["run", "inspect", "call", "task", "proxy"])
def test_each_subcommand_has_help_with_exit_codes(cli, command):
    result = cli(command, "--help")
    assert result.code == 0
    assert f"usage: mcp-sync {command}" in result.out
    assert "exit codes:" in result.out and "connection or protocol error" in result.out


def test_version(cli):
    from mcp_sync import __version__

    result = cli("--version")
    assert result.code == 0 and __version__ in result.out


@pytest.mark.parametrize("args, message", [
    ([], "required"),
    (["frobnicate"], "invalid choice"),
    (["run"], "required"),
    (["inspect", "--bogus", "http://x/mcp"], "unrecognized arguments"),
    (["inspect"], "no server given"),
    (["inspect", "not-a-target"], "is not a URL"),
    (["inspect", "missing_file.py"], "no such file"),
    (["inspect", "http://x/mcp", "--", "python", "s.py"], "not both"),
    (["inspect", "--"], "nothing after '--'"),
    (["run", "server.py", "--", "python"], "run takes no command"),
    (["run", "server.py", "--host", "0.0.0.0"], "only apply with --http"),
    (["run", "server.py", "--http", "70000"], "not a port number"),
    (["call"], "no server and no tool"),
    (["call", "http://127.0.0.1:1/mcp"], "no tool given"),
    (["call", "echo"], "no server given for tool 'echo'"),
    (["call", "--", "python", "s.py"], "no tool given"),
    (["call", "http://127.0.0.1:1/mcp", "echo", "text"], "expected key=value"),
    (["call", "http://127.0.0.1:1/mcp", "echo", "=x"], "expected key=value"),
    (["call", "http://127.0.0.1:1/mcp", "echo", "a=1", "a=2"], "given twice"),
    (["call", "http://127.0.0.1:1/mcp", "echo", "--args", "[1]"], "must be a JSON object"),
    (["call", "http://127.0.0.1:1/mcp", "echo", "--args", "{nope"], "not valid JSON"),
    (["call", "http://127.0.0.1:1/mcp", "a=1"], "not a tool name"),
    (["call", "http://127.0.0.1:1/mcp", "echo", "-H", "no colon"], "expected 'Name: value'"),
    (["call", "http://127.0.0.1:1/mcp", "echo", "-e", "X=1"], "--env applies to a server started as a command"),
    (["call", "echo", "-e", "NOEQUALS", "--", "python", "s.py"], "expected NAME=VALUE"),
])
def test_usage_errors_exit_2_before_connecting(cli, args, message):
    # Every URL here is unreachable: a usage error must be found before any connection attempt (exit 3).
    result = cli(*args)
    assert result.code == 2, result
    assert message in result.err
    assert result.out == ""


def test_options_may_come_between_positionals(cli, http_url):
    result = cli("call", http_url, "--no-progress", "echo", "--json", "text=hi")
    assert result.code == 0, result.err
    assert json.loads(result.out)["content"][0]["text"] == "hi"


# -- pieces -----------------------------------------------------------------------------


@pytest.mark.parametrize("spec, expected", [
    ("server.py", ("server.py", None)),
    ("server.py:app", ("server.py", "app")),
    ("dir/server.py:factory.make", ("dir/server.py", "factory.make")),
    ("pkg.module:server", ("pkg.module", "server")),
    ("C:\\work\\server.py", ("C:\\work\\server.py", None)),
    ("C:\\work\\server.py:app", ("C:\\work\\server.py", "app")),
    ("server.py:not valid", ("server.py:not valid", None)),
])
def test_split_spec(spec, expected):
    assert common.split_spec(spec) == expected


def test_key_value_values_are_json_when_they_parse():
    raw = common.parse_argument_syntax(
        ["n=42", "x=2.5", "yes=true", "none=null", "obj={\"a\": [1, 2]}", "list=[1,\"b\"]", "word=hello",
         "quoted=\"42\"", "empty=", "nan=NaN", "eq=a=b"], None)
    assert common.build_arguments(raw, None) == {
        "n": 42, "x": 2.5, "yes": True, "none": None, "obj": {"a": [1, 2]}, "list": [1, "b"], "word": "hello",
        "quoted": "42", "empty": "", "nan": "NaN", "eq": "a=b"}


def test_string_properties_keep_the_text():
    schema = {"type": "object", "properties": {
        "name": {"type": "string"}, "names": {"type": ["string"]}, "color": {"enum": ["1", "2"]},
        "count": {"type": "integer"}, "either": {"type": ["string", "integer"]}}}
    raw = common.parse_argument_syntax(["name=42", "names=true", "color=1", "count=42", "either=7", "other=7"], None)
    assert common.build_arguments(raw, schema) == {
        "name": "42", "names": "true", "color": "1", "count": 42, "either": 7, "other": 7}


def test_json_object_arguments_merge_under_key_values():
    raw = common.parse_argument_syntax(['{"a": 1, "b": 2}', "b=3"], '{"c": {"d": true}}')
    assert common.build_arguments(raw, None) == {"a": 1, "b": 3, "c": {"d": True}}


def test_resolve_target_kinds(tmp_path):
    assert common.resolve_target("https://example.com/mcp", None).url == "https://example.com/mcp"
    assert common.resolve_target(None, ["node", "server.js"]).command == ["node", "server.js"]
    server = tmp_path / "srv.py"
    server.write_text("")
    target = common.resolve_target(f"{server}:app", None)
    assert target.command[1:] == ["-m", "mcp_sync", "run", f"{server}:app"]
    assert target.env["PYTHONPATH"].split(os.pathsep)[0] == common.package_root()
    with pytest.raises(UsageError):
        common.resolve_target("ftp://example.com", None)


def test_parse_headers():
    assert common.parse_headers(["Authorization: Bearer a:b", "X-Empty:"]) == {
        "Authorization": "Bearer a:b", "X-Empty": ""}


def test_render_result_text_and_structured():
    # The usual back-compat copy (text == JSON of structuredContent) is printed once, as JSON.
    assert common.render_result({"content": [{"type": "text", "text": '{"result":3}'}],
                                 "structuredContent": {"result": 3}}) == '{\n  "result": 3\n}'
    # A text that says something else is kept, then the JSON.
    assert common.render_result({"content": [{"type": "text", "text": "three"}],
                                 "structuredContent": {"result": 3}}) == 'three\n{\n  "result": 3\n}'
    assert common.render_result({"content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]}) == "a\nb"
    assert common.render_result({"content": []}) == ""


def test_render_blocks():
    assert common.render_block({"type": "image", "data": "AAAA", "mimeType": "image/png"}) == \
        "[image: image/png, 3 bytes]"
    assert common.render_block({"type": "audio", "data": "AAAA", "mimeType": "audio/wav"}) == \
        "[audio: audio/wav, 3 bytes]"
    assert common.render_block({"type": "resource_link", "uri": "file:///a", "name": "a"}) == \
        "[resource link: file:///a (a)]"
    assert common.render_block({"type": "resource", "resource": {"uri": "x://t", "text": "hello"}}) == "hello"
    blob = {"type": "resource", "resource": {"uri": "x://b", "blob": "AAAA", "mimeType": "a/b"}}
    assert common.render_block(blob) == "[resource: x://b, a/b, 3 bytes]"
    assert common.render_block({"type": "future", "x": 1}).startswith("[future content]")


def test_error_text():
    assert common.error_text({"content": [{"type": "text", "text": "boom"}], "isError": True}) == "boom"
    assert common.error_text({"content": [], "isError": True}) == "(no message)"


def test_pretty_json_keeps_short_values_on_one_line():
    value = {"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]}
    assert common.pretty(value) == json.dumps(value)
    long = {"k" * 50: "v" * 50, "short": [1, 2]}
    assert common.pretty(long) == '{\n  "' + "k" * 50 + '": "' + "v" * 50 + '",\n  "short": [1, 2]\n}'
    assert json.loads(common.pretty(long)) == long
