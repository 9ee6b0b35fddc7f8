"""A tiny real HTTP server in a thread, for download and marketplace tests (loopback only)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Route:
    body: bytes | Callable[[dict[str, list[str]]], bytes] = b""
    status: int = 200
    content_type: str = "application/octet-stream"
    delay: float = 0.0  # seconds to wait before answering (a slow server)
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Server:
    base_url: str
    routes: dict[str, Route] = field(default_factory=dict)
    requests: list[tuple[str, dict[str, list[str]]]] = field(default_factory=list)

    def serve(self, path: str, body: Any = b"", **kwargs: Any) -> str:
        if isinstance(body, list | dict):
            body = json.dumps(body).encode()
            kwargs.setdefault("content_type", "application/json")
        self.routes[path] = Route(body=body, **kwargs)
        return self.base_url + path


@contextmanager
def http_server() -> Iterator[Server]:
    server_state: Server

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            query = parse_qs(parts.query, keep_blank_values=True)
            server_state.requests.append((parts.path, query))
            route = server_state.routes.get(parts.path)
            if route is None:
                self.send_response(404)
                self.send_header("Content-Length", "9")
                self.end_headers()
                self.wfile.write(b"not found")
                return
            if route.delay:
                time.sleep(route.delay)
            body = route.body(query) if callable(route.body) else route.body
            try:
                self.send_response(route.status)
                self.send_header("Content-Type", route.content_type)
                self.send_header("Content-Length", str(len(body)))
                for key, value in route.headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # The client gave up (a timeout test).

        def log_message(self, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    server_state = Server(base_url=f"http://127.0.0.1:{httpd.server_address[1]}")
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield server_state
    finally:
        httpd.shutdown()
        httpd.server_close()
