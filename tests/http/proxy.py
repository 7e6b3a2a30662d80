"""A TCP proxy on 127.0.0.1 that can cut every open connection (a network failure, for tests)."""

from __future__ import annotations

import itertools
import selectors
import socket
import threading


class CuttingProxy:
    """Forwards 127.0.0.1:<port> to ``target``; :meth:`cut` breaks every open connection.

    Threads (named ``test-proxy-*``) are joined by :meth:`close`.
    """

    def __init__(self, target_port: int) -> None:
        self.target = ("127.0.0.1", target_port)
        self._listener = socket.socket()
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(32)
        self.port = self._listener.getsockname()[1]
        self._wake_r, self._wake_w = socket.socketpair()
        self._lock = threading.Lock()
        self._pairs: list[tuple[socket.socket, socket.socket]] = []
        self._sockets: list[socket.socket] = []
        self._threads: list[threading.Thread] = []
        self._ids = itertools.count(1)
        self._accept = threading.Thread(target=self._accept_loop, name="test-proxy-accept", daemon=True)
        self._accept.start()

    def url_for(self, url: str) -> str:
        """``url`` with its port replaced by the proxy's."""
        scheme, rest = url.split("://", 1)
        hostport, _, path = rest.partition("/")
        return f"{scheme}://127.0.0.1:{self.port}/{path}"

    def _accept_loop(self) -> None:
        with selectors.DefaultSelector() as selector:
            selector.register(self._listener, selectors.EVENT_READ)
            selector.register(self._wake_r, selectors.EVENT_READ)
            while True:
                events = selector.select()
                if any(key.fileobj is self._wake_r for key, _ in events):
                    return
                client, _ = self._listener.accept()
                upstream = socket.create_connection(self.target)
                n = next(self._ids)
                with self._lock:
                    self._pairs.append((client, upstream))
                    self._sockets += [client, upstream]
                    for src, dst, way in ((client, upstream, "up"), (upstream, client, "down")):
                        thread = threading.Thread(target=self._pump, args=(src, dst), name=f"test-proxy-{n}-{way}",
                                                  daemon=True)
                        self._threads.append(thread)
                        thread.start()

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket) -> None:
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        try:
            dst.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    def cut(self) -> None:
        """Break every open connection, both ways (like a network failure)."""
        with self._lock:
            pairs, self._pairs = self._pairs, []
        for pair in pairs:
            for sock in pair:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self) -> None:
        self._wake_w.send(b"x")
        self._accept.join()
        self.cut()
        with self._lock:
            threads = list(self._threads)
        for thread in threads:
            thread.join()
        with self._lock:
            sockets = list(self._sockets)
        for sock in sockets:
            sock.close()
        for sock in (self._listener, self._wake_r, self._wake_w):
            sock.close()
