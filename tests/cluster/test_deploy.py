"""``deploy/nginx.conf`` (the front for separate machines) is a valid nginx configuration."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from testkit.cluster import find_nginx

ROOT = Path(__file__).resolve().parents[2]


def test_deploy_nginx_conf_passes_nginx_t(tmp_path: Path) -> None:
    nginx = find_nginx()
    if nginx is None:
        pytest.skip("nginx not installed (Debian nginx-light; `make test` installs it as root)")
    main = tmp_path / "nginx.conf"
    main.write_text(
        f"pid {tmp_path / 'nginx.pid'};\n"
        "events {}\n"
        "http {\n"
        f"  client_body_temp_path {tmp_path};\n  proxy_temp_path {tmp_path};\n"
        f"  include {ROOT / 'deploy' / 'nginx.conf'};\n"
        "}\n"
    )
    check = subprocess.run(
        [nginx, "-t", "-p", str(tmp_path), "-e", str(tmp_path / "error.log"), "-c", str(main)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert check.returncode == 0, check.stderr
    assert "syntax is ok" in check.stderr
