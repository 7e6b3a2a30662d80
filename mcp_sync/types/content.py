"""Content blocks, resource contents, annotations and icons."""

from typing import Any, Literal, Union

from .base import UNSET, WireType, by_key, register_union, wire
from .common import Role


@wire
class Annotations(WireType):
    audience: list[Role] | None = None
    priority: float | None = None
    last_modified: str | None = None


@wire
class Icon(WireType):
    src: str
    mime_type: str | None = None
    sizes: list[str] | None = None
    theme: Literal["light", "dark"] | None = None


@wire
class TextContent(WireType):
    type: Literal["text"] = "text"
    text: str
    annotations: Annotations | None = None
    meta: dict[str, Any] | None = None


@wire
class ImageContent(WireType):
    type: Literal["image"] = "image"
    data: str  # base64
    mime_type: str
    annotations: Annotations | None = None
    meta: dict[str, Any] | None = None


@wire
class AudioContent(WireType):
    """Audio (2025-03-26 and later)."""

    type: Literal["audio"] = "audio"
    data: str  # base64
    mime_type: str
    annotations: Annotations | None = None
    meta: dict[str, Any] | None = None


@wire
class ResourceLink(WireType):
    """A link to a resource (2025-06-18 and later); same fields as ``Resource``."""

    type: Literal["resource_link"] = "resource_link"
    uri: str
    name: str
    title: str | None = None
    description: str | None = None
    mime_type: str | None = None
    size: int | None = None
    icons: list[Icon] | None = None
    annotations: Annotations | None = None
    meta: dict[str, Any] | None = None


@wire
class TextResourceContents(WireType):
    uri: str
    mime_type: str | None = None
    text: str
    meta: dict[str, Any] | None = None


@wire
class BlobResourceContents(WireType):
    uri: str
    mime_type: str | None = None
    blob: str  # base64
    meta: dict[str, Any] | None = None


#: Contents of a resource: told apart by the presence of ``text`` or ``blob``.
ResourceContents = Union[TextResourceContents, BlobResourceContents]


def _choose_resource_contents(value: Any) -> type:
    if isinstance(value, dict):
        if "text" in value:
            return TextResourceContents
        if "blob" in value:
            return BlobResourceContents
        raise ValueError("resource contents need a 'text' or a 'blob' member")
    raise TypeError("expected a JSON object (resource contents)")


register_union("ResourceContents", ResourceContents, _choose_resource_contents)


@wire
class EmbeddedResource(WireType):
    type: Literal["resource"] = "resource"
    resource: ResourceContents
    annotations: Annotations | None = None
    meta: dict[str, Any] | None = None


@wire
class UnknownContent(WireType):
    """A content block of a ``type`` this SDK does not know; every other key is in ``extra``."""

    type: str


#: A content block of prompts, tool results and embedded messages.
ContentBlock = Union[TextContent, ImageContent, AudioContent, ResourceLink, EmbeddedResource, UnknownContent]

register_union("ContentBlock", ContentBlock,
    by_key(
        "type",
        {
            "text": TextContent,
            "image": ImageContent,
            "audio": AudioContent,
            "resource_link": ResourceLink,
            "resource": EmbeddedResource,
        },
        what="content block",
        fallback=UnknownContent,
    ),
)


@wire
class ToolUseContent(WireType):
    """A model's tool call inside a sampling message (2025-11-25 and later)."""

    type: Literal["tool_use"] = "tool_use"
    id: str
    name: str
    input: dict[str, Any]
    meta: dict[str, Any] | None = None


@wire
class ToolResultContent(WireType):
    """The result of a tool call inside a sampling message (2025-11-25 and later)."""

    type: Literal["tool_result"] = "tool_result"
    tool_use_id: str
    content: list[ContentBlock]
    structured_content: Any = UNSET
    is_error: bool | None = None
    meta: dict[str, Any] | None = None


#: A content block of a sampling message (schema: ``SamplingMessageContentBlock``).
SamplingContentBlock = Union[
    TextContent, ImageContent, AudioContent, ToolUseContent, ToolResultContent, UnknownContent
]

register_union("SamplingContentBlock", SamplingContentBlock,
    by_key(
        "type",
        {
            "text": TextContent,
            "image": ImageContent,
            "audio": AudioContent,
            "tool_use": ToolUseContent,
            "tool_result": ToolResultContent,
        },
        what="sampling content block",
        fallback=UnknownContent,
    ),
)

#: ``content`` of a sampling message or result: one block or a list of them.
SamplingContent = Union[SamplingContentBlock, list[SamplingContentBlock]]


def _choose_sampling_content(value: Any) -> Any:
    return list[SamplingContentBlock] if isinstance(value, list) else SamplingContentBlock


register_union("SamplingContent", SamplingContent, _choose_sampling_content)
