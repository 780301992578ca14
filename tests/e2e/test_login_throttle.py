"""Log-in that strangers cannot probe or block (issue 21), in Chromium against ``streamlit run``.

One browser guesses: a wrong password for the real user and an unknown name get the very same
message; after nine failures on the user's name, the owner logs in at once from another
browser; the guessing browser keeps going and is slowed, then blocked, with a message that
says when to try again. Waits are let pass by moving the throttle's stored moments back
(:func:`testkit.throttle.rewind`), never by sleeping. Screenshots go to
``test-output/e2e/22-throttle-*.png``.
"""

from __future__ import annotations

import re

import pytest

from benchmarks import like_latency
from testkit import chromium as web
from testkit import factories
from testkit.throttle import rewind

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

sync_api = web.sync_api_or_skip()
WRONG = "Wrong#guess1"
INCORRECT = "Username or password is incorrect."


def _open(context, base: str):  # type: ignore[no-untyped-def]
    page = context.new_page()
    page.goto(base + "/")
    page.wait_for_selector(web.LOGIN_USERNAME, timeout=120_000)
    web.idle(page)
    return page


def test_one_answer_owner_not_locked_out_guesser_slowed_then_blocked(
    server: tuple[str, dict[str, str], int],
) -> None:
    base, secrets, _uid = server
    db_url = factories.settings_from_secrets(secrets).resolved_database_url
    web.SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as pw:
        browser = web.launch(pw)
        try:
            guesser = _open(browser.new_context(), base)
            # one answer: a real name with a wrong password, and a name that does not exist
            real = web.attempt_log_in(guesser, like_latency.USERNAME, WRONG)
            unknown = web.attempt_log_in(guesser, "nobody-at-all", WRONG)
            assert real == unknown == INCORRECT
            guesser.screenshot(path=str(web.SHOTS / "22-throttle-1-same-answer.png"))

            # nine failures on the user's name from this browser (waits let pass by rewinding)
            answers = [real]
            for _ in range(8):
                rewind(db_url, 100)
                answers.append(web.attempt_log_in(guesser, like_latency.USERNAME, WRONG))
            assert all(a.startswith(INCORRECT) for a in answers), answers
            assert web.says_wait(answers[4], 5) and web.says_wait(answers[8], 80), answers

            # the owner, in another browser, logs in at once with the right password
            owner = _open(browser.new_context(), base)
            web.submit_log_in(owner, like_latency.USERNAME, like_latency.PASSWORD)
            owner.wait_for_selector('[class*="st-key-like_tt"]', timeout=60_000)
            web.idle(owner)
            owner.screenshot(path=str(web.SHOTS / "22-throttle-2-owner-in.png"))

            # the guesser: slowed (too soon after the 9th failure), even with the right password
            slowed = web.attempt_log_in(guesser, like_latency.USERNAME, like_latency.PASSWORD)
            assert re.search(r"Too many failed log-ins\. Try again in 1 min \d\d s \(at ", slowed)
            assert guesser.locator(web.LOGIN_FORM).count() == 1  # not let in
            # then the 10th failure blocks it, and the message says until when
            rewind(db_url, 100)
            tenth = web.attempt_log_in(guesser, like_latency.USERNAME, WRONG)
            assert tenth.startswith(INCORRECT + " Wait ") and web.says_wait(tenth, 15 * 60), tenth
            blocked = web.attempt_log_in(guesser, like_latency.USERNAME, WRONG)
            assert re.fullmatch(
                r"Too many failed log-ins\. Try again in 1[45] min \d\d s "
                r"\(at \d\d:\d\d:\d\d UTC\)\.",
                blocked,
            ), blocked
            guesser.screenshot(path=str(web.SHOTS / "22-throttle-3-blocked.png"))
        finally:
            browser.close()
