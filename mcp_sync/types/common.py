"""Types shared by every area: ids, roles, generic params/results, `_meta` keys."""

from typing import Any, Literal, Union

from .base import UNSET, WireType, wire

#: JSON-RPC request id.
RequestId = Union[str, int]
#: Progress token (``_meta.progressToken``); same shape as a request id.
ProgressToken = Union[str, int]
Role = Literal["user", "assistant"]
#: ``cacheScope`` of cacheable 2026-07-28 results.
CacheScope = Literal["public", "private"]

# ``resultType`` values (2026-07-28; absent means "complete").
RESULT_COMPLETE = "complete"
RESULT_INPUT_REQUIRED = "input_required"
RESULT_TASK = "task"  # tasks extension

# Reserved ``_meta`` keys.
META_PROGRESS_TOKEN = "progressToken"
META_PROTOCOL_VERSION = "io.modelcontextprotocol/protocolVersion"
META_CLIENT_CAPABILITIES = "io.modelcontextprotocol/clientCapabilities"
META_CLIENT_INFO = "io.modelcontextprotocol/clientInfo"
META_LOG_LEVEL = "io.modelcontextprotocol/logLevel"
META_SERVER_INFO = "io.modelcontextprotocol/serverInfo"
META_SUBSCRIPTION_ID = "io.modelcontextprotocol/subscriptionId"
META_RELATED_TASK = "io.modelcontextprotocol/related-task"  # 2025-11-25 tasks
META_MODEL_IMMEDIATE_RESPONSE = "io.modelcontextprotocol/model-immediate-response"  # 2025-11-25


@wire
class RequestParams(WireType):
    """Params of a request with nothing but ``_meta`` (ping, server/discover, roots/list)."""

    meta: dict[str, Any] | None = None


@wire
class PaginatedRequestParams(WireType):
    """Params of the ``*/list`` requests."""

    cursor: str | None = None
    meta: dict[str, Any] | None = None


@wire
class NotificationParams(WireType):
    """Params of a notification with nothing but ``_meta`` (list_changed, initialized)."""

    meta: dict[str, Any] | None = None


@wire
class EmptyResult(WireType):
    """A result with no content (ping, logging/setLevel, tasks extension acks)."""

    result_type: str | None = None
    meta: dict[str, Any] | None = None


@wire
class JsonRpcError(WireType):
    """The ``error`` member of a JSON-RPC error response (``code``, ``message``, ``data``)."""

    code: int
    message: str
    data: Any = UNSET
