"""``sampling/createMessage``: building the request (messages, tools, tool choice) and the result."""

from __future__ import annotations

from typing import Any, Callable, Mapping, Sequence

import attrs

from .results import one_block, unwire


@attrs.frozen
class SamplingResult:
    """What the client's model answered (a CreateMessageResult).

    ``content`` is one block or a list of blocks (wire dicts); ``text`` joins
    the text blocks; ``tool_uses`` lists the ``tool_use`` blocks.
    """

    role: str
    content: Any
    model: str
    stop_reason: str | None = None
    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False)

    def _blocks(self) -> list[Any]:
        return self.content if isinstance(self.content, list) else [self.content]

    @property
    def text(self) -> str:
        return "".join(b.get("text", "") for b in self._blocks() if isinstance(b, dict) and b.get("type") == "text")

    @property
    def tool_uses(self) -> list[dict[str, Any]]:
        return [b for b in self._blocks() if isinstance(b, dict) and b.get("type") == "tool_use"]

    @classmethod
    def from_wire(cls, raw: Any) -> "SamplingResult":
        if not isinstance(raw, dict) or "content" not in raw:
            raise ValueError(f"the client sent an invalid sampling result: {raw!r}")
        return cls(role=raw.get("role", "assistant"), content=raw["content"], model=str(raw.get("model", "")),
                   stop_reason=raw.get("stopReason"), raw=raw)


def _message(item: Any) -> dict[str, Any]:
    item = unwire(item)
    if isinstance(item, str):
        return {"role": "user", "content": {"type": "text", "text": item}}
    if isinstance(item, dict) and "role" in item and "content" in item:
        content = item["content"]
        if isinstance(content, list):
            return {**item, "content": [one_block(b) for b in content]}
        return {**item, "content": one_block(content)}
    raise TypeError(f"cannot use a {type(item).__name__} as a sampling message; pass strings or "
                    f"{{'role': ..., 'content': ...}} messages")


def messages(value: Any) -> list[dict[str, Any]]:
    if isinstance(value, (str, dict)) or not isinstance(value, Sequence):
        value = [value]
    return [_message(m) for m in value]


def tool_spec(tool: Any, lookup: Callable[[str], dict[str, Any] | None]) -> dict[str, Any]:
    """A Tool dict for sampling: a dict / types.Tool, a registered tool's name, or a function."""
    tool = unwire(tool)
    if isinstance(tool, dict):
        return tool
    if isinstance(tool, str):
        found = lookup(tool)
        if found is None:
            raise ValueError(f"no tool named {tool!r} is registered on this server")
        return found
    if callable(tool):
        from .context import skip_context
        from .schema import build_tool_signature

        sig = build_tool_signature(tool, skip=skip_context, structured_output=False)
        spec: dict[str, Any] = {"name": sig.name, "inputSchema": sig.input_schema}
        if sig.description:
            spec["description"] = sig.description
        return spec
    raise TypeError(f"cannot use a {type(tool).__name__} as a sampling tool")


def tool_choice(value: Any) -> dict[str, Any]:
    if isinstance(value, str):
        if value not in ("auto", "required", "none"):
            raise ValueError(f"tool_choice must be 'auto', 'required' or 'none', not {value!r}")
        return {"mode": value}
    return dict(unwire(value))
