"""HttpOnly cookies through ``serve.py`` (``st.App`` + ``pages/_cookie_route.py``), in Chromium.

``streamlit run serve.py``: the client id and the log-in cookie are set by the route's HTTP
answer, HttpOnly and SameSite (no script in the page can read them: ``document.cookie`` does
not show them); a reload stays logged in; Log out deletes the cookie and a reload lands on Log
in. The route refuses a cross-site request and an unknown code.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests

from benchmarks import like_latency
from testkit.app_server import running
from testkit.chromium import LOGIN_FORM, idle, launch, sync_api_or_skip

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

sync_api = sync_api_or_skip()
AUTH, CLIENT = "marquee_auth", "marquee_client"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("httponly")
    secrets, _uid = like_latency.prepare(root, 0)
    with running(secrets, root, script="serve.py") as base:
        yield base


def _until(page: Any, check: Callable[[], Any], what: str, timeout_s: float = 20.0) -> Any:
    """Wait until ``check()`` is truthy (polling the browser's state), then return it."""
    for _ in range(int(timeout_s / 0.1)):
        value = check()
        if value:
            return value
        page.wait_for_timeout(100)
    raise AssertionError(f"timed out waiting for {what}")


def _cookie(context: Any, name: str) -> dict[str, Any] | None:
    return next((c for c in context.cookies() if c["name"] == name), None)


def test_cookies_are_httponly_and_log_out_deletes_them(served: str) -> None:
    with sync_api.sync_playwright() as pw:
        browser = launch(pw)
        try:
            context = browser.new_context()
            page = context.new_page()
            like_latency.log_in(page, served)  # the form, then Home with its cards
            auth = _until(page, lambda: _cookie(context, AUTH), "the log-in cookie")
            client = _until(page, lambda: _cookie(context, CLIENT), "the client cookie")
            assert auth["httpOnly"] and auth["sameSite"] == "Strict", auth
            assert client["httpOnly"] and client["sameSite"] == "Lax", client
            assert AUTH not in page.evaluate("document.cookie")
            assert CLIENT not in page.evaluate("document.cookie")

            page.reload()  # still logged in: the server reads the HttpOnly cookie
            page.wait_for_selector('[class*="st-key-like_tt"]', timeout=60_000)
            idle(page)

            page.locator(".st-key-sidebar_logout button").click()
            page.wait_for_selector(LOGIN_FORM, timeout=30_000)
            _until(page, lambda: _cookie(context, AUTH) is None, "the cookie's deletion")
            page.reload()
            page.wait_for_selector(LOGIN_FORM, timeout=60_000)
            idle(page)
            assert page.locator('[class*="st-key-like_tt"]').count() == 0
        finally:
            browser.close()


def test_the_route_refuses_cross_site_requests_and_unknown_codes(served: str) -> None:
    url = served + "/_marquee/cookie"
    cross = requests.post(
        url, headers={"X-Marquee-Cookie": "x", "Sec-Fetch-Site": "cross-site"}, timeout=10
    )
    assert cross.status_code == 403 and "set-cookie" not in cross.headers
    unknown = requests.post(url, headers={"X-Marquee-Cookie": "not-a-code"}, timeout=10)
    assert unknown.status_code == 404 and "set-cookie" not in unknown.headers
    assert "set-cookie" not in requests.get(url, timeout=10).headers  # GET: the app's page
