"""The HTTP transport: a threading server on 127.0.0.1 that hands each request to a callback.

Nothing here knows the Bot API. Connections are tracked so :meth:`LoopbackServer.close` can cut
idle keep-alive connections and long polls at once instead of waiting for their timeouts.
"""

import contextlib
import logging
import select
import socket
import threading
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

log = logging.getLogger(__name__)

# (path with query, headers, body, client_alive) -> (status, content type, body)
Handler = Callable[[str, Mapping[str, str], bytes, Callable[[], bool]], tuple[int, str, bytes]]


class LoopbackServer(ThreadingHTTPServer):
    """Serves `handle` in a daemon thread; :meth:`close` stops it and drops every connection."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], handle: Handler) -> None:
        super().__init__(address, _RequestHandler)
        self.handle = handle
        self._connections: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self.serve_forever,
                                        kwargs={"poll_interval": 0.05},
                                        name="loopback-bot-api", daemon=True)

    @property
    def port(self) -> int:
        return self.server_address[1]

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        """Stop accepting, shut every open connection down, and wait for the thread."""
        self.shutdown()
        self.server_close()
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        self._thread.join(timeout=5)

    def track(self, connection: socket.socket, *, add: bool) -> None:
        with self._lock:
            if add:
                self._connections.add(connection)
            else:
                self._connections.discard(connection)

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.debug("loopback Bot API: connection error", exc_info=True)


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "LoopbackBotAPI/1.0"
    timeout = 120  # idle keep-alive connections are dropped after this
    disable_nagle_algorithm = True  # headers and body are separate writes: avoid 40 ms stalls
    server: LoopbackServer

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection, add=True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.track(self.connection, add=False)

    def log_message(self, format: str, *args: Any) -> None:
        """Silenced: request lines contain the bot token."""

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _client_alive(self) -> bool:
        """False once the client closed the connection (e.g. a cancelled long poll)."""
        try:
            readable, _, _ = select.select([self.connection], [], [], 0)
            return not readable or bool(self.connection.recv(1, socket.MSG_PEEK))
        except (OSError, ValueError):
            return False

    def _serve(self) -> None:
        try:
            body = self._read_body()
            status, content_type, payload = self.server.handle(self.path, self.headers, body,
                                                               self._client_alive)
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            self.close_connection = True
