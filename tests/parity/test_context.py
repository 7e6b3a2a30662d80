"""What a tool sees through its ``Context`` is the same in both eras (the era's own version aside)."""

from __future__ import annotations

from mcp_sync.types import ElicitResult


def test_client_facts(served):
    client = served.client(name="facts-client", sampling=lambda p: {}, roots=[],
                           elicitation=lambda p: ElicitResult(action="decline"))
    facts = client.call_tool("facts").structured_content
    assert facts["client"] == "facts-client" and facts["sampling"] is True
    assert {"elicitation", "roots", "sampling"} <= set(facts["capabilities"])
    bare = served.client(name="bare")
    bare_facts = bare.call_tool("facts").structured_content
    assert bare_facts["sampling"] is False and not {"elicitation", "roots", "sampling"} & set(
        bare_facts["capabilities"])


def test_cancellation_reaches_the_tool_of_a_task(served):
    """``ctx.cancelled`` is set by a task's cancellation in both eras (the tool then stops)."""
    client = served.client()
    task = client.call_tool_as_task("gate")
    assert task.status().status == "working"
    assert task.cancel().status == "cancelled"
    assert task.wait(timeout=20).status == "cancelled"


def test_context_calls(served):
    logs: list = []
    client = served.client(on_log=logs.append)
    outcome = client.call_tool("context_calls").structured_content
    assert outcome == {"request_id": True, "meta": True, "cancelled": False, "http": served.transport == "http",
                       "debug": True, "error": True,
                       # 2025-11-25 only (README era differences); this client declared no tasks either way
                       "complete_elicitation": {"legacy": "sent", "modern": "CapabilityError"}[served.era],
                       "elicit_as_task": "MissingClientCapability", "sample_as_task": "MissingClientCapability"}
    assert [(m.level, m.data) for m in logs] == [("debug", "d"), ("error", "e")]


def test_url_elicitation(served):
    seen: list = []

    def open_url(params):
        seen.append((params.message, params.url))
        return {"action": "accept"}

    client = served.client(elicitation_url=open_url)
    assert client.call_tool("url_it").content[0].text == "accept"
    assert seen == [("Please sign in", "https://example.com/login")]


def test_start_task(served):
    """``ctx.start_task()`` continues a 2026-07-28 call as a task when the request declared the tasks
    extension (``Client(tasks=True)``); a 2025-11-25 call is a task only if asked as one (README era
    differences). ``call_tool`` returns the tool's result either way."""
    client = served.client(tasks=True)
    assert client.call_tool("maybe_escalate").content[0].text == {"legacy": "inline", "modern": "task"}[served.era]
    plain = served.client()
    assert plain.call_tool("maybe_escalate").content[0].text == "inline"
