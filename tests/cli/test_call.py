"""``mcp-sync call``: arguments, output, exit codes, progress and interruption, over stdio and HTTP."""

from __future__ import annotations

import json
import os
import pty
import signal
import subprocess
import sys
import time

import pytest

from tests.cli.conftest import FIXTURE, FIXTURE_COMMAND, cli_process, read_until_closed


@pytest.fixture(params=["file", "command", "http"])
def call(request, cli):
    """``call(TOOL, *ARGS)`` with the fixture server as each kind of TARGET."""
    kind = request.param
    url = request.getfixturevalue("http_url") if kind == "http" else None

    def invoke(tool: str, *args: str, options: tuple[str, ...] = ()):
        if kind == "command":
            return cli("call", *options, tool, *args, "--", *FIXTURE_COMMAND)
        return cli("call", *options, FIXTURE if kind == "file" else url, tool, *args)

    invoke.kind = kind  # type: ignore[attr-defined]
    return invoke


def test_text_result(call):
    result = call("echo", "text=hello world")
    assert (result.code, result.out, result.err) == (0, "hello world\n", "")


def test_string_arguments_stay_strings(call):
    assert call("echo", "text=42").out == "42\n"
    assert call("echo", "text=true").out == "true\n"


def test_structured_result_is_json(call):
    result = call("add", "a=2", "b=3.5")
    assert result.code == 0, result.err
    assert json.loads(result.out) == {"result": 5.5}


def test_values_parse_as_json(call):
    result = call("types_of", 'values={"a": [1, 2]}', "count=3", "flag=true", "label=plain text")
    assert result.code == 0, result.err
    assert json.loads(result.out) == {"values": {"a": [1, 2]}, "count": 3, "flag": True, "label": "plain text",
                                      "label_type": "str"}
    assert json.loads(call("types_of", "label=7").out)["label_type"] == "int"
    assert json.loads(call("types_of", "label=null").out)["label_type"] == "NoneType"


def test_json_arguments(call):
    result = call("types_of", "count=5", options=("--args", '{"count": 2, "label": [1]}'))
    assert json.loads(result.out) == {"values": None, "count": 5, "flag": False, "label": [1], "label_type": "list"}
    result = call("types_of", '{"flag": true}')
    assert json.loads(result.out)["flag"] is True


def test_raw_json_output(call):
    result = call("add", "a=1", "b=1.5", options=("--json",))
    assert result.code == 0
    assert json.loads(result.out) == {"content": [{"type": "text", "text": '{"result":2.5}'}],
                                      "structuredContent": {"result": 2.5}, "isError": False}


def test_non_text_content(call):
    result = call("picture")
    assert result.code == 0
    assert result.out == "[image: image/png, 9 bytes]\na picture\n"


def test_tool_error_exits_1_with_the_message_on_stderr(call):
    result = call("fail", "reason=disk on fire")
    assert result.code == 1
    assert result.out == ""
    assert result.err == "mcp-sync: tool 'fail' reported an error: ValueError: disk on fire\n"


def test_tool_error_with_json_prints_the_result_and_exits_1(call):
    result = call("fail", options=("--json",))
    assert result.code == 1
    assert json.loads(result.out)["isError"] is True
    assert "reported an error" in result.err


def test_invalid_arguments_are_a_tool_error(call):
    result = call("add", "a=one", "b=2")
    assert result.code == 1
    assert "a" in result.err and "reported an error" in result.err


def test_unknown_tool_exits_2(call):
    result = call("nope")
    assert result.code == 2
    assert "unknown tool 'nope'; the server's tools: add, crash, echo, fail" in result.err


def test_server_error_answer_exits_3(call):
    result = call("protocol_error")
    assert result.code == 3
    assert result.err == "mcp-sync: error: the server answered with an error: the fixture refuses (code -32000)\n"


def test_call_timeout_exits_3(call):
    started = time.monotonic()
    result = call("slow", "seconds=30", options=("--timeout", "0.5", "--no-progress"))
    assert result.code == 3
    assert "timed out" in result.err
    assert time.monotonic() - started < 15


def test_progress_lines_when_stderr_is_not_a_terminal(call):
    result = call("steps", "count=3", "delay=0.01")
    assert result.code == 0
    assert result.out == "3 steps done\n"
    assert result.err.splitlines() == ["steps: 1/3 (33%) step 1", "steps: 2/3 (67%) step 2",
                                       "steps: 3/3 (100%) step 3"]
    quiet = call("steps", "count=3", "delay=0.01", options=("--no-progress",))
    assert (quiet.out, quiet.err) == ("3 steps done\n", "")


@pytest.mark.parametrize("how", ["file", "command"])
def test_a_server_that_crashes_mid_call_exits_3(cli, how):
    if how == "file":
        result = cli("call", FIXTURE, "crash")
    else:
        result = cli("call", "crash", "--", *FIXTURE_COMMAND)
    assert result.code == 3
    assert "server exited with code 7" in result.err
    assert "fixture: crashing now" in result.err


def test_headers_and_env_go_to_their_kind_of_target(cli, http_url):
    assert cli("call", "-H", "X-Test: yes", http_url, "echo", "text=x").code == 0
    assert cli("call", "-e", "FIXTURE_FLAG=1", "echo", "text=x", "--", *FIXTURE_COMMAND).code == 0
    result = cli("call", "-H", "X-Test: yes", "echo", "text=x", "--", *FIXTURE_COMMAND)
    assert result.code == 2 and "--header applies to a URL" in result.err


def test_bad_argument_is_reported_before_starting_the_server(cli, tmp_path):
    marker = tmp_path / "started"
    command = [sys.executable, "-c", f"open({str(marker)!r}, 'w').close()"]
    result = cli("call", "echo", "oops", "--", *command)
    assert result.code == 2 and "expected key=value" in result.err
    assert not marker.exists()


# -- as a real process: interrupt, terminal progress --------------------------------------


def test_ctrl_c_exits_130_and_cancels_the_call():
    proc = cli_process("call", FIXTURE, "slow", "seconds=60", stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                        text=True)
    try:
        first = proc.stderr.readline()  # the first progress line: the call is running
        assert first.startswith("slow: 1"), first
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 130, err
    assert err.rstrip().endswith("mcp-sync: interrupted")
    assert "Traceback" not in err
    assert out == ""


def test_progress_bar_on_a_terminal():
    master, slave = pty.openpty()
    try:
        proc = cli_process("call", FIXTURE, "steps", "count=4", "delay=0.1", stdout=subprocess.PIPE, stderr=slave)
        os.close(slave)
        slave = -1
        screen = read_until_closed(master, time.monotonic() + 30)
        out, _ = proc.communicate(timeout=30)
    finally:
        os.close(master)
        if slave >= 0:
            os.close(slave)
    assert proc.returncode == 0
    assert out == b"4 steps done\n"
    text = screen.decode()
    assert "\r\x1b[K" in text  # redrawn in place...
    assert "\n" not in text  # ...never a new line
    assert "steps  [" in text and "step 1" in text and "] 100%  4/4  step 4" in text
    assert text.endswith("\r\x1b[K")  # and erased at the end
