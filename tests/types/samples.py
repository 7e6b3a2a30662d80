"""Representative instances of the wire types, per protocol revision.

``ROWS`` maps schema definition names to a factory ``factory(version)`` that
builds an instance as a peer of that revision would send it, and to the way it
sits on the wire (``kind``):

* ``"value"``: the definition describes ``to_wire(obj)`` itself;
* ``"result"``: a result, emitted through ``compat.result_for_version``;
* ``("request", method)`` / ``("notification", method)``: the definition is the
  JSON-RPC envelope whose ``params`` are ``to_wire(obj)``;
* ``"response"``: a result inside a JSON-RPC response envelope;
* ``"meta"``: the definition describes ``to_wire(obj)["_meta"]``;
* ``"map"``: the factory returns a dict of wire objects (``inputRequests``);
* ``"error"`` / ``"error_envelope"``: a JSON-RPC error object, bare or in a
  response envelope.

A factory returns ``None`` when the definition does not apply to a revision.
"""

from __future__ import annotations

from typing import Any, Callable, NamedTuple

from mcp_sync.types import (
    AnyCallToolResult,
    AnyGetPromptResult,
    AnyReadResourceResult,
    Annotations,
    AudioContent,
    BlobResourceContents,
    CallToolRequestParams,
    CallToolResult,
    CancelledNotificationParams,
    CancelTaskRequestParams,
    CancelTaskResult,
    ClientCapabilities,
    ClientTaskRequests,
    ClientTasksCapability,
    CompleteRequestParams,
    CompleteResult,
    Completion,
    CompletionArgument,
    CompletionContext,
    CreateMessageInputRequest,
    CreateMessageRequestParams,
    CreateMessageResult,
    CreateTaskResult,
    DiscoverResult,
    ElicitationCapability,
    ElicitationCompleteNotificationParams,
    ElicitationTaskRequests,
    ElicitInputRequest,
    ElicitRequestFormParams,
    ElicitRequestURLParams,
    ElicitResult,
    EmbeddedResource,
    EmptyResult,
    ExtCreateTaskResult,
    ExtDetailedTask,
    ExtGetTaskResult,
    ExtTask,
    ExtTaskNotificationParams,
    ExtUpdateTaskRequestParams,
    GetPromptRequestParams,
    GetPromptResult,
    GetTaskPayloadRequestParams,
    GetTaskRequestParams,
    GetTaskResult,
    Icon,
    ImageContent,
    Implementation,
    InitializeRequestParams,
    InitializeResult,
    InputRequest,
    InputRequests,
    InputRequiredResult,
    InputResponse,
    InputResponses,
    JsonRpcError,
    ListPromptsResult,
    ListResourcesResult,
    ListResourceTemplatesResult,
    ListRootsInputRequest,
    ListRootsResult,
    ListTasksResult,
    ListToolsResult,
    LoggingMessageNotificationParams,
    ModelHint,
    ModelPreferences,
    NotificationParams,
    PaginatedRequestParams,
    ProgressNotificationParams,
    Prompt,
    PromptArgument,
    PromptMessage,
    PromptReference,
    PromptsCapability,
    ReadResourceRequestParams,
    ReadResourceResult,
    RelatedTaskMetadata,
    RequestParams,
    Resource,
    ResourceLink,
    ResourcesCapability,
    ResourceTemplate,
    ResourceTemplateReference,
    ResourceUpdatedNotificationParams,
    Root,
    RootsCapability,
    SamplingCapability,
    SamplingMessage,
    SamplingTaskRequests,
    ServerCapabilities,
    ServerTaskRequests,
    ServerTasksCapability,
    SetLevelRequestParams,
    SubscribeRequestParams,
    SubscriptionFilter,
    SubscriptionsAcknowledgedNotificationParams,
    SubscriptionsListenRequestParams,
    SubscriptionsListenResult,
    Task,
    TaskMetadata,
    TaskStatusNotificationParams,
    TextContent,
    TextResourceContents,
    Tool,
    ToolAnnotations,
    ToolChoice,
    ToolExecution,
    ToolResultContent,
    ToolsCapability,
    ToolsTaskRequests,
    ToolUseContent,
    UNSET,
    UnsubscribeRequestParams,
    to_wire,
)

V2024, V2025_03, V2025_06, V2025_11, V2026, EXT = (
    "2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25", "2026-07-28", "ext-tasks",
)
VERSIONS = (V2024, V2025_03, V2025_06, V2025_11, V2026, EXT)
MODERN = (V2026, EXT)


def at_least(version: str, since: str) -> bool:
    """``version`` has the features of ``since`` (ext-tasks counts as 2026-07-28)."""
    return (V2026 if version == EXT else version) >= since


class Row(NamedTuple):
    def_name: str
    kind: Any
    factory: Callable[[str], Any]
    #: What to read the emitted value back as (default: the instance's class).
    read_as: Any = None


# -- building blocks ------------------------------------------------------------------

def request_meta(version: str) -> dict[str, Any] | None:
    """``_meta`` of a request: the 2026 per-request fields, or a progress token."""
    if version in MODERN:
        return {
            "io.modelcontextprotocol/protocolVersion": V2026,
            "io.modelcontextprotocol/clientCapabilities": {"elicitation": {"form": {}}},
            "io.modelcontextprotocol/clientInfo": {"name": "sample-client", "version": "1.0"},
            "progressToken": "p-1",
        }
    return {"progressToken": 7}


def result_meta(version: str) -> dict[str, Any] | None:
    if version in MODERN:
        return {"io.modelcontextprotocol/serverInfo": {"name": "sample-server", "version": "2.0"}}
    return {"com.example/trace": "abc"}


def icons(version: str) -> list[Icon] | None:
    if not at_least(version, V2025_11):
        return None
    return [Icon(src="https://example.com/i.png", mime_type="image/png", sizes=["48x48"], theme="light")]


def annotations_for(version: str) -> Annotations:
    if at_least(version, V2025_06):
        return Annotations(audience=["user", "assistant"], priority=0.5, last_modified="2025-01-12T15:00:58Z")
    return Annotations(audience=["user"], priority=0.5)


def text(version: str) -> TextContent:
    return TextContent(text="hello", annotations=annotations_for(version),
                       meta={"k": 1} if at_least(version, V2025_06) else None)


def image(version: str) -> ImageContent:
    return ImageContent(data="iVBORw0KGgo=", mime_type="image/png")


def audio(version: str) -> AudioContent:
    return AudioContent(data="UklGRg==", mime_type="audio/wav")


def resource_link(version: str) -> ResourceLink:
    return ResourceLink(uri="file:///a.txt", name="a.txt", title="A", description="the a file",
                        mime_type="text/plain", size=12, icons=icons(version), annotations=annotations_for(version))


def text_contents(version: str) -> TextResourceContents:
    return TextResourceContents(uri="file:///a.txt", mime_type="text/plain", text="a",
                                meta={"x": 1} if at_least(version, V2025_06) else None)


def blob_contents(version: str) -> BlobResourceContents:
    return BlobResourceContents(uri="file:///b.bin", mime_type="application/octet-stream", blob="AAE=")


def embedded(version: str) -> EmbeddedResource:
    return EmbeddedResource(resource=text_contents(version), annotations=annotations_for(version))


def content_blocks(version: str) -> list:
    """Every content block type; results carrying them go through compat for old revisions."""
    return [text(version), image(version), audio(version), resource_link(version), embedded(version)]


def implementation(version: str) -> Implementation:
    if at_least(version, V2025_11):
        return Implementation(name="impl", version="1.0", title="Impl", description="an implementation",
                              website_url="https://example.com", icons=icons(version))
    if at_least(version, V2025_06):
        return Implementation(name="impl", version="1.0", title="Impl")
    return Implementation(name="impl", version="1.0")


def tool(version: str) -> Tool:
    schema = {
        "type": "object",
        "properties": {"city": {"type": "string"}, "units": {"enum": ["c", "f"]}},
        "required": ["city"],
    }
    return Tool(
        name="get_weather",
        title="Weather" if at_least(version, V2025_06) else None,
        description="Weather for a city",
        icons=icons(version),
        input_schema=schema,
        output_schema={"type": "object", "properties": {"t": {"type": "number"}}} if at_least(version, V2025_06) else None,
        annotations=ToolAnnotations(title="Weather", read_only_hint=True, destructive_hint=False,
                                    idempotent_hint=True, open_world_hint=True)
        if at_least(version, V2025_03) else None,
        execution=ToolExecution(task_support="optional") if version == V2025_11 else None,
        meta={"com.example/v": 2} if at_least(version, V2025_06) else None,
    )


def resource(version: str) -> Resource:
    return Resource(uri="file:///a.txt", name="a.txt", title="A" if at_least(version, V2025_06) else None,
                    description="the a file", mime_type="text/plain", size=12, icons=icons(version),
                    annotations=annotations_for(version))


def resource_template(version: str) -> ResourceTemplate:
    return ResourceTemplate(uri_template="file:///{path}", name="files", description="any file",
                            mime_type="text/plain", icons=icons(version), annotations=annotations_for(version))


def prompt(version: str) -> Prompt:
    return Prompt(name="review", description="Review code", icons=icons(version),
                  arguments=[PromptArgument(name="code", description="the code", required=True)])


def sampling_params(version: str) -> CreateMessageRequestParams:
    tools_ok = at_least(version, V2025_11)
    return CreateMessageRequestParams(
        messages=[
            SamplingMessage(role="user", content=TextContent(text="What is the weather?")),
            *(
                [
                    SamplingMessage(role="assistant", content=[
                        ToolUseContent(id="c1", name="get_weather", input={"city": "Paris"})]),
                    SamplingMessage(role="user", content=[
                        ToolResultContent(tool_use_id="c1", content=[TextContent(text="18C")],
                                          structured_content={"t": 18}, is_error=False)]),
                ]
                if tools_ok else [SamplingMessage(role="user", content=image(version))]
            ),
        ],
        model_preferences=ModelPreferences(hints=[ModelHint(name="claude")], cost_priority=0.2,
                                            speed_priority=0.5, intelligence_priority=0.9),
        system_prompt="Be brief.",
        include_context="none",
        temperature=0.3,
        max_tokens=200,
        stop_sequences=["STOP"],
        metadata={"provider": {"x": 1}},
        tools=[tool(V2026)] if tools_ok else None,
        tool_choice=ToolChoice(mode="auto") if tools_ok else None,
        task=TaskMetadata(ttl=60000) if version == V2025_11 else None,
        meta={"progressToken": "s1"} if version not in MODERN else None,
    )


def sampling_result(version: str) -> CreateMessageResult:
    if at_least(version, V2025_11):
        return CreateMessageResult(role="assistant", content=[ToolUseContent(id="c2", name="get_weather",
                                                                             input={"city": "Rome"})],
                                   model="m-1", stop_reason="toolUse")
    return CreateMessageResult(role="assistant", content=TextContent(text="Sunny"), model="m-1",
                               stop_reason="endTurn")


def form_params(version: str) -> ElicitRequestFormParams:
    return ElicitRequestFormParams(
        mode="form" if at_least(version, V2025_11) else None,
        message="Your name?",
        requested_schema={
            "type": "object",
            "properties": {"name": {"type": "string", "minLength": 1}, "age": {"type": "integer", "minimum": 0}},
            "required": ["name"],
        },
        task=TaskMetadata(ttl=1000) if version == V2025_11 else None,
    )


def url_params(version: str) -> ElicitRequestURLParams:
    return ElicitRequestURLParams(message="Log in", url="https://example.com/login",
                                  elicitation_id="e-1" if version == V2025_11 else None)


def elicit_result(version: str) -> ElicitResult:
    return ElicitResult(action="accept", content={"name": "Ada", "age": 36, "ok": True})


def client_caps(version: str) -> ClientCapabilities:
    caps = ClientCapabilities(
        experimental={"com.example/x": {}},
        roots=RootsCapability(list_changed=True) if version not in MODERN else RootsCapability(),
        sampling=SamplingCapability(context={}, tools={}) if at_least(version, V2025_11) else SamplingCapability(),
    )
    if at_least(version, V2025_11):
        caps.elicitation = ElicitationCapability(form={}, url={})
    elif at_least(version, V2025_06):
        caps.elicitation = ElicitationCapability()
    if version == V2025_11:
        caps.tasks = ClientTasksCapability(list={}, cancel={}, requests=ClientTaskRequests(
            sampling=SamplingTaskRequests(create_message={}), elicitation=ElicitationTaskRequests(create={})))
    if version in MODERN:
        caps.extensions = {"io.modelcontextprotocol/tasks": {}}
    return caps


def server_caps(version: str) -> ServerCapabilities:
    caps = ServerCapabilities(
        experimental={"com.example/y": {"on": True}},
        logging={},
        prompts=PromptsCapability(list_changed=True),
        resources=ResourcesCapability(subscribe=True, list_changed=True),
        tools=ToolsCapability(list_changed=False),
    )
    if at_least(version, V2025_03):
        caps.completions = {}
    if version == V2025_11:
        caps.tasks = ServerTasksCapability(list={}, cancel={}, requests=ServerTaskRequests(
            tools=ToolsTaskRequests(call={})))
    if version in MODERN:
        caps.extensions = {"io.modelcontextprotocol/tasks": {}}
    return caps


def legacy_task(status: str = "working") -> Task:
    return Task(task_id="t-1", status=status, status_message="busy", created_at="2025-11-25T10:00:00Z",
                last_updated_at="2025-11-25T10:01:00Z", ttl=None, poll_interval=500)


def task_fields(cls: type, status: str = "working", **more: Any) -> Any:
    return cls(task_id="t-1", status=status, status_message="busy", created_at="2025-11-25T10:00:00Z",
               last_updated_at="2025-11-25T10:01:00Z", ttl=None, poll_interval=500, **more)


def ext_fields(cls: type, status: str = "working", **more: Any) -> Any:
    return cls(task_id="t-1", status=status, status_message="busy", created_at="2026-08-01T10:00:00Z",
               last_updated_at="2026-08-01T10:01:00Z", ttl_ms=None, poll_interval_ms=1000, **more)


def input_requests(version: str) -> dict:
    return {
        "ask": ElicitInputRequest(params=form_params(V2026)),
        "url": ElicitInputRequest(params=url_params(V2026)),
        "llm": CreateMessageInputRequest(params=sampling_params(V2026)),
        "roots": ListRootsInputRequest(),
    }


def input_responses(version: str) -> dict:
    return {
        "ask": elicit_result(version),
        "llm": sampling_result(V2026),
        "roots": ListRootsResult(roots=[Root(uri="file:///w", name="w")]),
    }


def detailed(cls: type, status: str) -> Any:
    more: dict[str, Any] = {}
    if status == "input_required":
        more["input_requests"] = input_requests(V2026)
    elif status == "completed":
        more["result"] = {"resultType": "complete", "content": [{"type": "text", "text": "done"}], "isError": True}
    elif status == "failed":
        more["error"] = JsonRpcError(code=-32603, message="boom", data={"why": None})
    return ext_fields(cls, status, **more)


def only(*versions: str) -> Callable[[Callable[[str], Any]], Callable[[str], Any]]:
    def wrap(factory: Callable[[str], Any]) -> Callable[[str], Any]:
        return lambda v: factory(v) if v in versions else None
    return wrap


legacy_only = only(V2024, V2025_03, V2025_06, V2025_11)
v2025_11 = only(V2025_11)
modern_only = only(V2026, EXT)
ext_only = only(EXT)


def paginated(version: str) -> PaginatedRequestParams:
    return PaginatedRequestParams(cursor="c-2", meta=request_meta(version))


def cache(version: str) -> dict[str, Any]:
    return {"ttl_ms": 60000, "cache_scope": "private"} if version in MODERN else {}


# -- the table ----------------------------------------------------------------------------

ROWS: list[Row] = [
    # content and common objects
    Row("Annotations", "value", annotations_for),
    Row("Annotated", "value", text),
    Row("TextContent", "value", text),
    Row("ImageContent", "value", image),
    Row("AudioContent", "value", audio),
    Row("ResourceLink", "value", resource_link),
    Row("EmbeddedResource", "value", embedded),
    Row("ContentBlock", "value", resource_link),
    Row("TextResourceContents", "value", text_contents),
    Row("BlobResourceContents", "value", blob_contents),
    Row("ResourceContents", "value", text_contents),
    Row("ToolUseContent", "value", lambda v: ToolUseContent(id="c1", name="f", input={"a": [1]}, meta={"m": 1})),
    Row("ToolResultContent", "value", lambda v: ToolResultContent(
        tool_use_id="c1", content=[text(v), resource_link(v)], structured_content={"a": 1}, is_error=True)),
    Row("SamplingMessageContentBlock", "value", lambda v: ToolUseContent(id="c1", name="f", input={})),
    Row("Icon", "value", lambda v: icons(v)[0] if icons(v) else None),
    Row("Icons", "value", tool),
    Row("BaseMetadata", "value", prompt),
    Row("Implementation", "value", implementation),
    Row("Error", "value", lambda v: JsonRpcError(code=-32602, message="Invalid params", data=None)),
    # lifecycle
    Row("ClientCapabilities", "value", client_caps),
    Row("ServerCapabilities", "value", server_caps),
    Row("InitializeRequest", ("request", "initialize"), legacy_only(lambda v: InitializeRequestParams(
        protocol_version=v, capabilities=client_caps(v), client_info=implementation(v), meta=request_meta(v)))),
    Row("InitializeRequestParams", "value", legacy_only(lambda v: InitializeRequestParams(
        protocol_version=v, capabilities=client_caps(v), client_info=implementation(v)))),
    Row("InitializeResult", "result", legacy_only(lambda v: InitializeResult(
        protocol_version=v, capabilities=server_caps(v), server_info=implementation(v),
        instructions="Use get_weather.", meta=result_meta(v)))),
    Row("InitializedNotification", ("notification", "notifications/initialized"),
        legacy_only(lambda v: NotificationParams(meta={"com.example/a": 1}))),
    Row("PingRequest", ("request", "ping"), legacy_only(lambda v: RequestParams(meta=request_meta(v)))),
    Row("DiscoverRequest", ("request", "server/discover"), modern_only(lambda v: RequestParams(meta=request_meta(v)))),
    Row("DiscoverResult", "result", modern_only(lambda v: DiscoverResult(
        supported_versions=[V2026, V2025_11], capabilities=server_caps(v), instructions="hi", ttl_ms=0,
        cache_scope="public", meta=result_meta(v)))),
    Row("RequestParams", "value", lambda v: RequestParams(meta=request_meta(v))),
    Row("RequestMetaObject", "meta", modern_only(lambda v: RequestParams(meta=request_meta(v)))),
    Row("NotificationParams", "value", lambda v: NotificationParams(
        meta={"io.modelcontextprotocol/subscriptionId": "s-1"} if v in MODERN else {"a": 1})),
    Row("Result", "result", lambda v: EmptyResult(meta=result_meta(v))),
    Row("EmptyResult", "result", lambda v: EmptyResult(meta=result_meta(v))),
    # tools
    Row("Tool", "value", tool),
    Row("ToolAnnotations", "value", lambda v: ToolAnnotations(read_only_hint=False, open_world_hint=False)),
    Row("ToolExecution", "value", lambda v: ToolExecution(task_support="required")),
    Row("ListToolsRequest", ("request", "tools/list"), paginated),
    Row("PaginatedRequest", ("request", "tools/list"), paginated),
    Row("PaginatedRequestParams", "value", paginated),
    Row("ListToolsResult", "result", lambda v: ListToolsResult(
        tools=[tool(v)], next_cursor="c-3", meta=result_meta(v), **cache(v))),
    Row("PaginatedResult", "result", lambda v: ListToolsResult(tools=[], next_cursor="", **cache(v))),
    Row("CacheableResult", "result", lambda v: ListToolsResult(tools=[], **cache(v))),
    Row("CallToolRequest", ("request", "tools/call"), lambda v: CallToolRequestParams(
        name="get_weather", arguments={"city": "Paris", "n": [1, 2.5, None]}, meta=request_meta(v),
        task=TaskMetadata(ttl=30000) if v == V2025_11 else None)),
    Row("CallToolRequestParams", "value", lambda v: CallToolRequestParams(
        name="get_weather", arguments={"city": "Paris"}, meta=request_meta(v),
        input_responses=input_responses(v) if v in MODERN else None,
        request_state="opaque" if v in MODERN else None)),
    Row("TaskAugmentedRequestParams", "value", v2025_11(lambda v: CallToolRequestParams(
        name="x", task=TaskMetadata(ttl=5)))),
    Row("InputResponseRequestParams", "value", modern_only(lambda v: ReadResourceRequestParams(
        uri="file:///a", input_responses=input_responses(v), request_state="s", meta=request_meta(v)))),
    Row("CallToolResult", "result", lambda v: CallToolResult(
        content=content_blocks(v), structured_content={"t": 18} if at_least(v, V2025_06) else UNSET,
        is_error=False, meta=result_meta(v))),
    Row("ToolListChangedNotification", ("notification", "notifications/tools/list_changed"),
        lambda v: NotificationParams(meta={"io.modelcontextprotocol/subscriptionId": 3} if v in MODERN else None)),
    # resources
    Row("Resource", "value", resource),
    Row("ResourceTemplate", "value", resource_template),
    Row("ListResourcesRequest", ("request", "resources/list"), paginated),
    Row("ListResourcesResult", "result", lambda v: ListResourcesResult(
        resources=[resource(v)], next_cursor="n", meta=result_meta(v), **cache(v))),
    Row("ListResourceTemplatesRequest", ("request", "resources/templates/list"), paginated),
    Row("ListResourceTemplatesResult", "result", lambda v: ListResourceTemplatesResult(
        resource_templates=[resource_template(v)], **cache(v))),
    Row("ReadResourceRequest", ("request", "resources/read"),
        lambda v: ReadResourceRequestParams(uri="file:///a.txt", meta=request_meta(v))),
    Row("ReadResourceRequestParams", "value", lambda v: ReadResourceRequestParams(
        uri="file:///a.txt", meta=request_meta(v))),
    Row("ResourceRequestParams", "value", lambda v: ReadResourceRequestParams(
        uri="file:///a.txt", meta=request_meta(v))),
    Row("ReadResourceResult", "result", lambda v: ReadResourceResult(
        contents=[text_contents(v), blob_contents(v)], meta=result_meta(v), **cache(v))),
    Row("SubscribeRequest", ("request", "resources/subscribe"), legacy_only(
        lambda v: SubscribeRequestParams(uri="file:///a.txt"))),
    Row("SubscribeRequestParams", "value", legacy_only(lambda v: SubscribeRequestParams(uri="file:///a.txt"))),
    Row("UnsubscribeRequest", ("request", "resources/unsubscribe"), legacy_only(
        lambda v: UnsubscribeRequestParams(uri="file:///a.txt"))),
    Row("UnsubscribeRequestParams", "value", legacy_only(lambda v: UnsubscribeRequestParams(uri="file:///a"))),
    Row("ResourceUpdatedNotification", ("notification", "notifications/resources/updated"),
        lambda v: ResourceUpdatedNotificationParams(uri="file:///a.txt")),
    Row("ResourceUpdatedNotificationParams", "value", lambda v: ResourceUpdatedNotificationParams(
        uri="file:///a.txt", meta={"io.modelcontextprotocol/subscriptionId": "l-1"})),
    Row("ResourceListChangedNotification", ("notification", "notifications/resources/list_changed"),
        lambda v: NotificationParams()),
    # prompts and completion
    Row("Prompt", "value", prompt),
    Row("PromptArgument", "value", lambda v: PromptArgument(name="a", title="A", description="d", required=False)),
    Row("PromptMessage", "value", lambda v: PromptMessage(role="assistant", content=embedded(v))),
    Row("ListPromptsRequest", ("request", "prompts/list"), paginated),
    Row("ListPromptsResult", "result", lambda v: ListPromptsResult(prompts=[prompt(v)], **cache(v))),
    Row("GetPromptRequest", ("request", "prompts/get"), lambda v: GetPromptRequestParams(
        name="review", arguments={"code": "x = 1"}, meta=request_meta(v))),
    Row("GetPromptRequestParams", "value", lambda v: GetPromptRequestParams(name="review", meta=request_meta(v))),
    Row("GetPromptResult", "result", lambda v: GetPromptResult(
        description="Review", messages=[PromptMessage(role="user", content=text(v)),
                                        PromptMessage(role="user", content=resource_link(v))])),
    Row("PromptListChangedNotification", ("notification", "notifications/prompts/list_changed"),
        lambda v: NotificationParams()),
    Row("PromptReference", "value", lambda v: PromptReference(name="review",
                                                              title="Review" if at_least(v, V2025_06) else None)),
    Row("ResourceTemplateReference", "value", lambda v: ResourceTemplateReference(uri="file:///{path}")),
    Row("ResourceReference", "value", lambda v: ResourceTemplateReference(uri="file:///{path}")),
    Row("CompleteRequest", ("request", "completion/complete"), lambda v: CompleteRequestParams(
        ref=PromptReference(name="review"), argument=CompletionArgument(name="lang", value="py"),
        context=CompletionContext(arguments={"framework": "flask"}) if at_least(v, V2025_06) else None,
        meta=request_meta(v))),
    Row("CompleteRequestParams", "value", lambda v: CompleteRequestParams(
        ref=ResourceTemplateReference(uri="file:///{p}"), argument=CompletionArgument(name="p", value="a"),
        meta=request_meta(v))),
    Row("CompleteResult", "result", lambda v: CompleteResult(
        completion=Completion(values=["python", "pytorch"], total=10, has_more=True))),
    # logging
    Row("SetLevelRequest", ("request", "logging/setLevel"), legacy_only(
        lambda v: SetLevelRequestParams(level="warning"))),
    Row("SetLevelRequestParams", "value", legacy_only(lambda v: SetLevelRequestParams(level="debug"))),
    Row("LoggingMessageNotification", ("notification", "notifications/message"),
        lambda v: LoggingMessageNotificationParams(level="error", logger="db", data={"e": [1, None]})),
    Row("LoggingMessageNotificationParams", "value",
        lambda v: LoggingMessageNotificationParams(level="emergency", data=None)),
    # notifications
    Row("ProgressNotification", ("notification", "notifications/progress"), lambda v: ProgressNotificationParams(
        progress_token="p-1", progress=0.5, total=1, message="half" if at_least(v, V2025_03) else None)),
    Row("ProgressNotificationParams", "value", lambda v: ProgressNotificationParams(progress_token=3, progress=1)),
    Row("CancelledNotification", ("notification", "notifications/cancelled"),
        lambda v: CancelledNotificationParams(request_id="r-1", reason="user")),
    Row("CancelledNotificationParams", "value", lambda v: CancelledNotificationParams(request_id=12)),
    Row("ElicitationCompleteNotification", ("notification", "notifications/elicitation/complete"),
        v2025_11(lambda v: ElicitationCompleteNotificationParams(elicitation_id="e-1"))),
    # sampling
    Row("ModelHint", "value", lambda v: ModelHint(name="sonnet")),
    Row("ModelPreferences", "value", lambda v: ModelPreferences(hints=[ModelHint()], speed_priority=1)),
    Row("ToolChoice", "value", lambda v: ToolChoice(mode="required")),
    Row("SamplingMessage", "value", lambda v: sampling_params(v).messages[-1]),
    Row("CreateMessageRequest", ("request", "sampling/createMessage"), legacy_only(sampling_params)),
    Row("CreateMessageRequest", "value", modern_only(lambda v: CreateMessageInputRequest(params=sampling_params(v)))),
    Row("CreateMessageRequestParams", "value", sampling_params),
    Row("CreateMessageResult", "value", sampling_result),
    # elicitation
    Row("ElicitRequest", ("request", "elicitation/create"), only(V2025_06, V2025_11)(form_params)),
    Row("ElicitRequest", "value", modern_only(lambda v: ElicitInputRequest(params=url_params(v)))),
    Row("ElicitRequestFormParams", "value", form_params),
    Row("ElicitRequestURLParams", "value", url_params),
    Row("ElicitRequestParams", "value", url_params),
    Row("ElicitResult", "value", elicit_result),
    # roots
    Row("Root", "value", lambda v: Root(uri="file:///w", name="w", meta={"a": 1} if at_least(v, V2025_06) else None)),
    Row("ListRootsRequest", ("request", "roots/list"), legacy_only(lambda v: RequestParams())),
    Row("ListRootsRequest", "value", modern_only(lambda v: ListRootsInputRequest(params=RequestParams(meta={})))),
    Row("ListRootsResult", "value", lambda v: ListRootsResult(roots=[Root(uri="file:///w")])),
    Row("RootsListChangedNotification", ("notification", "notifications/roots/list_changed"),
        legacy_only(lambda v: NotificationParams())),
    # 2026-07-28: MRTR and subscriptions
    Row("InputRequest", "value", modern_only(lambda v: CreateMessageInputRequest(params=sampling_params(v))),
        InputRequest),
    Row("InputRequests", "map", modern_only(input_requests), InputRequests),
    Row("InputResponse", "value", modern_only(lambda v: input_responses(v)["llm"]), InputResponse),
    Row("InputResponses", "map", modern_only(input_responses), InputResponses),
    Row("InputRequiredResult", "result", only(V2026)(lambda v: InputRequiredResult(
        input_requests=input_requests(v), request_state="st", meta=result_meta(v)))),
    Row("SubscriptionFilter", "value", only(V2026)(lambda v: SubscriptionFilter(
        tools_list_changed=True, prompts_list_changed=False, resources_list_changed=True,
        resource_subscriptions=["file:///a"]))),
    Row("SubscriptionsListenRequest", ("request", "subscriptions/listen"), only(V2026)(
        lambda v: SubscriptionsListenRequestParams(
            notifications=SubscriptionFilter(tools_list_changed=True), meta=request_meta(v)))),
    Row("SubscriptionsListenRequestParams", "value", only(V2026)(lambda v: SubscriptionsListenRequestParams(
        notifications=SubscriptionFilter(resource_subscriptions=[]), meta=request_meta(v)))),
    Row("SubscriptionsListenResult", "result", only(V2026)(lambda v: SubscriptionsListenResult(
        meta={"io.modelcontextprotocol/subscriptionId": "l-1"}))),
    Row("SubscriptionsListenResultMetaObject", "meta", only(V2026)(
        lambda v: SubscriptionsListenResult(meta={"io.modelcontextprotocol/subscriptionId": 4}))),
    Row("SubscriptionsAcknowledgedNotification", ("notification", "notifications/subscriptions/acknowledged"),
        only(V2026)(lambda v: SubscriptionsAcknowledgedNotificationParams(
            notifications=SubscriptionFilter(tools_list_changed=True),
            meta={"io.modelcontextprotocol/subscriptionId": "l-1"}))),
    Row("SubscriptionsAcknowledgedNotificationParams", "value", only(V2026)(
        lambda v: SubscriptionsAcknowledgedNotificationParams(notifications=SubscriptionFilter()))),
    Row("ResultMetaObject", "meta", modern_only(lambda v: EmptyResult(meta=result_meta(v)))),
    Row("NotificationMetaObject", "meta", modern_only(
        lambda v: NotificationParams(meta={"io.modelcontextprotocol/subscriptionId": "x"}))),
    # 2025-11-25 tasks
    Row("TaskMetadata", "value", v2025_11(lambda v: TaskMetadata(ttl=100))),
    Row("RelatedTaskMetadata", "value", v2025_11(lambda v: RelatedTaskMetadata(task_id="t-1"))),
    Row("Task", "value", v2025_11(lambda v: legacy_task())),
    Row("CreateTaskResult", "result", v2025_11(lambda v: CreateTaskResult(
        task=legacy_task(), meta={"io.modelcontextprotocol/model-immediate-response": "working on it"}))),
    Row("GetTaskRequest", ("request", "tasks/get"), v2025_11(lambda v: GetTaskRequestParams(task_id="t-1"))),
    Row("GetTaskResult", "result", v2025_11(lambda v: task_fields(GetTaskResult, "input_required"))),
    Row("GetTaskPayloadRequest", ("request", "tasks/result"),
        v2025_11(lambda v: GetTaskPayloadRequestParams(task_id="t-1"))),
    Row("GetTaskPayloadResult", "result", v2025_11(lambda v: CallToolResult(
        content=[text(v)], meta={"io.modelcontextprotocol/related-task": {"taskId": "t-1"}}))),
    Row("CancelTaskRequest", ("request", "tasks/cancel"), v2025_11(lambda v: CancelTaskRequestParams(task_id="t-1"))),
    Row("CancelTaskResult", "result", v2025_11(lambda v: task_fields(CancelTaskResult, "cancelled"))),
    Row("ListTasksRequest", ("request", "tasks/list"), v2025_11(paginated)),
    Row("ListTasksResult", "result", v2025_11(lambda v: ListTasksResult(
        tasks=[legacy_task(), legacy_task("completed")], next_cursor="n"))),
    Row("TaskStatusNotification", ("notification", "notifications/tasks/status"),
        v2025_11(lambda v: task_fields(TaskStatusNotificationParams, "failed"))),
    Row("TaskStatusNotificationParams", "value", v2025_11(lambda v: task_fields(TaskStatusNotificationParams))),
    Row("URLElicitationRequiredError", "error_envelope", v2025_11(lambda v: JsonRpcError(
        code=-32042, message="URL elicitation required",
        data={"elicitations": [to_wire(url_params(v))]}))),
    # 2026 tasks extension
    Row("Task", "value", ext_only(lambda v: ext_fields(ExtTask))),
    *(Row(name, "value", ext_only(lambda v, s=status: detailed(ExtDetailedTask, s)))
      for name, status in [("WorkingTask", "working"), ("InputRequiredTask", "input_required"),
                           ("CompletedTask", "completed"), ("FailedTask", "failed"),
                           ("CancelledTask", "cancelled"), ("DetailedTask", "failed")]),
    Row("CreateTaskResult", "value", ext_only(lambda v: ext_fields(ExtCreateTaskResult, meta=result_meta(v)))),
    *(Row("GetTaskResult", "value", ext_only(lambda v, s=status: detailed(ExtGetTaskResult, s)))
      for status in ("working", "input_required", "completed", "failed", "cancelled")),
    Row("GetTaskRequest", ("request", "tasks/get"), ext_only(lambda v: GetTaskRequestParams(
        task_id="t-1", meta=request_meta(v)))),
    Row("CancelTaskRequest", ("request", "tasks/cancel"), ext_only(lambda v: CancelTaskRequestParams(
        task_id="t-1", meta=request_meta(v)))),
    Row("CancelTaskResult", "value", ext_only(lambda v: EmptyResult(result_type="complete"))),
    Row("UpdateTaskRequest", ("request", "tasks/update"), ext_only(lambda v: ExtUpdateTaskRequestParams(
        task_id="t-1", input_responses=input_responses(v), meta=request_meta(v)))),
    Row("UpdateTaskResult", "value", ext_only(lambda v: EmptyResult(result_type="complete", meta=result_meta(v)))),
    *(Row(name, ("notification", "notifications/tasks") if name == "TaskStatusNotification" else "value",
          ext_only(lambda v, s=status: detailed(ExtTaskNotificationParams, s)))
      for name, status in [("TaskStatusNotification", "completed"), ("TaskStatusNotificationParams", "input_required")]),
    Row("TaskSubscriptionNotifications", "value", ext_only(lambda v: SubscriptionFilter(task_ids=["t-1"]))),
    Row("TaskSubscriptionAcknowledgedNotifications", "value", ext_only(lambda v: SubscriptionFilter(task_ids=[]))),
    # JSON-RPC error objects of 2026-07-28
    *(Row(name, "error", only(V2026)(lambda v, c=code: JsonRpcError(code=c, message="m", data={"x": 1})))
      for name, code in [("ParseError", -32700), ("InvalidRequestError", -32600), ("MethodNotFoundError", -32601),
                         ("InvalidParamsError", -32602), ("InternalError", -32603)]),
    Row("HeaderMismatchError", "error_envelope", only(V2026)(lambda v: JsonRpcError(code=-32020, message="m"))),
    Row("MissingRequiredClientCapabilityError", "error_envelope", only(V2026)(lambda v: JsonRpcError(
        code=-32021, message="m", data={"requiredCapabilities": to_wire(ClientCapabilities(
            extensions={"io.modelcontextprotocol/tasks": {}}))}))),
    Row("UnsupportedProtocolVersionError", "error_envelope", only(V2026)(lambda v: JsonRpcError(
        code=-32022, message="Unsupported protocol version", data={"supported": [V2026], "requested": "1999"}))),
]


def _result_factory(def_name: str) -> Callable[[str], Any]:
    return next(row.factory for row in ROWS if row.def_name == def_name and row.kind == "result")


# 2026-07-28 response envelopes: each result, and MRTR where a request allows it.
ROWS += [
    Row(f"{name}Response", "response", only(V2026)(_result_factory(name)), read_as)
    for name, read_as in [
        ("CallToolResult", AnyCallToolResult), ("CompleteResult", None), ("DiscoverResult", None),
        ("GetPromptResult", AnyGetPromptResult), ("ListPromptsResult", None), ("ListResourceTemplatesResult", None),
        ("ListResourcesResult", None), ("ListToolsResult", None), ("ReadResourceResult", AnyReadResourceResult),
        ("SubscriptionsListenResult", None),
    ]
] + [
    Row(f"{name}Response", "response", only(V2026)(_result_factory("InputRequiredResult")), read_as)
    for name, read_as in [("CallToolResult", AnyCallToolResult), ("GetPromptResult", AnyGetPromptResult),
                          ("ReadResourceResult", AnyReadResourceResult)]
]

#: Definitions that are not wire types of this package: JSON-RPC framing,
#: unions of messages, scalar aliases, and the restricted elicitation
#: property schemas (kept as plain dicts).
NOT_WIRE_TYPES = frozenset({
    "JSONRPCMessage", "JSONRPCRequest", "JSONRPCNotification", "JSONRPCResponse", "JSONRPCError",
    "JSONRPCResultResponse", "JSONRPCErrorResponse", "JSONRPCBatchRequest", "JSONRPCBatchResponse",
    "Request", "Notification", "ClientRequest", "ServerRequest", "ClientNotification", "ServerNotification",
    "ClientResult", "ServerResult",
    "Cursor", "RequestId", "ProgressToken", "Role", "LoggingLevel", "TaskStatus", "ResultType",
    "JSONValue", "JSONObject", "JSONArray", "MetaObject", "TasksExtensionCapability",
    "PrimitiveSchemaDefinition", "StringSchema", "NumberSchema", "BooleanSchema", "EnumSchema",
    "SingleSelectEnumSchema", "MultiSelectEnumSchema", "UntitledSingleSelectEnumSchema",
    "TitledSingleSelectEnumSchema", "UntitledMultiSelectEnumSchema", "TitledMultiSelectEnumSchema",
    "LegacyTitledEnumSchema",
})

