"""Every official 2026-07-28 example round-trips through the wire types to an
equal JSON value, and the re-emitted value validates against the schema."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import attrs
import pytest

import mcp_sync.types as t
from mcp_sync.types import from_wire, to_wire
from tests.wire_schema import SCHEMA_ROOT, validate

VERSION = "2026-07-28"
EXAMPLES = SCHEMA_ROOT / VERSION / "examples"

# How each example directory (= schema definition) maps onto our types:
#   ("value", T)    the example is a T
#   ("params", T)   a request/notification envelope whose params are a T
#   ("result", T)   a response envelope whose result is a T
#   ("error", None) a JSON-RPC error object; ("error_envelope", None) one in a response
#   ("schema", None) a restricted elicitation property schema, kept as a plain dict
MAPPING: dict[str, tuple[str, Any]] = {
    "AudioContent": ("value", t.ContentBlock),
    "BlobResourceContents": ("value", t.ResourceContents),
    "BooleanSchema": ("schema", None),
    "CallToolRequest": ("params", t.CallToolRequestParams),
    "CallToolRequestParams": ("value", t.CallToolRequestParams),
    "CallToolResult": ("value", t.AnyCallToolResult),
    "CallToolResultResponse": ("result", t.AnyCallToolResult),
    "CancelledNotification": ("params", t.CancelledNotificationParams),
    "CancelledNotificationParams": ("value", t.CancelledNotificationParams),
    "ClientCapabilities": ("value", t.ClientCapabilities),
    "CompleteRequest": ("params", t.CompleteRequestParams),
    "CompleteRequestParams": ("value", t.CompleteRequestParams),
    "CompleteResult": ("value", t.CompleteResult),
    "CompleteResultResponse": ("result", t.CompleteResult),
    "CreateMessageRequest": ("value", t.InputRequest),
    "CreateMessageRequestParams": ("value", t.CreateMessageRequestParams),
    "CreateMessageResult": ("value", t.CreateMessageResult),
    "DiscoverRequest": ("params", t.RequestParams),
    "DiscoverResult": ("value", t.DiscoverResult),
    "DiscoverResultResponse": ("result", t.DiscoverResult),
    "ElicitRequest": ("value", t.InputRequest),
    "ElicitRequestFormParams": ("value", t.ElicitRequestParams),
    "ElicitRequestURLParams": ("value", t.ElicitRequestParams),
    "ElicitResult": ("value", t.ElicitResult),
    "EmbeddedResource": ("value", t.ContentBlock),
    "GetPromptRequest": ("params", t.GetPromptRequestParams),
    "GetPromptRequestParams": ("value", t.GetPromptRequestParams),
    "GetPromptResult": ("value", t.AnyGetPromptResult),
    "GetPromptResultResponse": ("result", t.AnyGetPromptResult),
    "HeaderMismatchError": ("error_envelope", None),
    "ImageContent": ("value", t.ContentBlock),
    "InputRequests": ("value", t.InputRequests),
    "InputRequiredResult": ("value", t.InputRequiredResult),
    "InputResponses": ("value", t.InputResponses),
    "InternalError": ("error", None),
    "InvalidParamsError": ("error", None),
    "ListPromptsRequest": ("params", t.PaginatedRequestParams),
    "ListPromptsResult": ("value", t.ListPromptsResult),
    "ListPromptsResultResponse": ("result", t.ListPromptsResult),
    "ListResourceTemplatesRequest": ("params", t.PaginatedRequestParams),
    "ListResourceTemplatesResult": ("value", t.ListResourceTemplatesResult),
    "ListResourceTemplatesResultResponse": ("result", t.ListResourceTemplatesResult),
    "ListResourcesRequest": ("params", t.PaginatedRequestParams),
    "ListResourcesResult": ("value", t.ListResourcesResult),
    "ListResourcesResultResponse": ("result", t.ListResourcesResult),
    "ListRootsRequest": ("value", t.InputRequest),
    "ListRootsResult": ("value", t.ListRootsResult),
    "ListToolsRequest": ("params", t.PaginatedRequestParams),
    "ListToolsResult": ("value", t.ListToolsResult),
    "ListToolsResultResponse": ("result", t.ListToolsResult),
    "LoggingMessageNotification": ("params", t.LoggingMessageNotificationParams),
    "LoggingMessageNotificationParams": ("value", t.LoggingMessageNotificationParams),
    "MethodNotFoundError": ("error", None),
    "MissingRequiredClientCapabilityError": ("error_envelope", None),
    "ModelPreferences": ("value", t.ModelPreferences),
    "NumberSchema": ("schema", None),
    "PaginatedRequestParams": ("value", t.PaginatedRequestParams),
    "ParseError": ("error", None),
    "ProgressNotification": ("params", t.ProgressNotificationParams),
    "ProgressNotificationParams": ("value", t.ProgressNotificationParams),
    "PromptListChangedNotification": ("params", t.NotificationParams),
    "ReadResourceRequest": ("params", t.ReadResourceRequestParams),
    "ReadResourceResult": ("value", t.AnyReadResourceResult),
    "ReadResourceResultResponse": ("result", t.AnyReadResourceResult),
    "Resource": ("value", t.Resource),
    "ResourceLink": ("value", t.ContentBlock),
    "ResourceListChangedNotification": ("params", t.NotificationParams),
    "ResourceUpdatedNotification": ("params", t.ResourceUpdatedNotificationParams),
    "ResourceUpdatedNotificationParams": ("value", t.ResourceUpdatedNotificationParams),
    "Root": ("value", t.Root),
    "SamplingMessage": ("value", t.SamplingMessage),
    "ServerCapabilities": ("value", t.ServerCapabilities),
    "StringSchema": ("schema", None),
    "SubscriptionsAcknowledgedNotification": ("params", t.SubscriptionsAcknowledgedNotificationParams),
    "SubscriptionsListenRequest": ("params", t.SubscriptionsListenRequestParams),
    "SubscriptionsListenResult": ("value", t.SubscriptionsListenResult),
    "SubscriptionsListenResultResponse": ("result", t.SubscriptionsListenResult),
    "TextContent": ("value", t.ContentBlock),
    "TextResourceContents": ("value", t.ResourceContents),
    "TitledMultiSelectEnumSchema": ("schema", None),
    "TitledSingleSelectEnumSchema": ("schema", None),
    "Tool": ("value", t.Tool),
    "ToolListChangedNotification": ("params", t.NotificationParams),
    "ToolResultContent": ("value", t.SamplingContentBlock),
    "ToolUseContent": ("value", t.SamplingContentBlock),
    "UnsupportedProtocolVersionError": ("error_envelope", None),
    "UntitledMultiSelectEnumSchema": ("schema", None),
    "UntitledSingleSelectEnumSchema": ("schema", None),
}

# Keys an example carries that its type rightly keeps in ``extra``.
EXPECTED_EXTRA = {
    "ListRootsRequest": {"id"},  # an input request has no JSON-RPC id; the example has one
}


def example_files() -> list[Path]:
    files = sorted(EXAMPLES.glob("*/*.json"))
    assert files, f"no examples under {EXAMPLES}"
    return files


def test_every_example_directory_is_mapped() -> None:
    directories = {p.name for p in EXAMPLES.iterdir() if p.is_dir()}
    assert directories, f"no example directories under {EXAMPLES}"
    unmapped = sorted(directories - MAPPING.keys())
    assert not unmapped, f"example directories without a mapping in MAPPING: {unmapped}"
    stale = sorted(MAPPING.keys() - directories)
    assert not stale, f"MAPPING entries without an example directory: {stale}"


def canonical(value: Any) -> str:
    """JSON text that tells 1, 1.0 and true apart (dict == does not)."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def extras(obj: Any, path: str = "") -> dict[str, set[str]]:
    """Every non-empty ``extra`` inside ``obj``: path -> keys."""
    found: dict[str, set[str]] = {}
    if isinstance(obj, t.WireType):
        if obj.extra:
            found[path or "<root>"] = set(obj.extra)
        for field in attrs.fields(type(obj)):
            if field.name != "extra":
                found.update(extras(getattr(obj, field.name), f"{path}.{field.name}"))
    elif isinstance(obj, list):
        for i, item in enumerate(obj):
            found.update(extras(item, f"{path}[{i}]"))
    elif isinstance(obj, dict):
        for key, item in obj.items():
            found.update(extras(item, f"{path}[{key!r}]"))
    return found


def unknown_parts(obj: Any) -> list[str]:
    """Parts read as UnknownContent/UnknownInputRequest (an example never needs them)."""
    if isinstance(obj, (t.UnknownContent, t.UnknownInputRequest)):
        return [type(obj).__name__]
    if isinstance(obj, t.WireType):
        return [u for f in attrs.fields(type(obj)) for u in unknown_parts(getattr(obj, f.name))]
    if isinstance(obj, list):
        return [u for item in obj for u in unknown_parts(item)]
    if isinstance(obj, dict):
        return [u for item in obj.values() for u in unknown_parts(item)]
    return []


@pytest.mark.parametrize("path", example_files(), ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_example_round_trips(path: Path) -> None:
    def_name = path.parent.name
    kind, target = MAPPING[def_name]
    data = json.loads(path.read_text(encoding="utf-8"))

    if kind == "schema":
        emitted = data  # restricted property schemas are plain dicts
    elif kind in ("error", "error_envelope"):
        raw = data if kind == "error" else data["error"]
        error = from_wire(t.JsonRpcError, raw)
        assert not error.extra
        emitted = to_wire(error) if kind == "error" else {**data, "error": to_wire(error)}
    else:
        member = {"value": None, "params": "params", "result": "result"}[kind]
        raw = data if member is None else data[member]
        obj = from_wire(target, raw)
        assert not unknown_parts(obj), f"parts of {def_name} read as unknown: {unknown_parts(obj)}"
        found = extras(obj)
        allowed = EXPECTED_EXTRA.get(def_name, set())
        assert all(keys <= allowed for keys in found.values()), f"unexpected unknown fields: {found}"
        wire = to_wire_any(obj)
        emitted = wire if member is None else {**data, member: wire}

    assert canonical(emitted) == canonical(data)
    validate(VERSION, def_name, emitted)


def to_wire_any(obj: Any) -> Any:
    """``to_wire`` for a wire object or a dict of them (``inputRequests``)."""
    if isinstance(obj, dict):
        return {key: to_wire_any(value) for key, value in obj.items()}
    return to_wire(obj)


def test_examples_are_read_as_the_precise_class() -> None:
    """Spot checks that discriminated unions pick the right class."""
    def load(def_name: str, stem: str) -> Any:
        return json.loads((EXAMPLES / def_name / f"{stem}.json").read_text(encoding="utf-8"))

    assert isinstance(from_wire(t.ContentBlock, load("AudioContent", "audio-wav-content")), t.AudioContent)
    assert isinstance(from_wire(t.ContentBlock, load("ResourceLink", "file-resource-link")), t.ResourceLink)
    assert isinstance(
        from_wire(t.ResourceContents, load("BlobResourceContents", "image-file-contents")), t.BlobResourceContents
    )
    url = from_wire(t.ElicitRequestParams, load("ElicitRequestURLParams", "elicit-sensitive-data"))
    assert isinstance(url, t.ElicitRequestURLParams) and url.elicitation_id is None
    mrtr = from_wire(t.AnyCallToolResult, load(
        "InputRequiredResult", "input-required-result-with-elicitation-and-sampling-and-request-state"))
    assert isinstance(mrtr, t.InputRequiredResult)
    assert isinstance(mrtr.input_requests["github_login"], t.ElicitInputRequest)
    assert isinstance(mrtr.input_requests["github_login"].params, t.ElicitRequestFormParams)
    assert isinstance(mrtr.input_requests["capital_of_france"], t.CreateMessageInputRequest)
    responses = from_wire(t.InputResponses, load("InputResponses", "elicitation-and-sampling-input-responses"))
    assert isinstance(responses["github_login"], t.ElicitResult)
    assert isinstance(responses["capital_of_france"], t.CreateMessageResult)
    tool_use = from_wire(t.CreateMessageResult, load("CreateMessageResult", "tool-use-response"))
    assert all(isinstance(block, t.ToolUseContent) for block in tool_use.content)
    array_result = from_wire(t.CallToolResult, load("CallToolResult", "result-with-array-structured-content"))
    assert isinstance(array_result.structured_content, list)
