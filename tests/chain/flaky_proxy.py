"""A loopback JSON-RPC proxy in front of a node that misbehaves on request: for the next N requests
(or the next N of one method) it answers 5xx or 429, stalls past the client's timeout, drops the
connection before forwarding, forwards and then loses the node's answer, or answers every entry
with the error a node that keeps no past states gives when a block was mined between resolving
"latest" and running the read (anvil --prune-history: BlockOutOfRangeError); it can also stop
listening for a while and come back on the same port."""

from __future__ import annotations

import contextlib
import http.client
import json
import socket
import threading
import time
from collections import Counter
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Literal
from urllib.parse import urlparse

Fault = Literal["status-503", "status-429", "stall", "drop", "lose-response", "state-pruned"]


@dataclass
class _Rule:
    fault: Fault
    remaining: int
    method: str | None


class FlakyProxy:
    def __init__(self, upstream: str, *, stall_s: float = 3.0) -> None:
        parsed = urlparse(upstream)
        self.upstream = (parsed.hostname or "127.0.0.1", parsed.port or 80)
        self.stall_s = stall_s
        self.port = 0
        self.methods: Counter[str] = Counter()  # requests seen, by JSON-RPC method (batches: each entry)
        self.faults: Counter[str] = Counter()  # faults applied, by kind
        self._rules: list[_Rule] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._open: set[socket.socket] = set()  # keep-alive connections, cut on stop()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # ------------------------------------------------------------ control

    def fail(self, fault: Fault, times: int = 1, *, method: str | None = None) -> None:
        """The next `times` requests (of `method`, if given) meet `fault`."""
        with self._lock:
            self._rules.append(_Rule(fault, times, method))

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def start(self) -> FlakyProxy:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                with proxy._lock:
                    proxy._open.add(self.connection)

            def finish(self) -> None:
                with proxy._lock:
                    proxy._open.discard(self.connection)
                super().finish()

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                proxy._handle(self, body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        server.daemon_threads = True
        server.allow_reuse_address = True
        self.port = server.server_address[1]
        self._server = server
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def stop(self) -> None:
        """Stops listening and cuts every open connection, as a node going down would."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        with self._lock:
            for connection in self._open:
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)
            self._open.clear()

    def restart_after(self, seconds: float) -> threading.Thread:
        """Stops listening now and listens again on the same port after `seconds`."""
        self.stop()

        def come_back() -> None:
            time.sleep(seconds)
            self.start()

        thread = threading.Thread(target=come_back, daemon=True)
        thread.start()
        return thread

    # ------------------------------------------------------------ traffic

    def _take(self, methods: list[str]) -> Fault | None:
        with self._lock:
            for rule in self._rules:
                if rule.remaining > 0 and (rule.method is None or rule.method in methods):
                    rule.remaining -= 1
                    self.faults[rule.fault] += 1
                    return rule.fault
        return None

    def _handle(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        try:
            parsed = json.loads(body)
            entries = parsed if isinstance(parsed, list) else [parsed]
            methods = [str(e.get("method")) for e in entries if isinstance(e, dict)]
        except ValueError:
            methods = []
        with self._lock:
            self.methods.update(methods)
        fault = self._take(methods)
        if fault in ("status-503", "status-429"):
            status = 503 if fault == "status-503" else 429
            payload = b'{"error": "injected"}'
            handler.send_response(status)
            if status == 429:
                handler.send_header("Retry-After", "0")
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(payload)))
            handler.end_headers()
            handler.wfile.write(payload)
            return
        if fault == "state-pruned":
            entries = parsed if isinstance(parsed, list) else [parsed]
            errors = [
                {
                    "jsonrpc": "2.0",
                    "id": e.get("id"),
                    "error": {
                        "code": -32000,
                        "message": "BlockOutOfRangeError: block height is 8 but requested was 7",
                    },
                }
                for e in entries
            ]
            payload = json.dumps(errors if isinstance(parsed, list) else errors[0]).encode()
            handler.send_response(200)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(payload)))
            handler.end_headers()
            handler.wfile.write(payload)
            return
        if fault == "stall":
            time.sleep(self.stall_s)
            self._drop(handler)
            return
        if fault == "drop":
            self._drop(handler)
            return
        upstream = http.client.HTTPConnection(*self.upstream, timeout=30)
        try:
            upstream.request("POST", "/", body, {"Content-Type": "application/json"})
            response = upstream.getresponse()
            answer = response.read()
        finally:
            upstream.close()
        if fault == "lose-response":  # the node did it; the client never hears so
            self._drop(handler)
            return
        handler.send_response(response.status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(answer)))
        handler.end_headers()
        handler.wfile.write(answer)

    @staticmethod
    def _drop(handler: BaseHTTPRequestHandler) -> None:
        handler.close_connection = True
        with contextlib.suppress(OSError):
            handler.connection.shutdown(socket.SHUT_RDWR)
