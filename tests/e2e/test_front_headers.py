"""The app behind the nginx front's security headers, in Chromium (issue 21).

nginx runs with ``testkit.cluster.nginx_conf`` (the configuration ``deploy/nginx.conf`` carries
line for line: tests/cluster/test_deploy.py) in front of one ``streamlit run serve.py``. The
browser logs in and opens every page; the test asserts the headers on the page, that the
throttle's client cookie is the front's HttpOnly one, and that no Content-Security-Policy
violation was reported by any page or frame.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from benchmarks import like_latency
from testkit import chromium
from testkit.app_server import free_port, running
from testkit.chromium import LOGIN_FORM, attempt_log_in, idle, launch, sync_api_or_skip
from testkit.cluster import SECURITY_HEADERS, find_nginx, start_front

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

sync_api = sync_api_or_skip()
PAGES = ("home", "watchlist", "explain", "quality", "account")
VIOLATIONS_JS = """
window.__csp = [];
document.addEventListener('securitypolicyviolation',
  e => window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
"""


@pytest.fixture(scope="module")
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, dict[str, str], int]]:
    """The app as the cluster runs it: ``serve.py`` (HttpOnly cookie route), told that it
    sits behind our front (MARQUEE_TRUSTED_FRONT)."""
    root = tmp_path_factory.mktemp("front_app")
    secrets, uid = like_latency.prepare(root, 0)
    secrets = {**secrets, "MARQUEE_TRUSTED_FRONT": "1"}
    with running(secrets, root / "app", script="serve.py") as base:
        yield base, secrets, uid


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
        browser = launch(pw)
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
                idle(page)
                assert page.locator(LOGIN_FORM).count() == 0, path
                reported.extend(page.evaluate("window.__csp || []"))
            cookies = context.cookies()
            clients = [c for c in cookies if c["name"] == "marquee_client"]
            assert len(clients) == 1 and clients[0]["httpOnly"], clients  # nginx's
            auth = [c for c in cookies if c["name"] == "marquee_auth"]
            assert len(auth) == 1 and auth[0]["httpOnly"], auth  # the route's, through nginx
        finally:
            browser.close()
    assert not reported, "\n".join(dict.fromkeys(reported))


def test_a_script_dropping_its_cookie_is_held_by_address_not_the_owner(front: str) -> None:
    """Behind the front the throttle counts the address nginx reports (X-Real-IP): a browser
    that forgets its cookie before every guess is still one client; the owner's browser, known
    for the name, still logs in from the same address."""
    with sync_api.sync_playwright() as pw:
        browser = launch(pw)
        try:
            owner = browser.new_context()
            owner_page = owner.new_page()
            like_latency.log_in(owner_page, front)  # this browser is now known for the name
            owner_page.locator(".st-key-sidebar_logout button").click()
            owner_page.wait_for_selector(LOGIN_FORM, timeout=30_000)
            idle(owner_page)

            script = browser.new_context()
            page = script.new_page()
            answers = []
            for _ in range(11):
                script.clear_cookies()  # a new browser id (from nginx) for every guess
                page.goto(front + "/")
                page.wait_for_selector(f"{LOGIN_FORM} input", timeout=60_000)
                idle(page)
                answers.append(attempt_log_in(page, like_latency.USERNAME, "Wrong#guess1"))
            assert all(a.startswith("Username or password is incorrect.") for a in answers[:10]), (
                answers
            )
            assert chromium.says_wait(answers[9], 5), answers
            assert answers[10].startswith("Too many failed log-ins. Try again in"), answers

            like_latency.log_in(owner_page, front)  # the owner, same address: in at once
        finally:
            browser.close()
