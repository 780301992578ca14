"""A download cut off mid-body: resumed (Range) or restarted, never a half file used or left."""

from __future__ import annotations

import gzip
import os
import random
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from recsys.ingest.download import fetch
from recsys.ingest.errors import DownloadError

NAME = "title.basics.tsv.gz"


def _payload() -> bytes:
    """About 4.5 MB of gzip (more than the client's 1 MB read size, so a cut leaves a part file)."""
    rng = random.Random(5)
    rows = [
        f"tt{i:07d}\tmovie\t{rng.randbytes(24).hex()}\t{rng.randbytes(8).hex()}\t0\t2000\t\\N\t90\tDrama"
        for i in range(100_000)
    ]
    return gzip.compress(("\n".join(rows) + "\n").encode(), compresslevel=1)


class CuttingServer:
    """Serves one gzip file; the first ``cuts`` GETs die half-way through the body.

    ``ranges``: honour ``Range`` (206) or ignore it (200, whole file); ``length``: send
    Content-Length (else the body just ends when the connection closes).
    """

    def __init__(self, body: bytes, *, cuts: int, ranges: bool = True, length: bool = True):
        self.body, self.cuts, self.ranges, self.length = body, cuts, ranges, length
        self.requests: list[tuple[str, str | None]] = []
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_HEAD(self) -> None:
                with outer.lock:
                    outer.requests.append(("HEAD", None))
                self.send_response(200)
                self.send_header("Content-Length", str(len(outer.body)))
                self.end_headers()

            def do_GET(self) -> None:
                wanted = self.headers.get("Range")
                with outer.lock:
                    outer.requests.append(("GET", wanted))
                    cut = outer.cuts > 0
                    outer.cuts -= 1
                start = 0
                if wanted and outer.ranges:
                    start = int(wanted.removeprefix("bytes=").split("-")[0])
                    self.send_response(206)
                    self.send_header(
                        "Content-Range", f"bytes {start}-{len(outer.body) - 1}/{len(outer.body)}"
                    )
                else:
                    self.send_response(200)
                chunk = outer.body[start:]
                if outer.length:
                    self.send_header("Content-Length", str(len(chunk)))
                self.send_header("Accept-Ranges", "bytes" if outer.ranges else "none")
                self.send_header("Connection", "close")
                self.end_headers()
                try:
                    self.wfile.write(chunk[: len(chunk) // 2] if cut else chunk)
                    self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    pass
                self.close_connection = True

        return Handler

    def __enter__(self) -> CuttingServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def body() -> bytes:
    return _payload()


def _leftovers(dest: Path) -> list[str]:
    return sorted(p.name for p in dest.iterdir() if p.name.endswith(".part"))


def test_cut_off_download_is_resumed(tmp_path: Path, body: bytes) -> None:
    with CuttingServer(body, cuts=1, ranges=True) as server:
        path = fetch(server.url, NAME, tmp_path, retries=2, backoff=0.0, timeout=5)
    assert path is not None and path.read_bytes() == body
    gets = [r for r in server.requests if r[0] == "GET"]
    assert len(gets) == 2 and gets[1][1] is not None and gets[1][1].startswith("bytes=")
    assert _leftovers(tmp_path) == []


def test_cut_off_download_restarts_when_server_ignores_range(tmp_path: Path, body: bytes) -> None:
    with CuttingServer(body, cuts=2, ranges=False) as server:
        path = fetch(server.url, NAME, tmp_path, retries=3, backoff=0.0, timeout=5)
    assert path is not None and path.read_bytes() == body
    assert _leftovers(tmp_path) == []


def test_cut_off_without_length_is_caught_by_verification(tmp_path: Path, body: bytes) -> None:
    """No Content-Length: the short body looks complete, but the gzip check catches it."""
    with CuttingServer(body, cuts=1, ranges=False, length=False) as server:
        path = fetch(server.url, NAME, tmp_path, retries=2, backoff=0.0, timeout=5)
    assert path is not None and path.read_bytes() == body
    assert _leftovers(tmp_path) == []


def test_always_cut_off_fails_cleanly(tmp_path: Path, body: bytes) -> None:
    server = CuttingServer(body, cuts=100, ranges=False)
    with server, pytest.raises(DownloadError) as info:
        fetch(server.url, NAME, tmp_path, retries=2, backoff=0.0, timeout=5)
    assert NAME in str(info.value)
    assert not (tmp_path / NAME).exists(), "a half file was left under the real name"
    assert _leftovers(tmp_path) == []


def test_half_file_from_a_killed_run_is_not_used(tmp_path: Path, body: bytes) -> None:
    """A ``.part`` left by a killed process is discarded, never resumed or renamed into place."""
    (tmp_path / (NAME + ".part")).write_bytes(b"\x1f\x8b garbage from another process")
    with CuttingServer(body, cuts=0) as server:
        path = fetch(server.url, NAME, tmp_path, retries=0, backoff=0.0, timeout=5)
    assert path is not None and path.read_bytes() == body
    assert all(r[1] is None for r in server.requests)  # no Range request from the stale part


def test_disk_full_while_downloading(
    tmp_path: Path, body: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ENOSPC mid-download: a clear error naming the file, and no half file left behind."""
    import errno

    from recsys.ingest import download

    real_open = open

    class FullDisk:
        def __init__(self, fh) -> None:  # type: ignore[no-untyped-def]
            self.fh, self.written = fh, 0

        def write(self, data: bytes) -> int:
            if self.written + len(data) > 1000:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            self.written += len(data)
            return self.fh.write(data)

        def __enter__(self) -> FullDisk:
            return self

        def __exit__(self, *exc: object) -> None:
            self.fh.close()

    def full_open(path, mode="r", *args, **kwargs):  # type: ignore[no-untyped-def]
        fh = real_open(path, mode, *args, **kwargs)
        return FullDisk(fh) if "b" in mode and ("w" in mode or "a" in mode) else fh

    monkeypatch.setattr(download, "open", full_open, raising=False)
    server = CuttingServer(body, cuts=0)
    with server, pytest.raises(DownloadError) as info:
        fetch(server.url, NAME, tmp_path, retries=1, backoff=0.0, timeout=5)
    message = str(info.value)
    assert NAME in message and "space" in message.lower()
    assert not (tmp_path / NAME).exists()
    assert _leftovers(tmp_path) == []
