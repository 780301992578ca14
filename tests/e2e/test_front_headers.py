"""The app behind the nginx front's security headers, in Chromium (issue 21).

nginx runs with ``testkit.cluster.nginx_conf`` (the configuration ``deploy/nginx.conf`` carries
line for line: tests/cluster/test_deploy.py) in front of one ``streamlit run`` process. The
browser logs in and opens every page; the test asserts the headers on the page, that the
throttle's client cookie is the front's HttpOnly one, and that no Content-Security-Policy
violation was reported by any page or frame.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from benchmarks import like_latency
from testkit.cluster import SECURITY_HEADERS, find_nginx, free_port, start_front
from tests.e2e import test_journey as journey

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

sync_api = journey.sync_api
PAGES = ("home", "watchlist", "explain", "quality", "account")
VIOLATIONS_JS = """
window.__csp = [];
document.addEventListener('securitypolicyviolation',
  e => window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
"""


@pytest.fixture(scope="module")
def front(
    server: tuple[str, dict[str, str], int], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    nginx = find_nginx()
    if nginx is None:
        pytest.skip("nginx not installed (Debian nginx-light; `make test` installs it as root)")
    base, _secrets, _uid = server
    port = free_port()
    proc = start_front(nginx, tmp_path_factory.mktemp("front"), port, [int(base.rsplit(":", 1)[1])])
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_the_app_works_behind_the_security_headers(front: str, tmp_path: Path) -> None:
    reported: list[str] = []
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(journey.CHROMIUM), args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            context = browser.new_context()
            context.add_init_script(VIOLATIONS_JS)
            page = context.new_page()
            page.on(
                "console",
                lambda m: reported.append(m.text) if "Content Security Policy" in m.text else None,
            )
            response = page.goto(front + "/")
            assert response is not None
            headers = response.headers
            for name, value in SECURITY_HEADERS:
                assert headers.get(name.lower()) == value, name
            cards = like_latency.log_in(page, front)  # log-in form, then Home with its cards
            assert cards
            for path in PAGES:
                page.goto(f"{front}/{path}")
                page.wait_for_selector('[data-testid="stMain"] h1', timeout=60_000)
                journey._idle(page)
                assert page.locator(journey.LOGIN_FORM).count() == 0, path
                reported.extend(page.evaluate("window.__csp || []"))
            clients = [c for c in context.cookies() if c["name"] == "marquee_client"]
            assert len(clients) == 1 and clients[0]["httpOnly"], clients
        finally:
            browser.close()
    assert not reported, "\n".join(dict.fromkeys(reported))
