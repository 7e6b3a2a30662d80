"""A traced server process: its spans go, one JSON object a line, to the file named by ``TRACED_SPANS``.

``python -m tests.middleware.traced_server`` serves it over stdio, ``... http``
over Streamable HTTP on an ephemeral port (the URL on stderr; SIGTERM ends it). The
``ask`` tool samples back from the client (a server-to-client request in the
legacy era, an ``input_required`` round in 2026-07-28).
"""

from __future__ import annotations

import json
import os
import sys
import threading
from typing import Sequence

from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult

from mcp_sync import Context, Server
from mcp_sync.otel import ServerTracing


class JsonLinesExporter(SpanExporter):
    """Appends each finished span to a file (flushed at once: the test reads it after we exit)."""

    def __init__(self, path: str) -> None:
        self._lock = threading.Lock()
        self._file = open(path, "a", encoding="utf-8")

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        with self._lock:
            for span in spans:
                self._file.write(json.dumps({
                    "name": span.name,
                    "kind": span.kind.name,
                    "trace_id": format(span.context.trace_id, "032x"),
                    "span_id": format(span.context.span_id, "016x"),
                    "parent_id": format(span.parent.span_id, "016x") if span.parent is not None else None,
                    "attributes": dict(span.attributes or {}),
                    "status": span.status.status_code.name,
                }) + "\n")
            self._file.flush()
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        with self._lock:
            self._file.close()


def build(provider: TracerProvider) -> Server:
    server = Server("traced-demo", version="1.0")
    server.add_middleware(ServerTracing(tracer_provider=provider))

    @server.tool()
    def ask(question: str, ctx: Context) -> str:
        """Asks the client's model."""
        answer = ctx.sample(question, max_tokens=20)
        return f"the model says: {answer.content['text']}"

    return server


if __name__ == "__main__":
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(JsonLinesExporter(os.environ["TRACED_SPANS"])))
    try:
        if sys.argv[1:] == ["http"]:
            build(provider).run("http", port=0)
        else:
            build(provider).run("stdio")
    finally:
        provider.shutdown()
