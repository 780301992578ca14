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


def test_deploy_and_generated_fronts_send_the_same_security_headers() -> None:
    """deploy/nginx.conf carries testkit's SECURITY_HEADERS line for line (the generated front
    is what tests/e2e/test_front_headers.py runs the app behind), sets X-Real-IP and issues the
    throttle's HttpOnly client cookie."""
    from testkit.cluster import SECURITY_HEADERS, nginx_conf, security_header_lines

    deploy = (ROOT / "deploy" / "nginx.conf").read_text()
    generated = nginx_conf(Path("/tmp/x"), 8080, [8501], upstream_header=False)
    for text in (deploy, generated):
        for line in security_header_lines("").splitlines():
            assert line in text, line
        assert "proxy_set_header X-Real-IP $remote_addr;" in text
        assert '"marquee_client=$request_id; Path=/; Max-Age=31536000; HttpOnly;' in text
    names = {name for name, _ in SECURITY_HEADERS}
    assert {"Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy"} <= names
    csp = dict(SECURITY_HEADERS)["Content-Security-Policy"]
    assert "frame-ancestors 'self'" in csp and "'unsafe-eval'" not in csp


def test_the_csp_allows_exactly_the_installed_inline_scripts() -> None:
    """The hashes in the CSP are those of the inline scripts in the installed Streamlit's page
    and streamlit-authenticator's cookie component: an upgrade that changes one fails here,
    not silently in browsers."""
    import base64
    import hashlib
    import re

    import extra_streamlit_components
    import streamlit

    from testkit.cluster import INLINE_SCRIPT_HASHES

    pages = [
        Path(streamlit.__file__).parent / "static" / "index.html",
        Path(extra_streamlit_components.__file__).parent
        / "CookieManager"
        / "frontend"
        / "build"
        / "index.html",
    ]
    found = set()
    for page in pages:
        for script in re.findall(r"<script>(.*?)</script>", page.read_text(), re.S):
            digest = hashlib.sha256(script.encode()).digest()
            found.add("sha256-" + base64.b64encode(digest).decode())
    assert found == set(INLINE_SCRIPT_HASHES)
