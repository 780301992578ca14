"""``streamlit run`` of the app on a free loopback port, for the browser tests and benchmarks.

One place says how a served app here is started: our own ``secrets.toml`` (so a developer's is
not read), headless on 127.0.0.1, no usage statistics, no file watcher. :func:`running` is the
whole life of one server; :func:`start_server` / :func:`stop_server` for callers that hold
several; :func:`streamlit_run` and :func:`write_secrets` for launchers of their own (a cgroup,
a cluster).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    """A loopback port that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_secrets(path: Path, secrets: Mapping[str, str]) -> Path:
    """``secrets`` as a ``secrets.toml`` at ``path`` (every value a TOML string); returns it."""
    path.write_text(
        "".join(f"{k} = {json.dumps(v)}\n" for k, v in secrets.items()), encoding="utf-8"
    )
    return path


def streamlit_run(script: Path | str, port: int, secrets_file: Path) -> list[str]:
    """The arguments after the ``streamlit`` executable that serve ``script`` on ``port``."""
    return [
        "run",
        str(script),
        "--server.headless=true",
        "--server.address=127.0.0.1",
        f"--server.port={port}",
        "--browser.gatherUsageStats=false",
        "--server.fileWatcherType=none",
        f"--secrets.files={secrets_file}",
    ]


def wait_listening(proc: Any, port: int, log_path: Path, timeout_s: float = 60.0) -> None:
    """Return once something accepts connections on ``port``; raise if ``proc`` exits first."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited early; see {log_path}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.3)  # the server is importing
    raise RuntimeError(f"streamlit did not start in {timeout_s:.0f} s")


def start_server(
    app_dir: Path,
    secrets: dict[str, str],
    root: Path,
    profile: Path | None = None,
    script: str = "app.py",
) -> tuple[Any, int, Any]:
    """``streamlit run`` of ``app_dir``'s ``script`` (``serve.py``: the app with its HttpOnly
    cookie route), its files in ``root``; with ``profile``, under ``profiled_server.py``.
    Returns (process, port, open log) once it listens."""
    port = free_port()
    secrets_file = write_secrets(root / "secrets.toml", secrets)
    log = (root / "streamlit.log").open("w")
    launcher = (
        [sys.executable, str(ROOT / "benchmarks" / "profiled_server.py"), str(profile)]
        if profile is not None
        else [str(Path(sys.executable).with_name("streamlit"))]
    )
    proc = subprocess.Popen(
        [*launcher, *streamlit_run(app_dir / script, port, secrets_file)],
        cwd=app_dir,
        env={**os.environ, **secrets, "PYTHONPATH": str(app_dir)},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    wait_listening(proc, port, root / "streamlit.log")
    return proc, port, log


def stop_server(proc: Any, log: Any = None, timeout_s: float = 15) -> None:
    """Terminate ``proc`` (killed if it lingers) and close its ``log``."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
    if log is not None:
        log.close()


@contextmanager
def running(
    secrets: dict[str, str], root: Path, app_dir: Path = ROOT, script: str = "app.py"
) -> Iterator[str]:
    """:func:`start_server` in ``root`` (made if need be) for the block; yields the base URL."""
    root.mkdir(parents=True, exist_ok=True)
    proc, port, log = start_server(app_dir, secrets, root, script=script)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_server(proc, log)
