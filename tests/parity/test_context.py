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
