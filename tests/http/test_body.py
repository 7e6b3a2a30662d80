"""StreamingBody: a response body's clean-up runs exactly once, whether or not the server calls close()."""

from __future__ import annotations

from mcp_sync.http.body import StreamingBody


class Counted(StreamingBody):
    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = chunks
        self.finished = 0
        self.gen_closed = False
        super().__init__()

    def _events(self):
        try:
            yield from self.chunks
        finally:
            self.gen_closed = True

    def _finish(self) -> None:
        self.finished += 1


def test_exhausting_the_body_cleans_up_without_close():
    body = Counted([b"a", b"b"])
    assert list(body) == [b"a", b"b"]
    assert body.finished == 1 and body.gen_closed
    body.close()  # a server that does call close(): nothing runs twice
    assert body.finished == 1


def test_close_mid_stream_ends_the_generator_and_cleans_up_once():
    body = Counted([b"a", b"b", b"c"])
    assert next(body) == b"a"
    body.close()
    body.close()
    assert body.finished == 1 and body.gen_closed
