"""Shared fixtures for the ingestion tests: fixture paths and a scriptable local HTTP server."""

from __future__ import annotations

import contextlib
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def imdb_dir() -> Path:
    return FIXTURES / "imdb"


@pytest.fixture
def imdb_copy(tmp_path: Path) -> Path:
    """A writable copy of the IMDb fixture folder (to swap in a broken file)."""
    target = tmp_path / "imdb"
    shutil.copytree(FIXTURES / "imdb", target)
    return target


@dataclass
class ServerState:
    files: dict[str, bytes] = field(default_factory=dict)
    #: per path, behaviours consumed one per GET: "500", "cut", "slow"
    script: dict[str, list[str]] = field(default_factory=dict)
    ranges: bool = True
    etag: bool = True
    requests: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)


class _Handler(BaseHTTPRequestHandler):
    state: ServerState

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass

    def do_HEAD(self) -> None:
        self._serve(head=True)

    def do_GET(self) -> None:
        self._serve(head=False)

    def _serve(self, *, head: bool) -> None:
        state = self.server.state  # type: ignore[attr-defined]
        state.requests.append((self.command, self.path, dict(self.headers)))
        body = state.files.get(self.path)
        if body is None:
            self.send_error(404)
            return
        todo = state.script.get(self.path) or []
        behaviour = todo.pop(0) if todo and not head else None
        if behaviour == "500":
            self.send_error(500)
            return
        if behaviour == "slow":
            threading.Event().wait(1.0)
        start, status = 0, 200
        wanted = self.headers.get("Range")
        if wanted and state.ranges:
            start, status = int(wanted.split("=")[1].split("-")[0]), 206
        payload = body[start:]
        self.send_response(status)
        self.send_header("Content-Length", str(len(payload)))
        if state.ranges:
            self.send_header("Accept-Ranges", "bytes")
        if status == 206:
            self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
        if state.etag:
            self.send_header("ETag", f'"{hash(body) & 0xFFFFFFFF:x}"')
        self.end_headers()
        if head:
            return
        if behaviour == "cut":
            payload = payload[: len(payload) // 2]
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(payload)


@pytest.fixture
def http_server() -> Iterator[tuple[str, ServerState]]:
    """A local HTTP server in a thread: ``(base_url, state)``; tests put bytes in state.files."""
    state = ServerState()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.state = state  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/", state
    finally:
        server.shutdown()
        server.server_close()
