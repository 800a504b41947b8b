"""A tiny real HTTP server that answers the queue service's read-view contract (COMMON contract).

For intake's e2e tests: it serves whatever a test puts in ``routes`` (path -> (status, body))
and 404 {"error": ...} for anything else, and records every path it was asked for.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class QueueStub:
    def __init__(self) -> None:
        self.routes: dict[str, tuple[int, Any]] = {}
        self.requests: list[str] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                stub.requests.append(self.path)
                status, body = stub.routes.get(self.path, (404, {"error": "not found"}))
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> QueueStub:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def region_view(region: str, waiting: int = 0, estimate_s: float | None = None) -> dict[str, Any]:
    """A ``GET /v1/regions/{region}/queue`` answer with the same estimate for every urgency."""
    return {
        "region": region,
        "waiting": waiting,
        "depth": {str(u): 0 for u in range(1, 6)},
        "oldest_wait_seconds": {str(u): None for u in range(1, 6)},
        "estimated_wait_seconds": {str(u): estimate_s for u in range(1, 6)},
        "serving_rate_per_minute": 1.0,
    }
