"""The SDK's page walk against a registry whose cursor does not move: an error, not an endless loop."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from client.errors import LedgerhouseError
from client.registry_api import RegistryApi


class _StuckCursor(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = json.dumps({"items": [{"kind": "expiring"}], "next_after": "expiring:1:1"}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def stuck_registry() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _StuckCursor)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_a_cursor_that_does_not_move_raises_naming_the_route(stuck_registry: str) -> None:
    with pytest.raises(LedgerhouseError, match="same /alerts page twice"):
        RegistryApi(stuck_registry).alerts()
