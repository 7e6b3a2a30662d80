"""Adapting emitted dicts to the negotiated revision (mcp_sync.types.compat)."""

from __future__ import annotations

from typing import Any

import pytest

import mcp_sync.types as t
from mcp_sync.types import content_for_version, result_for_version, to_wire
from tests.types.samples import VERSIONS, content_blocks
from tests.wire_schema import validate

LEGACY = ("2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25")


def tool_result_with_every_block() -> dict[str, Any]:
    return to_wire(t.CallToolResult(content=content_blocks("2026-07-28"), structured_content=[1, 2],
                                    result_type="complete"))


def test_old_revisions_reject_new_blocks_without_compat() -> None:
    """The premise: a 2024-11-05 peer's schema does not allow audio or resource_link."""
    with pytest.raises(AssertionError):
        validate("2024-11-05", "CallToolResult", tool_result_with_every_block())


@pytest.mark.parametrize("version", LEGACY + ("2026-07-28",))
def test_result_for_version_makes_a_valid_call_tool_result(version: str) -> None:
    out = result_for_version(tool_result_with_every_block(), version)
    validate(version, "CallToolResult", out)


def test_legacy_results_lose_modern_members() -> None:
    out = result_for_version(tool_result_with_every_block(), "2025-06-18")
    assert "resultType" not in out and "structuredContent" not in out  # an array is not allowed before 2026
    kinds = [block["type"] for block in out["content"]]
    assert kinds == ["text", "image", "audio", "resource_link", "resource"]
    listing = result_for_version({"tools": [], "ttlMs": 10, "cacheScope": "public", "resultType": "complete"},
                                 "2025-11-25")
    assert listing == {"tools": []}
    kept = {"content": [], "structuredContent": {"a": 1}}
    assert result_for_version(kept, "2025-11-25") is kept  # nothing to change: same object


def test_modern_results_get_result_type() -> None:
    assert result_for_version({"tools": []}, "2026-07-28") == {"resultType": "complete", "tools": []}
    mrtr = {"resultType": "input_required", "requestState": "s"}
    assert result_for_version(mrtr, "2026-07-28") is mrtr


def test_content_for_version_describes_unknown_blocks() -> None:
    link = to_wire(t.ResourceLink(uri="file:///x.txt", name="x.txt", annotations=t.Annotations(priority=1)))
    assert content_for_version(link, "2025-06-18") is link
    as_text = content_for_version(link, "2025-03-26")
    assert as_text["type"] == "text" and "file:///x.txt" in as_text["text"]
    assert as_text["annotations"] == {"priority": 1}
    audio = to_wire(t.AudioContent(data="AA==", mime_type="audio/wav"))
    assert content_for_version(audio, "2025-03-26") is audio
    assert "audio/wav" in content_for_version(audio, "2024-11-05")["text"]
    video = {"type": "video", "uri": "v"}
    assert content_for_version(video, "2026-07-28")["type"] == "text"
    tool_use = to_wire(t.ToolUseContent(id="1", name="f", input={"a": 1}))
    assert '"a": 1' in content_for_version(tool_use, "2025-06-18")["text"]
    result = to_wire(t.ToolResultContent(tool_use_id="1", content=[t.TextContent(text="42")]))
    assert "42" in content_for_version(result, "2025-06-18")["text"]


@pytest.mark.parametrize("version", LEGACY)
def test_prompt_and_sampling_results_are_adapted(version: str) -> None:
    prompt = to_wire(t.GetPromptResult(messages=[
        t.PromptMessage(role="user", content=t.ResourceLink(uri="file:///a", name="a")),
        t.PromptMessage(role="user", content=t.AudioContent(data="AA==", mime_type="audio/wav")),
    ]))
    validate(version, "GetPromptResult", result_for_version(prompt, version))
    sampled = to_wire(t.CreateMessageResult(role="assistant", model="m", content=t.AudioContent(
        data="AA==", mime_type="audio/wav")))
    adapted = result_for_version(sampled, version)
    validate(version, "CreateMessageResult", adapted)
    elicited = {"action": "accept", "content": {"type": "not a block", "name": "x"}}
    assert result_for_version(elicited, version) is elicited  # form values are not content blocks


def test_every_revision_knows_text() -> None:
    block = {"type": "text", "text": "x"}
    assert all(content_for_version(block, v) is block for v in VERSIONS if v != "ext-tasks")
