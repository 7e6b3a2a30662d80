"""Multi round-trip requests (SEP-2322): the client answers input_required rounds with its handlers, invisibly."""

from __future__ import annotations

import threading

import pytest

from mcp_sync.client.modern import InputRoundsExceeded
from mcp_sync.errors import McpError
from mcp_sync.types import CreateMessageResult, ElicitResult, TextContent
from tests.modern_client.fake_core import STATE_1, STATE_2


class Handlers:
    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []
        self.threads: list[str] = []

    def elicit(self, params):
        self.seen.append(("elicitation", params.message))
        self.threads.append(threading.current_thread().name)
        return ElicitResult(action="accept")  # SEP-1034: the schema defaults fill the form

    def sample(self, params):
        self.seen.append(("sampling", params.messages[0].content.text))
        return CreateMessageResult(role="assistant", content=TextContent(text="hello"), model="fake-llm")

    def kwargs(self) -> dict:
        return {"elicitation": self.elicit, "sampling": self.sample, "roots": ["file:///work/a", "file:///work/b"]}


@pytest.fixture(params=["stdio", "http"])
def connect(request, stdio_fake, http_fake):
    """``connect(**client_kwargs) -> (client, core_log)`` where ``core_log()`` lists the messages the fake got."""

    def make(**kwargs):
        if request.param == "stdio":
            client = stdio_fake.client("modern", **kwargs)
            return client, lambda: stdio_fake.log()
        fake = http_fake()
        client = http_fake.connect(fake.url, **kwargs)
        return client, lambda: fake.core.messages()

    make.kind = request.param
    return make


def calls_of(log, tool):
    return [m for m in log if m.get("method") == "tools/call" and m["params"]["name"] == tool]


def test_multi_round_call_echoes_request_state_byte_for_byte(connect):
    handlers = Handlers()
    client, log = connect(**handlers.kwargs())
    result = client.call_tool("mrtr_multi", {})
    assert result.content[0].text == "name=Ada model=fake-llm roots=['file:///work/a', 'file:///work/b']"
    assert handlers.seen == [("elicitation", "Your name?"), ("sampling", "hi")]
    assert all("-mrtr" in name for name in handlers.threads)
    rounds = calls_of(log(), "mrtr_multi")
    assert len(rounds) == 3
    assert len({m["id"] for m in rounds}) == 3  # a new JSON-RPC id each round
    first, second, third = (m["params"] for m in rounds)
    assert "requestState" not in first and "inputResponses" not in first
    assert second["requestState"] == STATE_1
    assert second["inputResponses"] == {"ask": {"action": "accept", "content": {"name": "Ada"}}}
    assert third["requestState"] == STATE_2 + "|Ada"
    assert set(third["inputResponses"]) == {"llm", "where"}
    assert third["inputResponses"]["where"] == {"roots": [{"uri": "file:///work/a"}, {"uri": "file:///work/b"}]}
    assert "resultType" not in third["inputResponses"]["llm"]
    for params in (first, second, third):  # the original arguments and _meta every time
        assert params["name"] == "mrtr_multi" and params["arguments"] == {}
        assert params["_meta"]["io.modelcontextprotocol/protocolVersion"] == "2026-07-28"


def test_no_request_state_given_means_none_sent_back(connect):
    client, log = connect(elicitation=lambda p: ElicitResult(action="decline"))
    assert client.call_tool("mrtr_no_state").content[0].text == "no-state-ok decline"
    retry = calls_of(log(), "mrtr_no_state")[1]["params"]
    assert "requestState" not in retry
    assert retry["inputResponses"] == {"ok": {"action": "decline"}}


def test_request_state_without_input_requests_is_retried_at_once(connect):
    client, log = connect()
    assert client.call_tool("mrtr_state_only").content[0].text == "state=only-state"
    retry = calls_of(log(), "mrtr_state_only")[1]["params"]
    assert retry["requestState"] == "only-state" and "inputResponses" not in retry


def test_a_result_without_result_type_is_complete(connect):
    client, log = connect(elicitation=lambda p: ElicitResult(action="accept"))
    assert client.call_tool("no_result_type").content[0].text == "plain"
    assert len(calls_of(log(), "no_result_type")) == 1


def test_unrelated_calls_carry_no_mrtr_fields(connect):
    client, log = connect(**Handlers().kwargs())
    client.call_tool("mrtr_multi")
    client.call_tool("echo", {"text": "after"})
    echo = calls_of(log(), "echo")[0]["params"]
    assert "requestState" not in echo and "inputResponses" not in echo


def test_rounds_are_bounded(connect):
    client, log = connect(roots=[], max_input_rounds=3)
    with pytest.raises(InputRoundsExceeded, match="after 3 rounds"):
        client.call_tool("mrtr_forever")
    assert len(calls_of(log(), "mrtr_forever")) == 4  # the first attempt and three answered rounds


def test_get_prompt_and_read_resource_go_through_rounds_too(connect):
    client, _ = connect(**Handlers().kwargs())
    prompt = client.get_prompt("greet")
    assert prompt.messages[0].content.text == "Hello World"  # the schema's default (SEP-1034)
    contents = client.read_resource("file:///needs-roots.txt").contents
    assert contents[0].text == "file:///work/a,file:///work/b"


def test_input_of_a_kind_the_client_did_not_declare_fails_the_call(connect):
    client, log = connect()  # no handlers: declares nothing
    with pytest.raises(Exception, match="did not declare"):
        client.call_tool("mrtr_multi")
    assert len(calls_of(log(), "mrtr_multi")) == 1  # never retried


def test_a_failing_handler_fails_the_call_without_a_retry(connect):
    def refuse(params):
        raise McpError(-1, "user said no")

    client, log = connect(elicitation=refuse)
    with pytest.raises(McpError, match="user said no"):
        client.call_tool("mrtr_no_state")
    assert len(calls_of(log(), "mrtr_no_state")) == 1


def test_nowait_call_through_rounds(connect):
    client, _ = connect(**Handlers().kwargs())
    futures = [client.nowait.call_tool("mrtr_multi") for _ in range(3)]
    texts = {f.result(timeout=10).content[0].text for f in futures}
    assert texts == {"name=Ada model=fake-llm roots=['file:///work/a', 'file:///work/b']"}
