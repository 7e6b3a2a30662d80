"""Adapting emitted wire dicts to the negotiated protocol revision.

Revisions are ``YYYY-MM-DD`` strings, so they compare in time order.

* :func:`content_for_version`: a content block the revision does not know
  (audio before 2025-03-26, resource_link before 2025-06-18, tool_use /
  tool_result before 2025-11-25, any type this SDK does not know) becomes a
  text block describing it.
* :func:`result_for_version`: 2026-07-28 results carry ``resultType``
  (added when missing); legacy results lose the 2026-only members
  (``resultType``, ``ttlMs``, ``cacheScope``), a ``structuredContent`` that is
  not an object (legacy revisions only allow objects), and have their content
  blocks adapted.
"""

import json
from typing import Any

MODERN_SINCE = "2026-07-28"

#: First revision that knows each content block type.
CONTENT_TYPE_SINCE: dict[str, str] = {
    "text": "2024-11-05",
    "image": "2024-11-05",
    "resource": "2024-11-05",
    "audio": "2025-03-26",
    "resource_link": "2025-06-18",
    "tool_use": "2025-11-25",
    "tool_result": "2025-11-25",
}


def _describe(block: dict[str, Any]) -> str:
    kind = block.get("type")
    if kind == "resource_link":
        label = block.get("title") or block.get("name") or block.get("uri")
        text = f"[Resource: {label} <{block.get('uri')}>]"
        if block.get("description"):
            text += f" {block['description']}"
        return text
    if kind == "audio":
        return f"[Audio content ({block.get('mimeType', 'unknown type')}) omitted]"
    if kind == "tool_use":
        args = json.dumps(block.get("input", {}), ensure_ascii=False, sort_keys=True)
        return f"[Tool call {block.get('name')} (id {block.get('id')}): {args}]"
    if kind == "tool_result":
        texts = [b.get("text", "") for b in block.get("content", ()) if isinstance(b, dict) and b.get("type") == "text"]
        return f"[Tool result for {block.get('toolUseId')}]" + ("\n" + "\n".join(texts) if texts else "")
    return f"[Unsupported content of type {kind!r} omitted]"


def content_for_version(block: dict[str, Any], version: str) -> dict[str, Any]:
    """``block`` itself when ``version`` knows its type, else a text block describing it."""
    since = CONTENT_TYPE_SINCE.get(block.get("type"))  # type: ignore[arg-type]
    if since is not None and version >= since:
        return block
    text: dict[str, Any] = {"type": "text", "text": _describe(block)}
    if isinstance(block.get("annotations"), dict):
        text["annotations"] = block["annotations"]
    return text


_MODERN_ONLY_RESULT_KEYS = ("resultType", "ttlMs", "cacheScope")


def result_for_version(result: dict[str, Any], version: str) -> dict[str, Any]:
    """A result dict adjusted for ``version`` (a new dict when something changes)."""
    if version >= MODERN_SINCE:
        if "resultType" in result:
            return result
        return {"resultType": "complete", **result}
    out = result
    if any(key in result for key in _MODERN_ONLY_RESULT_KEYS):
        out = {k: v for k, v in result.items() if k not in _MODERN_ONLY_RESULT_KEYS}
    if "structuredContent" in out and not isinstance(out["structuredContent"], dict):
        out = {k: v for k, v in out.items() if k != "structuredContent"}
    content = out.get("content")  # tools/call, sampling (not elicitation's form values)
    if isinstance(content, list):
        adapted = [content_for_version(b, version) if isinstance(b, dict) else b for b in content]
        if any(a is not b for a, b in zip(adapted, content)):
            out = {**out, "content": adapted}
    elif isinstance(content, dict) and "model" in out:  # a sampling result's single block
        block = content_for_version(content, version)
        if block is not content:
            out = {**out, "content": block}
    messages = out.get("messages")  # prompts/get
    if isinstance(messages, list):
        adapted = [_message_for_version(m, version) for m in messages]
        if any(a is not b for a, b in zip(adapted, messages)):
            out = {**out, "messages": adapted}
    return out


def _message_for_version(message: Any, version: str) -> Any:
    if isinstance(message, dict) and isinstance(message.get("content"), dict):
        block = content_for_version(message["content"], version)
        if block is not message["content"]:
            return {**message, "content": block}
    return message
