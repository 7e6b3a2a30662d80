"""``mcp-sync task``: call as a task (status, progress, result, exit codes), list/get/result/cancel.

Over stdio (a FILE or a command after ``--``) each command is its own server
process, so only ``task call`` can see its task; the other subcommands are
tested over HTTP against a server behind bearer tokens, where a task belongs
to the token's subject and outlives the command that created it.
"""

from __future__ import annotations

import json
import os
import pty
import signal
import subprocess
import sys
import time

import pytest

from tests.cli.conftest import FIXTURE, ROOT, cli_process, read_until_closed, run_cli

TASK_FIXTURE = str(ROOT / "tests" / "cli" / "task_server.py")
TASK_COMMAND = [sys.executable, TASK_FIXTURE]
ALICE = ("-H", "Authorization: Bearer tok-alice")
ALICE_LAPTOP = ("-H", "Authorization: Bearer tok-alice-laptop")
BOB = ("-H", "Authorization: Bearer tok-bob")


@pytest.fixture
def protected():
    """The task server over HTTP behind bearer tokens: ``(server, url)``."""
    from tests.cli.task_server import build_server, start_protected

    server = build_server()
    handle = start_protected(server)
    try:
        yield server, handle.url
    finally:
        handle.stop()
        server.close()


@pytest.fixture(params=["file", "command", "http"])
def task_call(request, cli):
    """``task_call(TOOL, *ARGS, options=())``: ``mcp-sync task call`` with each kind of TARGET."""
    kind = request.param
    url = request.getfixturevalue("protected")[1] if kind == "http" else None

    def invoke(tool: str, *args: str, options: tuple[str, ...] = ()):
        if kind == "command":
            return cli("task", "call", *options, tool, *args, "--", *TASK_COMMAND)
        if kind == "file":
            return cli("task", "call", *options, TASK_FIXTURE, tool, *args)
        return cli("task", "call", *options, *ALICE, url, tool, *args)

    invoke.kind = kind  # type: ignore[attr-defined]
    return invoke


def started_id(err: str) -> str:
    first = err.splitlines()[0]
    assert first.startswith("mcp-sync: task ") and first.endswith(" started (Ctrl-C cancels it)"), err
    return first.split()[2]


# -- task call ------------------------------------------------------------------------------


def test_task_call_shows_status_and_progress_then_prints_the_result(task_call):
    result = task_call("steps", "count=4", "delay=0.05")
    assert result.code == 0, result.err
    assert result.out == "4 steps done\n"
    lines = result.err.splitlines()
    started_id(result.err)
    assert lines[1] == "mcp-sync: the server says: counting steps"  # the tool's immediate response
    assert lines[2] == "steps: working"
    # the progress notifications, as plain lines (stderr is not a terminal)
    progress = [line for line in lines if "/4 (" in line]
    expected = ["steps: 1/4 (25%) step 1", "steps: 2/4 (50%) step 2", "steps: 3/4 (75%) step 3",
                "steps: 4/4 (100%) step 4"]
    if task_call.kind == "http":
        # over HTTP they come on the GET stream, racing the tasks/get that sees the task completed
        # (after which the handle stops listening): the last ones may be missed, never reordered
        assert progress and progress == expected[:len(progress)]
    else:
        assert progress == expected
    assert lines[-1] == "steps: completed (4 of 4 done)"  # the final status, with its message


def test_task_call_json_and_no_progress(task_call):
    result = task_call("double", "x=21", options=("--json", "--no-progress"))
    assert result.code == 0, result.err
    assert json.loads(result.out)["structuredContent"] == {"result": 42}
    assert len(result.err.splitlines()) == 1  # only "task ... started"
    started_id(result.err)


def test_task_call_of_a_failing_tool_exits_1(task_call):
    result = task_call("fail", "reason=disk on fire")
    assert result.code == 1
    assert result.out == ""
    task_id = started_id(result.err)
    assert "fail: failed" in result.err
    assert result.err.endswith(f"mcp-sync: task {task_id} reported an error: ValueError: disk on fire\n")


def test_task_call_of_a_tool_answering_an_error_exits_3(task_call):
    result = task_call("refuse", options=("--no-progress",))
    assert result.code == 3
    assert result.err.endswith("mcp-sync: error: the server answered with an error: the fixture refuses "
                               "(code -32050)\n")


@pytest.mark.parametrize("tool, support", [("plain", "forbidden"), ("unmarked", "not declared, so forbidden")])
def test_a_tool_that_forbids_tasks_exits_2(task_call, tool, support):
    result = task_call(tool, "text=x")
    assert result.code == 2
    assert result.err == (f"mcp-sync: error: tool {tool!r} does not support tasks (taskSupport: {support}); "
                          f"call it with `mcp-sync call`\n")


def test_unknown_tool_exits_2(task_call):
    result = task_call("nope")
    assert result.code == 2
    assert "unknown tool 'nope'; the server's tools: double, fail, plain, refuse, steps, unmarked, wait" \
        in result.err


@pytest.mark.parametrize("how", ["file", "http"])
def test_a_server_without_tasks_exits_2(cli, http_url, how):
    result = cli("task", "call", FIXTURE if how == "file" else http_url, "echo", "text=x")
    assert result.code == 2
    assert "does not support tasks: it declared no 'tasks' capability" in result.err
    result = cli("task", "list", FIXTURE if how == "file" else http_url)
    assert result.code == 2 and "does not support tasks" in result.err


def test_detach_over_stdio_is_refused_before_starting_anything(cli, tmp_path):
    marker = tmp_path / "started"
    result = cli("task", "call", "--detach", "steps", "--", sys.executable, "-c",
                 f"open({str(marker)!r}, 'w').close()")
    assert result.code == 2
    assert "--detach needs a server over HTTP" in result.err
    assert not marker.exists()
    assert cli("task", "call", "--detach", TASK_FIXTURE, "steps").code == 2


def test_task_call_timeout_cancels_the_task_and_exits_3(cli, protected):
    server, url = protected
    started = time.monotonic()
    result = cli("task", "call", *ALICE, "--timeout", "0.5", url, "wait", "seconds=60")
    assert result.code == 3
    task_id = started_id(result.err)
    assert f"timed out: task {task_id} did not finish within 0.5 s; it was cancelled" in result.err
    assert time.monotonic() - started < 15
    status = cli("task", "get", *ALICE, "--json", url, task_id)
    assert json.loads(status.out)["status"] == "cancelled"


# -- list / get / result / cancel over HTTP, across commands ----------------------------------


def test_detach_then_get_list_result_from_other_commands(protected):
    """Real processes: one command starts the task, later ones (other sessions, same user) follow it."""
    _, url = protected
    created = run_cli("task", "call", *ALICE, url, "steps", "count=3", "delay=0.2", "--detach")
    assert created.returncode == 0, created.stderr
    task_id = created.stdout.strip()
    assert created.stdout == task_id + "\n" and task_id
    assert f"follow it with `mcp-sync task get|result|cancel {url} {task_id}`" in created.stderr

    got = run_cli("task", "get", *ALICE_LAPTOP, url, task_id)  # another token of the same subject
    assert got.returncode == 0, got.stderr
    fields = dict(line.split(None, 1) for line in got.stdout.splitlines())
    assert fields["task"] == task_id
    assert fields["status"].split()[0] in ("working", "completed")
    assert fields["ttl"] == "120 s" and fields["poll"] == "every 20 ms"

    listed = run_cli("task", "list", *ALICE, url, "--json")
    assert listed.returncode == 0, listed.stderr
    assert task_id in [t["taskId"] for t in json.loads(listed.stdout)]

    done = run_cli("task", "result", *ALICE, url, task_id)  # blocks in tasks/result until it is done
    assert done.returncode == 0, done.stderr
    assert done.stdout == "3 steps done\n"

    after = run_cli("task", "get", *ALICE, url, task_id, "--json")
    assert json.loads(after.stdout)["status"] == "completed"


def test_another_user_cannot_see_the_task(cli, protected):
    _, url = protected
    task_id = cli("task", "call", *ALICE, url, "wait", "--detach").out.strip()
    for action in ("get", "result", "cancel"):
        result = cli("task", action, *BOB, url, task_id)
        assert result.code == 2, (action, result.err)
        assert result.err == (f"mcp-sync: error: unknown task {task_id!r} on {url}: no such task for this "
                              f"requestor (it never existed, it expired, or another user or session owns it)\n")
    listing = cli("task", "list", *BOB, url)
    assert (listing.code, listing.out, listing.err) == (0, "", "mcp-sync: no tasks\n")
    assert cli("task", "cancel", *ALICE, url, task_id).code == 0


def test_task_ids_starting_with_a_dash(cli, protected):
    """Ids come from secrets.token_urlsafe: one in 64 starts with "-" (positional, or --id=ID)."""
    from mcp_sync.cli.cmd_task import id_argument

    _, url = protected
    for args in ((url, "-Zq3x"), ("--id=-Zq3x", url), (url, "--json", "-Zq3x")):
        result = cli("task", "get", *ALICE, *args)
        assert result.code == 2, result.err
        assert result.err.startswith(f"mcp-sync: error: unknown task '-Zq3x' on {url}")
    typo = cli("task", "get", *ALICE, url, "--jsn", "x")  # a mistyped option stays an error
    assert typo.code == 2 and "unrecognized arguments: --jsn" in typo.err
    assert (id_argument("-Zq3x"), id_argument("Zq3x")) == ("--id=-Zq3x", "Zq3x")


def test_list_text(cli, protected):
    _, url = protected
    first = cli("task", "call", *ALICE, url, "wait", "--detach").out.strip()
    second = cli("task", "call", *ALICE, url, "double", "x=2", "--detach").out.strip()
    cli("task", "result", *ALICE, url, second)
    result = cli("task", "list", *ALICE, url)
    assert result.code == 0 and result.err == ""
    header, *rows = result.out.splitlines()
    assert header.split() == ["ID", "STATUS", "CREATED", "MESSAGE"]
    statuses = {row.split()[0]: row.split()[1] for row in rows}
    assert statuses == {first: "working", second: "completed"}
    cli("task", "cancel", *ALICE, url, first)


def test_cancel_then_result_exits_4_and_cancelling_again_exits_2(cli, protected):
    _, url = protected
    task_id = cli("task", "call", *ALICE, url, "wait", "--detach").out.strip()
    cancelled = cli("task", "cancel", *ALICE, url, task_id)
    assert cancelled.code == 0, cancelled.err
    assert cancelled.out.startswith(f"task {task_id} cancelled")
    result = cli("task", "result", *ALICE, url, task_id)
    assert result.code == 4
    assert result.out == ""
    assert f"mcp-sync: task {task_id} was cancelled" in result.err and "it has no result" in result.err
    as_json = cli("task", "result", *ALICE, url, task_id, "--json")
    assert as_json.code == 4 and json.loads(as_json.out)["status"] == "cancelled"
    again = cli("task", "cancel", *ALICE, url, task_id)
    assert again.code == 2
    assert again.err == f"mcp-sync: error: task {task_id} already finished (cancelled): nothing to cancel\n"


def test_result_of_a_failed_task_exits_1_and_json_shapes(cli, protected):
    _, url = protected
    task_id = cli("task", "call", *ALICE, url, "fail", "reason=nope", "--detach", "--json")
    created = json.loads(task_id.out)
    assert created["status"] == "working" and created["ttl"] == 120_000 and "taskId" in created
    result = cli("task", "result", *ALICE, url, created["taskId"], "--json")
    assert result.code == 1
    assert json.loads(result.out)["isError"] is True
    got = json.loads(cli("task", "get", *ALICE, url, created["taskId"], "--json").out)
    assert got["status"] == "failed" and got["taskId"] == created["taskId"]


def test_ttl_is_sent(cli, protected):
    _, url = protected
    created = json.loads(cli("task", "call", *ALICE, url, "double", "x=1", "--detach", "--json",
                             "--ttl", "30").out)
    assert created["ttl"] == 30_000


def test_without_credentials_the_server_refuses_with_a_hint(cli, protected):
    _, url = protected
    result = cli("task", "list", url)
    assert result.code == 3
    assert result.err == ("mcp-sync: error: connection failed: the server answered HTTP 401: Unauthorized; "
                          "the server wants credentials: --header 'Authorization: Bearer TOKEN'\n")


def test_detach_without_credentials_warns_and_later_commands_say_why(cli):
    """A server without auth binds the task to the session: the warning and the not-found note say so."""
    from tests.cli.task_server import build_server

    server = build_server()
    handle = server.start_http()
    try:
        created = cli("task", "call", handle.url, "wait", "--detach")
        assert created.code == 0
        task_id = created.out.strip()
        assert "created without credentials" in created.err and "cancels it" in created.err
        assert created.err.count("mcp-sync:") == 1  # one message, not a warning and a contradicting hint
        got = cli("task", "get", handle.url, task_id)
        assert got.code == 2
        assert "without credentials a server binds each task to the session that created it" in got.err
        listing = cli("task", "list", handle.url)
        assert listing.code == 0 and listing.out == ""
        assert "no tasks; note: without credentials" in listing.err
    finally:
        handle.stop()
        server.close()


# -- stdio: a new session cannot see another session's tasks ---------------------------------


@pytest.mark.parametrize("action", ["get", "result", "cancel"])
@pytest.mark.parametrize("how", ["file", "command"])
def test_over_stdio_an_id_from_another_command_is_unknown_and_the_error_says_why(cli, action, how):
    if how == "file":
        result = cli("task", action, TASK_FIXTURE, "some-id")
    else:
        result = cli("task", action, "some-id", "--", *TASK_COMMAND)
    assert result.code == 2
    assert result.err.startswith("mcp-sync: error: unknown task 'some-id' on ")
    assert "note: over stdio every mcp-sync command starts its own server process" in result.err


def test_list_over_stdio_is_empty_and_says_why(cli):
    result = cli("task", "list", TASK_FIXTURE)
    assert (result.code, result.out) == (0, "")
    assert result.err.startswith("mcp-sync: no tasks; note: over stdio every mcp-sync command")


# -- usage and connection errors -----------------------------------------------------------------


@pytest.mark.parametrize("args, message", [
    (["task"], "required"),
    (["task", "frobnicate"], "invalid choice"),
    (["task", "call"], "no server and no tool"),
    (["task", "call", "http://127.0.0.1:1/mcp"], "no tool given"),
    (["task", "call", "steps"], "no server given for tool 'steps'"),
    (["task", "call", "http://127.0.0.1:1/mcp", "steps", "count"], "expected key=value"),
    (["task", "call", "http://127.0.0.1:1/mcp", "count=3"], "is not a tool name"),
    (["task", "call", "http://127.0.0.1:1/mcp", "steps", "--ttl", "-1"], "--ttl must be"),
    (["task", "call", "http://127.0.0.1:1/mcp", "steps", "--timeout", "0"], "--timeout must be"),
    (["task", "call", "http://127.0.0.1:1/mcp", "steps", "--ttl", "soon"], "invalid float value"),
    (["task", "list", "http://127.0.0.1:1/mcp", "extra"], "task list takes one server"),
    (["task", "list"], "no server given"),
    (["task", "list", "x.py", "--", "python", "s.py"], "not both"),
    (["task", "get"], "expected a server and one task id (got 0"),
    (["task", "get", "http://127.0.0.1:1/mcp"], "no task id given"),
    (["task", "get", "abc"], "no server given for task 'abc'"),
    (["task", "result", "http://127.0.0.1:1/mcp", "a", "b"], "got 3 arguments"),
    (["task", "cancel", "--", "python", "s.py"], "expected one task id before '--' (got 0)"),
    (["task", "get", "http://127.0.0.1:1/mcp", " "], "the task id is empty"),
    (["task", "get", "-e", "A=1", "http://127.0.0.1:1/mcp", "x"], "--env applies to a server started as a command"),
])
def test_usage_errors_exit_2(cli, args, message):
    result = cli(*args)
    assert result.code == 2, result
    assert message in result.err
    assert "Traceback" not in result.err


@pytest.mark.parametrize("action", [("list",), ("get", "x"), ("result", "x"), ("cancel", "x"),
                                    ("call", "steps")])
def test_connection_failures_exit_3(cli, action):
    result = cli("task", action[0], "--timeout", "5", "http://127.0.0.1:1/mcp", *action[1:])
    assert result.code == 3
    assert result.err.startswith("mcp-sync: error: connection failed")
    dead = cli("task", action[0], *action[1:], "--", sys.executable, "-c", "import sys; sys.exit(5)")
    assert dead.code == 3 and "connection failed" in dead.err


def test_help(cli):
    result = cli("task", "--help")
    assert result.code == 0
    for word in ("task call", "task list", "task get", "task result", "task cancel", "Who sees a task",
                 "exit codes:", "the task was cancelled"):
        assert word in result.out
    for action in ("call", "list", "get", "result", "cancel"):
        result = cli("task", action, "--help")
        assert result.code == 0 and f"usage: mcp-sync task {action}" in result.out


# -- as a real process: Ctrl-C, a terminal ----------------------------------------------------------


def test_ctrl_c_cancels_the_task_on_the_server_and_exits_130(cli, protected):
    _, url = protected
    proc = cli_process("task", "call", *ALICE, url, "wait", "seconds=60", stdout=subprocess.PIPE,
                        stderr=subprocess.PIPE, text=True)
    try:
        first = proc.stderr.readline()  # "task ID started": the task exists
        task_id = started_id(first)
        assert proc.stderr.readline() == "wait: working\n"
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 130, err
    assert err.endswith(f"mcp-sync: task {task_id} cancelled\nmcp-sync: interrupted\n")
    assert "Traceback" not in err and out == ""
    status = cli("task", "get", *ALICE, url, task_id, "--json")
    assert json.loads(status.out)["status"] == "cancelled"


def test_status_and_progress_bar_on_a_terminal():
    master, slave = pty.openpty()
    try:
        proc = cli_process("task", "call", TASK_FIXTURE, "steps", "count=4", "delay=0.1",
                            stdout=subprocess.PIPE, stderr=slave)
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
    started, _, rest = text.partition("\n")
    assert started.startswith("mcp-sync: task ")
    rest = rest.partition("\n")[2]  # after "the server says"
    assert "\n" not in rest  # then one line, redrawn in place
    assert "\r\x1b[Ksteps  working  " in rest  # the status before any progress
    assert "steps  working (1 of 4 done)  [" in rest or "steps  working  [" in rest  # status, then the bar
    assert "] 100%  4/4  step 4" in rest
    assert "steps  completed (4 of 4 done)  [" in rest  # the final status drawn with the bar
    assert rest.endswith("\r\x1b[K")  # erased at the end


def test_the_readme_stdio_task_example_runs():
    """The README's CLI section: its stdio `task call` line works as written (python -> this interpreter)."""
    text = (ROOT / "README.rst").read_text(encoding="utf-8")
    section = text[text.index("The CLI\n=======") :]
    line = next(x.strip() for x in section.splitlines() if x.strip().startswith("mcp-sync task call")
                and "-- python" in x)
    words = line.split("#")[0].split()
    assert words[:3] == ["mcp-sync", "task", "call"]
    words = [sys.executable if w == "python" else w for w in words[1:]]
    words[words.index("seconds=2")] = "seconds=0.2"  # the same command, quicker
    done = run_cli(*words)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "slow_compute '' finished after 0.2 s\n"
    assert done.stderr.splitlines()[-1] == "slow_compute: completed"


def test_get_with_json_reports_errors_as_json(cli):
    """--json: a failure is a JSON object on stdout too (machines read stdout), with the exit code."""
    from tests.cli.task_server import build_server

    server = build_server()
    handle = server.start_http()
    try:
        got = cli("task", "get", "--json", handle.url, "no-such-task")
        assert got.code == 2
        error = json.loads(got.out)["error"]
        assert error["exitCode"] == 2 and "no-such-task" in error["message"]
        assert got.err.startswith("mcp-sync: error:")
    finally:
        handle.stop()
