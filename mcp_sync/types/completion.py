"""Argument completion (``completion/complete``)."""

from typing import Any, Literal, Union

from .base import WireType, by_key, register_union, wire


@wire
class PromptReference(WireType):
    type: Literal["ref/prompt"] = "ref/prompt"
    name: str
    title: str | None = None


@wire
class ResourceTemplateReference(WireType):
    """A resource URI or URI template (``ResourceReference`` before 2025-06-18)."""

    type: Literal["ref/resource"] = "ref/resource"
    uri: str


#: What is being completed, told apart by ``type``.
CompletionReference = Union[PromptReference, ResourceTemplateReference]

register_union("CompletionReference", CompletionReference,
    by_key(
        "type",
        {"ref/prompt": PromptReference, "ref/resource": ResourceTemplateReference},
        what="completion reference",
    ),
)


@wire
class CompletionArgument(WireType):
    name: str
    value: str


@wire
class CompletionContext(WireType):
    """Previously resolved argument values (2025-06-18 and later)."""

    arguments: dict[str, str] | None = None


@wire
class CompleteRequestParams(WireType):
    ref: CompletionReference
    argument: CompletionArgument
    context: CompletionContext | None = None
    meta: dict[str, Any] | None = None


@wire
class Completion(WireType):
    values: list[str]  # at most 100
    total: int | None = None
    has_more: bool | None = None


@wire
class CompleteResult(WireType):
    completion: Completion
    result_type: str | None = None
    meta: dict[str, Any] | None = None
