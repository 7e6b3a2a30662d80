"""OpenTelemetry tracing (mcp_sync.otel): one trace follows a call across processes, in both eras."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
from concurrent.futures import Future

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from mcp_sync import Context, Server
from mcp_sync.client import Client
from mcp_sync.errors import McpError
from mcp_sync.otel import ServerTracing, extract_trace_context, inject_trace_context, instrument
from mcp_sync.protocol.era import EraCache

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def in_memory() -> tuple[TracerProvider, InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider, exporter


def answer(params):
    return {"role": "assistant", "content": {"type": "text", "text": "forty-two"}, "model": "test-model"}


def hexid(value: int) -> str:
    return format(value, "016x")


class HttpServerProcess:
    """``python -m tests.middleware.traced_server http``: a server process on an ephemeral port."""

    def __init__(self, env: dict) -> None:
        self.process = subprocess.Popen([sys.executable, "-m", "tests.middleware.traced_server", "http"], cwd=ROOT,
                                        env=env, stdin=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        line: Future = Future()
        self._reader = threading.Thread(target=self._read, args=(line,), name="test-traced-server-stderr")
        self._reader.start()
        self.url = line.result(timeout=30)

    def _read(self, line: Future) -> None:
        for text in self.process.stderr:
            match = re.search(r"listening on (\S+)", text)
            if match and not line.done():
                line.set_result(match.group(1))
        if not line.done():
            line.set_exception(RuntimeError("the traced server exited before listening"))

    def stop(self) -> int:
        self.process.terminate()  # SIGTERM: a graceful shutdown, spans flushed
        code = self.process.wait(timeout=30)
        self._reader.join()
        self.process.stderr.close()
        return code


@pytest.mark.parametrize("transport", ["stdio", "http"])
@pytest.mark.parametrize("era", ["legacy", "modern"])
def test_a_sampling_tool_call_is_one_trace_across_two_processes(era, transport, tmp_path):
    provider, exporter = in_memory()
    spans_file = tmp_path / "server-spans.jsonl"
    env = {**os.environ, "TRACED_SPANS": str(spans_file)}
    if transport == "stdio":
        client = Client.stdio([sys.executable, "-m", "tests.middleware.traced_server"], cwd=ROOT, env=env,
                              protocol=era, era_cache=EraCache(), sampling=answer)
    else:
        served = HttpServerProcess(env)
        client = Client.http(served.url, protocol=era, era_cache=EraCache(), sampling=answer)
    instrument(client, tracer_provider=provider)
    try:
        with client:
            result = client.call_tool("ask", {"question": "the answer?"})
            assert result.content[0].text == "the model says: forty-two"
    finally:
        # the server process flushes its spans and exits
        code = client.transport.process.wait(timeout=30) if transport == "stdio" else served.stop()
    assert code == 0
    provider.shutdown()
    server_spans = [json.loads(line) for line in spans_file.read_text().splitlines()]
    client_spans = exporter.get_finished_spans()

    call = next(s for s in client_spans if s.name == "tools/call ask")
    trace_id = format(call.context.trace_id, "032x")
    assert call.kind.name == "CLIENT" and call.parent is None
    assert call.attributes["mcp.method.name"] == "tools/call"
    assert call.attributes["gen_ai.tool.name"] == "ask"

    # every span of the call, in both processes, is in that one trace
    in_trace = [s for s in server_spans if s["trace_id"] == trace_id]
    handled = [s for s in in_trace if s["name"] == "tools/call ask"]
    assert handled and all(s["kind"] == "SERVER" and s["parent_id"] == hexid(call.context.span_id)
                           for s in handled)
    assert {s["attributes"]["mcp.protocol.version"] for s in handled} == {client.protocol_version}
    assert all(s["attributes"]["gen_ai.operation.name"] == "execute_tool" for s in handled)
    executions = [s for s in in_trace if s["name"] == "execute_tool ask"]
    assert {s["parent_id"] for s in executions} == {s["span_id"] for s in handled}
    other_traces = {s["trace_id"] for s in server_spans if s["name"] in ("tools/call ask", "execute_tool ask")}
    assert other_traces == {trace_id}

    if era == "legacy":  # the tool's sampling request: a CLIENT span in the server, a SERVER span in the client
        (sent,) = [s for s in in_trace if s["name"] == "sampling/createMessage"]
        assert sent["kind"] == "CLIENT" and sent["parent_id"] == executions[0]["span_id"]
        (answered,) = [s for s in client_spans if s.name == "sampling/createMessage"]
        assert answered.kind.name == "SERVER"
        assert format(answered.context.trace_id, "032x") == trace_id
        assert hexid(answered.parent.span_id) == sent["span_id"]
    else:  # the sampling is an input_required round: two rounds, both children of the one client span
        assert len(handled) == 2


def test_tool_errors_mcp_errors_and_task_lifetimes_are_recorded():
    provider, exporter = in_memory()
    server = Server("traced", tasks=True)
    server.add_middleware(ServerTracing(tracer_provider=provider))
    release = threading.Event()

    @server.tool()
    def fails() -> str:
        """A tool error."""
        raise RuntimeError("boom")

    @server.tool()
    def refuses() -> str:
        """A JSON-RPC error."""
        raise McpError(-32001, "no")

    @server.tool(task_support="optional")
    def slow() -> str:
        """Runs as a task until released."""
        release.wait(30)
        return "done"

    client = Client.connect(server, protocol="legacy", era_cache=EraCache())
    instrument(client, tracer_provider=provider)
    try:
        with client:
            assert client.call_tool("fails").is_error
            with pytest.raises(McpError):
                client.call_tool("refuses")
            task = client.call_tool_as_task("slow")
            assert not [s for s in exporter.get_finished_spans() if s.name == "task slow"]  # still running
            release.set()
            assert task.result(timeout=30).content[0].text == "done"
    finally:
        release.set()
        server.close()
    spans = exporter.get_finished_spans()

    def server_span(name):
        return next(s for s in spans if s.name == name and s.kind.name == "SERVER")

    assert server_span("tools/call fails").attributes["error.type"] == "tool_error"
    assert server_span("tools/call fails").status.status_code.name == "ERROR"
    refused = server_span("tools/call refuses")
    assert refused.attributes["error.type"] == "-32001" and refused.attributes["rpc.response.status_code"] == "-32001"
    client_refused = next(s for s in spans if s.name == "tools/call refuses" and s.kind.name == "CLIENT")
    assert client_refused.attributes["error.type"] == "-32001"
    lifetime = next(s for s in spans if s.name == "task slow")
    created = server_span("tools/call slow")
    assert lifetime.parent.span_id == created.context.span_id
    assert lifetime.attributes["mcp.task.status"] == "completed"
    assert lifetime.attributes["mcp.task.id"] == task.task_id
    assert lifetime.end_time > created.end_time  # it outlived the request that created it


def test_trace_context_in_meta_round_trips_and_bad_values_are_ignored():
    provider, exporter = in_memory()
    tracer = provider.get_tracer("test")
    with tracer.start_as_current_span("outer") as outer:
        meta: dict = {}
        inject_trace_context(meta)
    assert meta["traceparent"].split("-")[1] == format(outer.get_span_context().trace_id, "032x")
    from opentelemetry import trace

    assert trace.get_current_span(extract_trace_context(meta)).get_span_context().span_id == \
        outer.get_span_context().span_id
    for bad in (None, {}, {"traceparent": 7}, {"traceparent": "00-zz-yy-01"}, {"traceparent": "garbage"}):
        assert extract_trace_context(bad) is None

    server = Server("bad-context")
    server.add_middleware(ServerTracing(tracer_provider=provider))

    @server.tool()
    def ok() -> str:
        """Fine."""
        return "fine"

    with Client.connect(server, protocol="modern", era_cache=EraCache()) as client:
        raw = client.request("tools/call", {"name": "ok"}, meta={"traceparent": "not-a-traceparent"})
        assert raw["content"][0]["text"] == "fine"
    handled = next(s for s in exporter.get_finished_spans() if s.name == "tools/call ok")
    assert handled.parent is None  # a fresh trace, not an error


def test_instrument_refuses_other_objects():
    with pytest.raises(TypeError, match="traces a Server or a Client"):
        instrument(object())


def test_no_opentelemetry_import_without_tracing_and_a_clear_error_without_the_package():
    code = """
import sys
from mcp_sync import Context, Server
from mcp_sync.client import Client
from mcp_sync.protocol.era import EraCache
server = Server("plain")
server.tool()(lambda: "hi")
with Client.connect(server, protocol="legacy", era_cache=EraCache()) as client:
    client.list_tools()
assert not [m for m in sys.modules if m.startswith("opentelemetry")], "opentelemetry was imported"
sys.modules["opentelemetry"] = None  # as if the package were not installed
import mcp_sync.otel
try:
    mcp_sync.otel.instrument(server)
except ImportError as exc:
    assert "pip install 'mcp-sync[otel]'" in str(exc), exc
else:
    raise AssertionError("no ImportError")
"""
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr


def test_requests_a_task_sends_the_client_nest_under_its_lifetime_span():
    provider, exporter = in_memory()
    server = Server("traced-task", tasks=True)
    server.add_middleware(ServerTracing(tracer_provider=provider))

    @server.tool(task_support="optional")
    def ponder(question: str, ctx: Context) -> str:
        """Samples from inside its task."""
        return ctx.sample(question, max_tokens=10).content["text"]
    client = Client.connect(server, protocol="legacy", era_cache=EraCache(), sampling=answer)
    instrument(client, tracer_provider=provider)
    try:
        with client:
            task = client.call_tool_as_task("ponder", {"question": "why?"})
            assert task.result(timeout=30).content[0].text == "forty-two"
    finally:
        server.close()
    spans = exporter.get_finished_spans()
    lifetime = next(s for s in spans if s.name == "task ponder")
    sent = next(s for s in spans if s.name == "sampling/createMessage" and s.kind.name == "CLIENT")
    answered = next(s for s in spans if s.name == "sampling/createMessage" and s.kind.name == "SERVER")
    call = next(s for s in spans if s.name == "tools/call ponder" and s.kind.name == "CLIENT")
    assert sent.parent.span_id == lifetime.context.span_id
    assert answered.parent.span_id == sent.context.span_id
    assert {s.context.trace_id for s in (lifetime, sent, answered, call)} == {call.context.trace_id}
