"""2026-07-28 additions: multi round-trip requests (MRTR) and subscriptions.

* A server that needs input answers ``tools/call``, ``prompts/get`` or
  ``resources/read`` with :class:`InputRequiredResult`; the client retries the
  request with ``inputResponses`` (and ``requestState``) in its params.
* ``subscriptions/listen`` replaces the GET stream and ``resources/subscribe``.

Cacheable results (``ttlMs``/``cacheScope``) carry those fields on their own
classes (``ListToolsResult``, ``ReadResourceResult``, ``DiscoverResult``...).
"""

from typing import Any, Literal, Union

from .base import WireType, by_key, json_type_name, register_union, wire
from .common import RequestParams
from .elicitation import ElicitRequestParams, ElicitResult
from .roots import ListRootsResult
from .sampling import CreateMessageRequestParams, CreateMessageResult


@wire
class ElicitInputRequest(WireType):
    method: Literal["elicitation/create"] = "elicitation/create"
    params: ElicitRequestParams


@wire
class CreateMessageInputRequest(WireType):
    method: Literal["sampling/createMessage"] = "sampling/createMessage"
    params: CreateMessageRequestParams


@wire
class ListRootsInputRequest(WireType):
    method: Literal["roots/list"] = "roots/list"
    params: RequestParams | None = None


@wire
class UnknownInputRequest(WireType):
    """An input request of a method this SDK does not know."""

    method: str
    params: dict[str, Any] | None = None


#: One entry of ``inputRequests``, told apart by ``method``.
InputRequest = Union[ElicitInputRequest, CreateMessageInputRequest, ListRootsInputRequest, UnknownInputRequest]

register_union("InputRequest", InputRequest,
    by_key(
        "method",
        {
            "elicitation/create": ElicitInputRequest,
            "sampling/createMessage": CreateMessageInputRequest,
            "roots/list": ListRootsInputRequest,
        },
        what="input request",
        fallback=UnknownInputRequest,
    ),
)

#: One entry of ``inputResponses``; an answer of unknown shape stays a plain dict.
InputResponse = Union[ElicitResult, CreateMessageResult, ListRootsResult, dict[str, Any]]


def _choose_input_response(value: Any) -> Any:
    if not isinstance(value, dict):
        raise TypeError(f"expected a JSON object (input response), got {json_type_name(value)}")
    if "action" in value:
        return ElicitResult
    if "roots" in value:
        return ListRootsResult
    if "model" in value or "role" in value:
        return CreateMessageResult
    return dict[str, Any]


register_union("InputResponse", InputResponse, _choose_input_response)

InputRequests = dict[str, InputRequest]
InputResponses = dict[str, InputResponse]


@wire
class InputRequiredResult(WireType):
    """``resultType: "input_required"``: answer ``input_requests``, then retry."""

    result_type: str = "input_required"
    input_requests: InputRequests | None = None
    request_state: str | None = None
    meta: dict[str, Any] | None = None


@wire
class SubscriptionFilter(WireType):
    """Which notifications a ``subscriptions/listen`` stream carries."""

    tools_list_changed: bool | None = None
    prompts_list_changed: bool | None = None
    resources_list_changed: bool | None = None
    resource_subscriptions: list[str] | None = None
    #: Tasks extension: task ids whose ``notifications/tasks`` are wanted.
    task_ids: list[str] | None = None


@wire
class SubscriptionsListenRequestParams(WireType):
    notifications: SubscriptionFilter
    meta: dict[str, Any] | None = None


@wire
class SubscriptionsListenResult(WireType):
    """Graceful end of a listen stream; ``_meta`` carries the subscription id."""

    result_type: str | None = None
    meta: dict[str, Any]


@wire
class SubscriptionsAcknowledgedNotificationParams(WireType):
    """First message of a listen stream: the subset of ``notifications`` honoured."""

    notifications: SubscriptionFilter
    meta: dict[str, Any] | None = None
