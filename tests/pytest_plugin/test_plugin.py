"""The pytest plugin, tested the way a user would use it: a throwaway project run by pytester.

The throwaway suite tests a small server with every fixture the plugin gives;
other suites check that failures read well (a wrong tool result, a question the
test did not answer, a server nobody named).
"""

from __future__ import annotations

import textwrap

import pytest

pytest_plugins = ["pytester"]

SERVER = '''
    """A small server for the throwaway suite."""
    from dataclasses import dataclass

    from mcp_sync import Context, Server

    server = Server("plugin-demo", version="1.0")


    @server.tool()
    def add(a: int, b: int) -> int:
        """Add two numbers."""
        return a + b


    @server.tool()
    def count(n: int, ctx: Context) -> int:
        """Count to n with progress."""
        for i in range(1, n + 1):
            ctx.report_progress(i, n, f"step {i}")
        return n


    @server.tool()
    def chatty(ctx: Context) -> str:
        """Log something."""
        ctx.info("hello from the tool", logger="demo")
        return "logged"


    @dataclass
    class Name:
        name: str


    @server.tool()
    def greet(ctx: Context) -> str:
        """Ask the user's name, then greet them."""
        answer = ctx.elicit("What is your name?", Name)
        return f"Hello, {answer.content.name}!" if answer.action == "accept" else f"no name ({answer.action})"


    @server.tool()
    def poem(topic: str, ctx: Context) -> str:
        """Ask the client's model for a poem."""
        return ctx.sample(f"A poem about {topic}", max_tokens=50).text


    @server.tool()
    def boom() -> str:
        """Fail."""
        raise ValueError("it went boom")


    @server.tool(task_support="optional")
    def build(steps: int, ctx: Context) -> str:
        """A long job."""
        for i in range(steps):
            ctx.report_progress(i + 1, steps)
        return f"built in {steps} steps"


    @server.tool(task_support="optional")
    def wait_for_cancel(ctx: Context) -> str:
        """Run until cancelled."""
        ctx.cancelled.wait(60)
        return "stopped"


    if __name__ == "__main__":
        server.run()
'''

EVERY_FIXTURE = '''
    import pytest

    from mcp_sync import Client, McpError
    from mcp_sync.testing import (assert_task_completed, assert_task_ends, assert_task_status, assert_tool_error,
                                  assert_tool_result, tool_text)


    def test_in_memory(mcp_client, mcp_server):
        assert mcp_client.server_info.name == mcp_server.name == "plugin-demo"
        assert_tool_result(mcp_client.call_tool("add", {"a": 1, "b": 2}), structured={"result": 3})
        assert_tool_error(mcp_client.call_tool("boom"), contains="it went boom")


    def test_progress(mcp_client, mcp_progress):
        assert_tool_result(mcp_client.call_tool("count", {"n": 3}, progress=mcp_progress), structured={"result": 3})
        mcp_progress.assert_progress([1, 2, 3], total=3, messages=["step 1", "step 2", "step 3"])


    def test_logs(mcp_client, mcp_logs):
        mcp_client.set_log_level("debug")
        assert_tool_result(mcp_client.call_tool("chatty"), text="logged")
        message = mcp_logs.assert_logged("hello from the tool", level="info", logger="demo")
        assert message.data == "hello from the tool"


    def test_elicitation(mcp_client, mcp_answers):
        mcp_answers.elicit({"name": "Ada"})
        assert_tool_result(mcp_client.call_tool("greet"), text="Hello, Ada!")
        mcp_answers.elicit(action="decline")
        assert_tool_result(mcp_client.call_tool("greet"), text="no name (decline)")
        assert [q.message for q in mcp_answers.elicitations] == ["What is your name?"] * 2


    def test_sampling(mcp_client, mcp_answers):
        mcp_answers.sample("roses are red")
        assert_tool_result(mcp_client.call_tool("poem", {"topic": "tests"}), text="roses are red")
        mcp_answers.on_sample(lambda params: {"role": "assistant", "model": "echo",
                                              "content": {"type": "text", "text": params.messages[0].content.text}})
        assert_tool_result(mcp_client.call_tool("poem", {"topic": "echoes"}), text="A poem about echoes")


    def test_tasks(mcp_client, mcp_progress):
        task = mcp_client.call_tool_as_task("build", {"steps": 2}, progress=mcp_progress)
        result = assert_task_completed(task)
        assert tool_text(result) == "built in 2 steps"
        assert_task_status(task, "completed")

        endless = mcp_client.call_tool_as_task("wait_for_cancel")
        assert_task_status(endless, "working")
        endless.cancel()
        assert_task_ends(endless, "cancelled")


    def test_over_http(mcp_http_client, mcp_http_url):
        assert mcp_http_url.startswith("http://127.0.0.1:")
        assert_tool_result(mcp_http_client.call_tool("add", {"a": 20, "b": 22}), structured={"result": 42})


    def test_over_stdio(mcp_stdio_client, mcp_server_script, mcp_answers):
        assert mcp_server_script.endswith("myserver.py")
        mcp_answers.elicit({"name": "Grace"})
        assert_tool_result(mcp_stdio_client.call_tool("greet"), text="Hello, Grace!")


    @pytest.mark.parametrize("transport", ["memory", "http"])
    def test_connect_any_way(mcp_connect, mcp_server, transport):
        client = mcp_connect(mcp_server, transport=transport, protocol="legacy")
        assert client.era == "legacy"
        assert_tool_result(client.call_tool("add", {"a": 2, "b": 2}), structured={"result": 4})


    class TestPinnedOptions:
        @pytest.fixture
        def mcp_client_options(self):
            return {"protocol": "modern", "name": "pinned"}

        def test_options_reach_every_client(self, mcp_client):
            assert mcp_client.era == "modern"
            assert mcp_client.client_info.name == "pinned"
'''


@pytest.fixture
def project(pytester):
    """A throwaway project: myserver.py, the ini naming it, and a test file."""
    pytester.makepyfile(myserver=textwrap.dedent(SERVER))
    pytester.makeini("[pytest]\nmcp_server = myserver:server\nmcp_server_script = myserver.py\n")
    pytester.syspathinsert()
    return pytester


def run(pytester, *args):
    # A subprocess, like a user's own test run (and no module shared with this one).
    return pytester.runpytest_subprocess("-p", "mcp_sync.pytest_plugin", "-p", "no:cacheprovider", *args,
                                         timeout=300)


def test_a_suite_using_every_fixture_passes(project):
    project.makepyfile(test_everything=textwrap.dedent(EVERY_FIXTURE))
    result = run(project, "-v")
    result.assert_outcomes(passed=11)
    result.stdout.no_fnmatch_line("*asyncio*")


def test_a_wrong_tool_result_fails_with_a_readable_message(project):
    project.makepyfile(test_wrong=textwrap.dedent('''
        from mcp_sync.testing import assert_tool_result

        def test_wrong_sum(mcp_client):
            assert_tool_result(mcp_client.call_tool("add", {"a": 1, "b": 2}), structured={"result": 4})

        def test_failure_is_not_success(mcp_client):
            assert_tool_result(mcp_client.call_tool("boom"))

        def test_progress_that_never_came(mcp_client, mcp_progress):
            mcp_client.call_tool("add", {"a": 1, "b": 2}, progress=mcp_progress)
            mcp_progress.assert_progress([1, 2], timeout=0.2)

        def test_log_that_never_came(mcp_client, mcp_logs):
            mcp_logs.assert_logged("never said", timeout=0.2)

        def test_task_that_completed_instead(mcp_client):
            from mcp_sync.testing import assert_task_ends
            assert_task_ends(mcp_client.call_tool_as_task("build", {"steps": 1}), "cancelled")
    '''))
    result = run(project)
    result.assert_outcomes(failed=5)
    result.stdout.fnmatch_lines([
        "*unexpected tool result:",
        "*structured content: expected {'result': 4}, got {'result': 3}",
        "*the tool failed: *it went boom*",
        "*expected 2 progress updates within 0.2 s, got 0*",
        "*no log message with contains='never said' within 0.2 s; messages received:*",
        "*expected it to end 'cancelled', it ended 'completed'*",
    ])


def test_a_question_the_test_did_not_answer_fails_it(project):
    project.makepyfile(test_unanswered=textwrap.dedent('''
        import contextlib

        def test_forgot_to_answer(mcp_client):
            with contextlib.suppress(Exception):  # even a test that swallows the failure is caught
                mcp_client.call_tool("greet")

        def test_answer_never_used(mcp_client, mcp_answers):
            mcp_answers.sample("unused")
    '''))
    result = run(project)
    result.assert_outcomes(passed=2, errors=2)
    result.stdout.fnmatch_lines([
        "*the server asked, and the test had no answer: elicitation 'What is your name?'*",
        "*1 queued sampling answer(s) never asked for*",
    ])


def test_a_server_nobody_named_is_a_clear_failure(pytester):
    pytester.makepyfile(test_nothing='''
        def test_needs_a_server(mcp_client):
            pass
    ''')
    result = run(pytester)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*which MCP server should the mcp_* fixtures test?*"])


def test_the_server_fixture_can_be_overridden(pytester):
    pytester.makeconftest('''
        import pytest
        from mcp_sync import Server

        @pytest.fixture
        def mcp_server():
            server = Server("from-conftest")

            @server.tool()
            def ping_me() -> str:
                return "pong"

            yield server
            server.close()
    ''')
    pytester.makepyfile(test_override='''
        from mcp_sync.testing import assert_tool_result

        def test_it(mcp_client, mcp_http_client):
            for client in (mcp_client, mcp_http_client):
                assert client.server_info.name == "from-conftest"
                assert_tool_result(client.call_tool("ping_me"), text="pong")
    ''')
    run(pytester).assert_outcomes(passed=1)
