"""A first Home that is yours, in Chromium: two new users with different picks, side by side.

On the shared catalog (``imdb-derived`` + ml-latest-small, as a deployment would have it), a
horror fan and a comedy fan onboard as the page does (five genres, then the first five movies
and shows of the pick grids, which put their genres first) and log in through the form. Their
first Homes must differ (before the taste model both opened with The Shawshank Redemption, The
Godfather and The Dark Knight), carry their genres, and say which picks drove each list.
Screenshots: ``test-output/e2e/50-first-home-<user>.png`` and both side by side in
``50-first-home-side-by-side.png`` (the README's picture).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from benchmarks import like_latency
from recsys.services.onboarding import PICKS_REQUIRED
from testkit.app_server import running
from testkit.chromium import LOGIN_FORM, SHOTS, idle, launch, submit_log_in, sync_api_or_skip
from tests.e2e.test_journey import _shot

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT.parent / "shared" / "data"
PASSWORD = "Popcorn#2024"
FANS = {
    "hana": ("Hana", ("Horror", "Thriller", "Mystery", "Sci-Fi", "Drama")),
    "cole": ("Cole", ("Comedy", "Romance", "Crime", "Fantasy", "Drama")),
}
CAPTIONS = '[data-testid="stCaptionContainer"]'
CLASSICS = {"tt0111161", "tt0068646", "tt0468569"}  # Shawshank, The Godfather, The Dark Knight

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.slow,
    pytest.mark.integration,
    pytest.mark.skipif(not (DATA / "imdb-derived").is_dir(), reason="../shared/data is absent"),
]
sync_api = sync_api_or_skip()


@pytest.fixture(scope="module")
def first_homes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, Any]]]:
    """(base URL, username -> {"picks", "genres"}) of a server on the shared catalog."""
    from recsys.lifecycle import bootstrap, training
    from testkit import factories

    root = tmp_path_factory.mktemp("first_home")
    secrets = {
        "MARQUEE_DATA_DIR": str(root / "data"),
        "MARQUEE_IMDB_SOURCE": str(DATA / "imdb-derived"),
        "MARQUEE_MOVIELENS_SOURCE": str(DATA / "movielens-small"),
        "MARQUEE_COOKIE_KEY": "test-cookie-key-" + "x" * 32,
        "TMDB_API_KEY": "",
        "DATABASE_URL": "",
    }
    settings = factories.settings_from_secrets(secrets)
    db = factories.database(settings)
    users: dict[str, Any] = {}
    try:
        bootstrap.build_catalog(settings, db)
        training.load_or_train_engine(settings, db)
        service = factories.service(settings, db)
        board = service.onboarding
        for username, (name, genres) in FANS.items():
            uid = service.accounts.register(
                name, f"{username}@example.com", username, PASSWORD, PASSWORD
            )
            board.set_favorite_genres(uid, genres)
            picks = {
                s: [c.tconst for c in board.pick_grid(s, genres).cards[:PICKS_REQUIRED]]
                for s in ("movie", "tv")
            }
            board.complete_onboarding(uid, picks["movie"], picks["tv"])
            users[username] = {"picks": picks, "genres": genres}
    finally:
        db.dispose()
    with running(secrets, root / "app") as base:
        yield base, users


def _log_in(page: Any, base: str, username: str) -> None:
    page.goto(base + "/")
    form = page.locator(LOGIN_FORM)
    form.locator("input[aria-label='Username']").wait_for(timeout=180_000)
    idle(page)
    submit_log_in(page, username, PASSWORD)
    page.wait_for_selector('[class*="st-key-like_tt"]', timeout=120_000)
    idle(page)
    # the whole page drawn (no skeletons): the sidebar's log-out and every card's buttons
    page.get_by_role("button", name="Log out").wait_for(state="visible", timeout=60_000)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stSkeleton\"]')", timeout=60_000
    )
    idle(page)


def _section_cards(page: Any) -> list[str]:
    """The first section's (Movies) card tconsts, in order."""
    return like_latency._cards(page)[:10]


def test_two_tastes_get_two_first_homes_that_say_why(first_homes) -> None:  # type: ignore[no-untyped-def]
    base, users = first_homes
    homes: dict[str, list[str]] = {}
    captions: dict[str, list[str]] = {}
    with sync_api.sync_playwright() as pw:
        browser = launch(pw)
        try:
            for username in FANS:
                context = browser.new_context(viewport={"width": 1100, "height": 2200})
                page = context.new_page()
                _log_in(page, base, username)
                homes[username] = _section_cards(page)
                captions[username] = page.locator(
                    '[data-testid="stCaptionContainer"]'
                ).all_inner_texts()
                _shot(page, f"50-first-home-{username}")
                context.close()
        finally:
            browser.close()
    hana, cole = (set(homes[u]) for u in FANS)
    assert len(hana) == len(cole) == 10
    assert len(hana & cole) / len(hana | cole) <= 0.2, (homes, captions)
    for username, home in homes.items():
        assert not CLASSICS & set(home), (username, home)
        assert not set(home) & set(users[username]["picks"]["movie"])  # rated never come back
        because = [c for c in captions[username] if c.startswith("Because you liked")]
        assert len(because) >= 2, captions[username]  # both sections say which picks drove them
        assert not any("Popular in your favourite genres" in c for c in captions[username])
    _side_by_side(
        [SHOTS / f"50-first-home-{u}.png" for u in FANS], SHOTS / "50-first-home-side-by-side.png"
    )


def _side_by_side(images: list[Path], out: Path, height: int = 1400) -> None:
    """The screenshots' tops next to each other (what the README shows)."""
    from PIL import Image

    shots = [Image.open(p).convert("RGB") for p in images]
    tops = [s.crop((0, 0, s.width, min(height, s.height))) for s in shots]
    canvas = Image.new("RGB", (sum(t.width for t in tops) + 20, max(t.height for t in tops)))
    x = 0
    for t in tops:
        canvas.paste(t, (x, 0))
        x += t.width + 20
    canvas.save(out)
