"""Several ``streamlit run`` processes behind nginx on one PostgreSQL, on this machine.

``scripts/cluster.sh up N`` / ``down`` call :func:`main`; ``benchmarks/load.py --servers N``
and ``tests/cluster/`` use :class:`Cluster` directly. Everything lives in one run folder:

    <run>/cluster.json          what ``down`` needs: pids, ports, the PostgreSQL folder
    <run>/secrets.toml          the one configuration every app process reads
    <run>/shared/models/        the models folder every process reads (MARQUEE_MODELS_DIR)
    <run>/app-<i>/              each process's own data folder (downloads) and log
    <run>/nginx/                nginx.conf (generated), pid, error log, temp folders
    <run>/pg/                   the private PostgreSQL cluster and its log

The app processes are stateless: users, sessions, likes and the catalog are in PostgreSQL, the
cookie key comes from the secrets, the models from the shared folder. nginx proxies the
websocket (``Upgrade``/``Connection``, day-long read timeouts), keeps a browser on one process
with a cookie it sets itself (hash of ``marquee_sticky``, consistent), and takes a process out
for ``fail_timeout`` when a connection to it fails (``max_fails``, ``proxy_next_upstream``).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets as pysecrets
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from testkit.app_server import free_port, stop_server, streamlit_run, write_secrets

ROOT = Path(__file__).resolve().parents[1]
STICKY_COOKIE = "marquee_sticky"
UPSTREAM_HEADER = "X-Marquee-Upstream"
#: What `up` creates in a run dir besides ``app-*`` (removed again by the next `up`).
STALE = ("pg", "shared", "cli-data", "nginx", "sources", "secrets.toml")


def find_nginx() -> str | None:
    return shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if Path(p).exists()), None
    )


def healthy(port: int, timeout: float = 2.0) -> bool:
    """``/_stcore/health`` answers ``ok`` on ``port``."""
    import requests

    try:
        reply = requests.get(f"http://127.0.0.1:{port}/_stcore/health", timeout=timeout)
    except requests.RequestException:
        return False
    return reply.status_code == 200 and reply.text.strip() == "ok"


#: The per-browser id the log-in throttle counts under (pages/_auth.py, CLIENT_COOKIE).
CLIENT_COOKIE = "marquee_client"
#: The response headers the front adds (issue 21), written into deploy/nginx.conf verbatim too
#: (tests/cluster/test_deploy.py checks both). Streamlit needs inline styles (emotion), blob:
#: scripts (st.components.v2 loads inline JS from a blob URL), WebAssembly (not JS eval), the
#: inline scripts of its page and of streamlit-authenticator's cookie component (by hash, as
#: installed: tests/cluster/test_deploy.py recomputes them), same-origin frames (components
#: v1) and the websocket ('self'). Posters come from TMDb's image host, the page icon from
#: Google's icon font host; trailers embed YouTube.
INLINE_SCRIPT_HASHES = (
    "sha256-THxz9J9+wf7rhwR2YkXJoSZ13UCmYyC+3lNDv2+8ugA=",  # streamlit/static/index.html
    "sha256-CLFEkP0dgnFU04lAyNI12tJzuaDySVyrOCO6rb04XmE=",  # extra_streamlit_components Cookie…
)
CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self' blob: 'wasm-unsafe-eval' "
        + " ".join(f"'{h}'" for h in INLINE_SCRIPT_HASHES),
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob: https://image.tmdb.org https://fonts.gstatic.com",
        "font-src 'self' data:",
        "connect-src 'self'",
        "media-src 'self' blob:",
        "frame-src 'self' https://www.youtube.com https://www.youtube-nocookie.com",
        "worker-src 'self' blob:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'self'",
    ]
)
SECURITY_HEADERS: list[tuple[str, str]] = [
    ("Content-Security-Policy", CSP),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
    ("X-Frame-Options", "SAMEORIGIN"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
]


def security_header_lines(indent: str = "      ") -> str:
    """The front's ``add_header`` lines (``always``: error responses carry them too)."""
    return "\n".join(f'{indent}add_header {k} "{v}" always;' for k, v in SECURITY_HEADERS)


def nginx_conf(folder: Path, port: int, app_ports: list[int], *, upstream_header: bool) -> str:
    """The front's configuration: websocket proxy, cookie stickiness, passive health checks."""
    servers = "\n".join(f"    server 127.0.0.1:{p} max_fails=1 fail_timeout=5s;" for p in app_ports)
    header = f"add_header {UPSTREAM_HEADER} $upstream_addr always;" if upstream_header else ""
    temp = "\n".join(
        f"  {kind}_temp_path {folder / 'tmp' / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return f"""# generated by testkit/cluster.py
worker_processes 1;
pid {folder / "nginx.pid"};
error_log {folder / "error.log"} warn;
events {{ worker_connections 2048; }}
http {{
  access_log off;
{temp}
  # a browser without the sticky cookie gets a random one: same process for its websocket,
  # its reconnects and the media files that process holds in memory
  map $cookie_{STICKY_COOKIE} $marquee_sticky_key {{
    "" $request_id;
    default $cookie_{STICKY_COOKIE};
  }}
  map $cookie_{STICKY_COOKIE} $marquee_sticky_set {{
    "" "{STICKY_COOKIE}=$request_id; Path=/; Max-Age=31536000; HttpOnly; SameSite=Lax";
    default "";
  }}
  # the log-in throttle's per-browser id, issued on the first visit (HttpOnly: no script reads it)
  map $cookie_{CLIENT_COOKIE} $marquee_client_set {{
    "" "{CLIENT_COOKIE}=$request_id; Path=/; Max-Age=31536000; HttpOnly; SameSite=Lax";
    default "";
  }}
  map $http_upgrade $connection_upgrade {{
    default upgrade;
    "" close;
  }}
  upstream marquee {{
    hash $marquee_sticky_key consistent;
{servers}
  }}
  server {{
    listen 127.0.0.1:{port};
    location / {{
      proxy_pass http://marquee;
      proxy_http_version 1.1;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      # the client address for the log-in throttle (MARQUEE_TRUSTED_FRONT=1 trusts it)
      proxy_set_header X-Real-IP $remote_addr;
      proxy_read_timeout 1d;
      proxy_send_timeout 1d;
      proxy_connect_timeout 2s;
      proxy_buffering off;
      proxy_next_upstream error timeout http_502 http_503;
      proxy_next_upstream_tries 3;
      add_header Set-Cookie $marquee_sticky_set;
      add_header Set-Cookie $marquee_client_set;
{security_header_lines()}
      {header}
    }}
  }}
}}
"""


def start_front(
    nginx: str,
    folder: Path,
    port: int,
    app_ports: list[int],
    *,
    upstream_header: bool = False,
    timeout: float = 30.0,
) -> subprocess.Popen[bytes]:
    """nginx with :func:`nginx_conf` on ``port`` in front of ``app_ports``, once it answers."""
    for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (folder / "tmp" / kind).mkdir(parents=True, exist_ok=True)
        (folder / "tmp" / kind).chmod(0o777)  # workers may run as "nobody" under root
    conf = folder / "nginx.conf"
    conf.write_text(nginx_conf(folder, port, app_ports, upstream_header=upstream_header))
    log = (folder / "nginx.out").open("ab")
    proc = subprocess.Popen(
        [
            nginx,
            "-p",
            str(folder),
            "-e",
            str(folder / "error.log"),
            "-c",
            str(conf),
            "-g",
            "daemon off;",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + timeout
    while not healthy(port):
        if proc.poll() is not None or time.monotonic() > deadline:
            error = (folder / "error.log").read_text(errors="replace")[-2000:]
            proc.kill()
            raise RuntimeError(f"nginx did not come up on {port}: {error}")
        time.sleep(0.2)
    return proc


@dataclass
class AppProcess:
    """One ``streamlit run serve.py`` (app.py with its cookie route) on a loopback port, with
    its own data folder."""

    index: int
    port: int
    folder: Path
    proc: subprocess.Popen[bytes] | None = None

    def start(self, env: dict[str, str], secrets_file: Path, app: Path = ROOT / "serve.py") -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        own = {**env, "MARQUEE_DATA_DIR": str(self.folder / "data")}
        with (self.folder / "streamlit.log").open("ab") as log:
            self.proc = subprocess.Popen(
                [
                    str(Path(sys.executable).with_name("streamlit")),
                    *streamlit_run(app, self.port, secrets_file),
                ],
                cwd=app.parent,
                env={**os.environ, **own},
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # outlives `cluster.sh up`; killed by pid on `down`
            )

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.alive():
            os.kill(self.pid, sig)
            assert self.proc is not None
            self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc is not None:
            stop_server(self.proc)


@dataclass
class Cluster:
    """N app processes sharing ``env`` (the secrets) and nginx in front of them."""

    run_dir: Path
    env: dict[str, str]
    servers: int
    front_port: int = 0
    upstream_header: bool = False
    #: serve.py: app.py plus its HttpOnly cookie route (pages/_cookie_route.py)
    app: Path = ROOT / "serve.py"
    apps: list[AppProcess] = field(default_factory=list)
    nginx: subprocess.Popen[bytes] | None = None

    def __post_init__(self) -> None:
        if self.servers < 1:
            raise ValueError("a cluster needs at least one app process")
        if not self.env.get("MARQUEE_COOKIE_KEY"):
            raise ValueError("a cluster needs MARQUEE_COOKIE_KEY (every process signs cookies)")
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.front_port = self.front_port or free_port()
        models = self.run_dir / "shared" / "models"
        self.env = {
            "MARQUEE_CLUSTER": "1",
            "MARQUEE_TRUSTED_FRONT": "1",
            "MARQUEE_MODELS_DIR": str(models),
            **self.env,
        }
        self.secrets_file = write_secrets(
            self.run_dir / "secrets.toml", dict(sorted(self.env.items()))
        )
        self.secrets_file.chmod(0o600)
        self.apps = [
            AppProcess(i, free_port(), self.run_dir / f"app-{i}") for i in range(self.servers)
        ]

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.front_port}"

    # ------------------------------------------------------------------ lifecycle
    def start(self, timeout: float = 90.0) -> None:
        """Start every app process, check each one's health, then start nginx in front."""
        nginx = find_nginx()
        if nginx is None:
            raise RuntimeError("nginx is not installed (Debian: apt-get install nginx-light)")
        for app in self.apps:
            app.start(self.env, self.secrets_file, self.app)
        for app in self.apps:
            self.wait_healthy(app, timeout)
        self.start_nginx(nginx, timeout)

    def start_nginx(self, nginx: str, timeout: float = 30.0) -> None:
        self.nginx = start_front(
            nginx,
            self.run_dir / "nginx",
            self.front_port,
            [a.port for a in self.apps],
            upstream_header=self.upstream_header,
            timeout=timeout,
        )

    def wait_healthy(self, app: AppProcess, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        while not healthy(app.port):
            if not app.alive():
                tail = (app.folder / "streamlit.log").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"app process {app.index} exited: {tail}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"app process {app.index} not healthy in {timeout:.0f} s")
            time.sleep(0.3)

    def restart_app(self, index: int, timeout: float = 90.0) -> AppProcess:
        """Start process ``index`` again on its port (it rejoins nginx's upstream)."""
        app = self.apps[index]
        app.stop()
        app.start(self.env, self.secrets_file, self.app)
        self.wait_healthy(app, timeout)
        return app

    def stop(self) -> None:
        if self.nginx is not None and self.nginx.poll() is None:
            self.nginx.terminate()
            try:
                self.nginx.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.nginx.kill()
                self.nginx.wait(timeout=5)
        for app in self.apps:
            app.stop()

    def upstream_of(self, sticky: str) -> str:
        """Which app process (``127.0.0.1:port``) nginx sends the cookie value ``sticky`` to."""
        import requests

        reply = requests.get(
            self.base + "/_stcore/health", cookies={STICKY_COOKIE: sticky}, timeout=5
        )
        return reply.headers.get(UPSTREAM_HEADER, "")

    def spread_keys(self, count: int, prefix: str = "s") -> list[str]:
        """``count`` sticky cookie values that nginx spreads evenly over the processes."""
        by_upstream: dict[str, list[str]] = {}
        per = -(-count // self.servers)
        i = 0
        while sum(min(per, len(v)) for v in by_upstream.values()) < count and i < 50 * count:
            key = f"{prefix}{i}"
            by_upstream.setdefault(self.upstream_of(key), []).append(key)
            i += 1
        keys: list[str] = []
        lists = [v[:per] for v in by_upstream.values()]
        while len(keys) < count and any(lists):
            for values in lists:
                if values and len(keys) < count:
                    keys.append(values.pop(0))
        return keys

    def state(self) -> dict[str, Any]:
        return {
            "front_port": self.front_port,
            "nginx_pid": self.nginx.pid if self.nginx else None,
            "apps": [{"index": a.index, "port": a.port, "pid": a.pid} for a in self.apps],
        }


# ------------------------------------------------------------------------------ the command line
def _prepare_database(run_dir: Path, env: dict[str, str]) -> dict[str, Any]:
    """A private PostgreSQL in ``run_dir/pg``; returns what ``down`` needs to stop it."""
    from testkit.pg_server import PostgresServer, find_bindir

    bindir = find_bindir()
    if bindir is None:
        raise RuntimeError("PostgreSQL server binaries not installed (Debian package postgresql)")
    pg = PostgresServer(bindir)
    shutil.rmtree(pg.root, ignore_errors=True)
    pg.root = run_dir / "pg"
    pg.datadir = pg.root / "data"
    pg.root.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        os.chmod(pg.root, 0o777)
    pg.start()
    env["DATABASE_URL"] = pg.create_database()
    return {"bindir": str(bindir), "root": str(pg.root), "port": pg.port}


def _stop_database(state: dict[str, Any]) -> None:
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    datadir = Path(state["root"]) / "data"
    if datadir.exists():
        subprocess.run(
            [
                *prefix,
                str(Path(state["bindir"]) / "pg_ctl"),
                "-D",
                str(datadir),
                "-m",
                "fast",
                "stop",
            ],
            capture_output=True,
            timeout=60,
        )


def _catalog_and_model(env: dict[str, str]) -> None:
    """Ingest the configured sources and train once, before the processes start."""
    from recsys.config import Settings
    from recsys.lifecycle import bootstrap, training
    from recsys.store.db import Database

    settings = Settings.from_env(environ=env)
    db = Database.from_settings(settings)
    try:
        if not bootstrap.catalog_ready(db):
            print(f"building the catalog from {settings.imdb_source} ...", file=sys.stderr)
            bootstrap.build_catalog(settings, db)
        print(training.load_or_train_engine(settings, db).message, file=sys.stderr)
    finally:
        db.dispose()


def up(run_dir: Path, servers: int, port: int) -> dict[str, Any]:
    """Start PostgreSQL, build the catalog if needed, N app processes and nginx."""
    if (run_dir / "cluster.json").exists():
        raise RuntimeError(f"{run_dir} holds a running cluster; run `cluster.sh down` first")
    run_dir.mkdir(parents=True, exist_ok=True)
    # a stopped cluster's database, models and logs (only what `up` itself creates)
    for old in [*run_dir.glob("app-*"), *(run_dir / n for n in STALE)]:
        if old.is_dir():
            shutil.rmtree(old, ignore_errors=True)
        elif old.exists():
            old.unlink()
    env = {
        k: os.environ[k]
        for k in ("MARQUEE_IMDB_SOURCE", "MARQUEE_MOVIELENS_SOURCE", "MARQUEE_MIN_VOTES")
        if os.environ.get(k)
    }
    if "MARQUEE_IMDB_SOURCE" not in env:  # offline demo: the test suite's small fake world
        from testkit.world import write_world

        imdb, movielens = write_world(run_dir / "sources")
        env |= {
            "MARQUEE_IMDB_SOURCE": str(imdb),
            "MARQUEE_MOVIELENS_SOURCE": str(movielens),
            "MARQUEE_MIN_VOTES": "1",
        }
    env["MARQUEE_COOKIE_KEY"] = os.environ.get("MARQUEE_COOKIE_KEY") or pysecrets.token_urlsafe(48)
    env["TMDB_API_KEY"] = os.environ.get("TMDB_API_KEY", "")
    state: dict[str, Any] = {"run_dir": str(run_dir)}
    state["postgres"] = _prepare_database(run_dir, env)
    (run_dir / "cluster.json").write_text(json.dumps(state, indent=2))
    cluster = Cluster(run_dir, env, servers, front_port=port)
    _catalog_and_model({**cluster.env, "MARQUEE_DATA_DIR": str(run_dir / "cli-data")})
    try:
        cluster.start()
    finally:
        state |= cluster.state()
        (run_dir / "cluster.json").write_text(json.dumps(state, indent=2))
    return state


def down(run_dir: Path) -> None:
    """Stop nginx, the app processes and PostgreSQL listed in ``run_dir/cluster.json``."""
    path = run_dir / "cluster.json"
    if not path.exists():
        print(f"no cluster in {run_dir}", file=sys.stderr)
        return
    state = json.loads(path.read_text())
    pids = [state.get("nginx_pid")] + [a["pid"] for a in state.get("apps", [])]
    for pid in pids:
        if pid:
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(pid), signal.SIGTERM)
    deadline = time.monotonic() + 15
    for pid in pids:
        while pid and time.monotonic() < deadline and Path(f"/proc/{pid}").exists():
            time.sleep(0.1)
        if pid and Path(f"/proc/{pid}").exists():
            os.kill(int(pid), signal.SIGKILL)
    if state.get("postgres"):
        _stop_database(state["postgres"])
    path.unlink()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Marquee on N processes behind nginx")
    sub = parser.add_subparsers(dest="command", required=True)
    start = sub.add_parser("up", help="start PostgreSQL, N app processes and nginx")
    start.add_argument("servers", type=int, nargs="?", default=2)
    start.add_argument("--port", type=int, default=8080, help="nginx's port (default 8080)")
    start.add_argument("--run-dir", default=".cluster")
    stop = sub.add_parser("down", help="stop everything `up` started")
    stop.add_argument("--run-dir", default=".cluster")
    args = parser.parse_args(argv)
    run_dir = Path(args.run_dir).resolve()
    if args.command == "down":
        down(run_dir)
        return 0
    if args.servers < 1:
        parser.error("N must be at least 1")
    if (run_dir / "cluster.json").exists():  # leave it running: `down` first
        print(f"{run_dir} holds a running cluster; run `cluster.sh down` first", file=sys.stderr)
        return 1
    try:
        state = up(run_dir, args.servers, args.port)
    except Exception as exc:
        print(f"cluster up failed: {exc}", file=sys.stderr)
        down(run_dir)
        return 1
    ports = ", ".join(str(a["port"]) for a in state["apps"])
    print(f"Marquee on http://127.0.0.1:{state['front_port']} (nginx) -> app ports {ports}")
    print(f"logs and state in {run_dir}; stop with scripts/cluster.sh down")
    return 0


if __name__ == "__main__":
    sys.exit(main())
