"""The service facade on a real (tiny) catalog, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from recsys.auth.credentials import AccountError
from recsys.auth.throttle import Client
from recsys.lifecycle.engine import Engine
from recsys.services import Marquee
from recsys.store.db import Database
from recsys.store.models import Impression
from testkit.factories import onboard

PASSWORD = "Secret-pass1"


def test_register_and_login(service: Marquee) -> None:
    uid = service.accounts.register("Ada Lovelace", "ada@example.com", "ada", PASSWORD, PASSWORD)
    assert service.accounts.check_login("ada", PASSWORD).user_id == uid
    assert service.accounts.check_login("ADA", PASSWORD).ok  # usernames are case-insensitive
    creds = service.accounts.credentials()["usernames"]["ada"]
    assert creds["password"].startswith("$2") and PASSWORD not in str(creds)
    profile = service.accounts.user("ada")
    assert profile is not None and profile.name == "Ada Lovelace" and not profile.onboarded


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("", "a@example.com", "ann", PASSWORD, PASSWORD), "name"),
        (("Ann", "not-an-email", "ann", PASSWORD, PASSWORD), "e-mail"),
        (("Ann", "a@example.com", "a", PASSWORD, PASSWORD), "Usernames"),
        (("Ann", "a@example.com", "ann", "short", "short"), "at least"),
        (("Ann", "a@example.com", "ann", "alllowercase", "alllowercase"), "three of"),
        (("Ann", "a@example.com", "ann", PASSWORD, PASSWORD + "x"), "do not match"),
        (("Ann", "a@example.com", "<script>", PASSWORD, PASSWORD), "Usernames"),
    ],
)
def test_registration_errors_are_clear(service: Marquee, args: tuple, message: str) -> None:
    with pytest.raises(AccountError, match=message):
        service.accounts.register(*args)


def test_duplicates_are_refused_with_a_message(service: Marquee) -> None:
    service.accounts.register("Ada", "ada@example.com", "ada", PASSWORD, PASSWORD)
    with pytest.raises(AccountError, match="username is taken"):
        service.accounts.register("Other", "other@example.com", "Ada", PASSWORD, PASSWORD)
    with pytest.raises(AccountError, match="already exists"):
        service.accounts.register("Other", "ADA@example.com", "other", PASSWORD, PASSWORD)


def test_failed_logins_never_lock_the_account(service: Marquee) -> None:
    """Wrong passwords slow the guessing client down, never the account (the throttle's own
    tests are in tests/test_throttle.py)."""
    service.accounts.register("Ada", "ada@example.com", "ada", PASSWORD, PASSWORD)
    for _ in range(12):
        service.accounts.check_login("ada", "wrong")
        service.clock.now += timedelta(minutes=16)  # type: ignore[attr-defined]
    assert service.accounts.check_login("ada", PASSWORD, Client("owner")).ok


def test_unknown_user_gets_the_same_message(service: Marquee) -> None:
    service.accounts.register("Ada", "ada@example.com", "ada", PASSWORD, PASSWORD)
    unknown = service.accounts.check_login("nobody", "whatever", Client("one"))
    wrong = service.accounts.check_login("ada", "whatever", Client("two"))
    assert unknown.message == wrong.message == "Username or password is incorrect."


def test_onboarding_flow_survives_reload(service: Marquee) -> None:
    uid = service.accounts.register("Ada", "ada@example.com", "ada", PASSWORD, PASSWORD)
    assert service.onboarding.onboarding_state(uid).step == 1
    genres = service.onboarding.available_genres()
    with pytest.raises(ValueError, match="exactly 5"):
        service.onboarding.set_favorite_genres(uid, genres[:4])
    service.onboarding.set_favorite_genres(uid, genres[:5])
    state = service.onboarding.onboarding_state(uid)
    assert state.step == 2 and state.genres == tuple(genres[:5])

    movies = service.onboarding.trending("movie", limit=8)
    shows = service.onboarding.trending("tv", limit=8)
    assert len(movies) >= 5 and len(shows) >= 5
    year_from, year_to = service.onboarding.trending_window()
    assert (year_from, year_to) == (2024, 2026)
    assert all(c.title_type == "movie" and year_from <= c.year <= year_to for c in movies)
    assert all(c.title_type in ("tvSeries", "tvMiniSeries") for c in shows)
    assert [c.votes for c in movies] == sorted((c.votes for c in movies), reverse=True)

    for card in movies[:6]:
        service.onboarding.pick(uid, card.tconst, True)
    service.onboarding.pick(uid, movies[5].tconst, False)
    for card in shows[:4]:
        service.onboarding.pick(uid, card.tconst, True)
    # a "reload": everything comes from the database
    state = service.onboarding.onboarding_state(uid)
    assert len(state.movie_picks) == 5 and len(state.tv_picks) == 4 and not state.can_finish
    with pytest.raises(ValueError, match="exactly 5 movies and 5 TV shows"):
        service.onboarding.complete_onboarding(uid)
    service.onboarding.pick(uid, shows[4].tconst, True)
    service.onboarding.complete_onboarding(uid)
    assert service.onboarding.onboarding_state(uid).done
    assert service.accounts.user("ada").onboarded  # type: ignore[union-attr]
    likes = service.ratings.choices(uid)
    assert len(likes) == 10 and all(likes.values())


def test_rate_changes_and_takes_back(service: Marquee) -> None:
    uid = service.accounts.register("Ada", "ada@example.com", "ada", PASSWORD, PASSWORD)
    tconst = service.picks.search("a", limit=1)[0].tconst
    service.ratings.rate(uid, tconst, "like")
    assert service.ratings.choices(uid) == {tconst: True}
    service.ratings.rate(uid, tconst, "dislike")
    assert service.ratings.choices(uid) == {tconst: False}
    service.ratings.rate(uid, tconst, None)
    assert service.ratings.choices(uid) == {}
    with pytest.raises(ValueError):
        service.ratings.rate(uid, tconst, "love")  # type: ignore[arg-type]


def test_search_and_details_escape_nothing_and_find_quotes(service: Marquee) -> None:
    found = service.picks.search('"')
    assert found and all('"' in c.title for c in found)
    assert service.picks.search("") == [] and service.picks.search("%") == []
    card = service.picks.title_details(found[0].tconst)
    assert card is not None and card.imdb_url.endswith(f"/title/{card.tconst}/")
    assert card.poster_src.startswith("data:image/svg+xml;base64,")  # no TMDb key: placeholder
    assert card.directors and card.cast
    assert service.picks.title_details("tt0000000x") is None


def test_online_report_counts_shown_and_liked(service: Marquee, db: Database) -> None:
    from recsys.store import impressions

    uid = service.accounts.register("Ada", "ada@example.com", "ada", PASSWORD, PASSWORD)
    cards = service.picks.search("a", limit=4)
    with db.session() as s:
        impressions.log_shown(
            s, uid, "movie", [(c.tconst, i + 1, "hybrid") for i, c in enumerate(cards)]
        )
    service.ratings.rate(uid, cards[0].tconst, "like")
    service.ratings.rate(uid, cards[1].tconst, "dislike")
    report = service.quality.online_report()
    assert (report.users, report.interactions, report.likes, report.dislikes) == (1, 2, 1, 1)
    row = report.by_model_part.set_index("model_part").loc["hybrid"]
    assert (row["shown"], row["liked"], row["disliked"]) == (4, 1, 1)
    assert row["like_rate"] == 0.25
    assert len(report.by_week) == 1 and len(report.by_section) == 1


@pytest.fixture
def served(service: Marquee) -> Marquee:
    """The service with an engine trained on the tiny world (as the app does on first start)."""
    from recsys.lifecycle.training import load_or_train_engine

    status = load_or_train_engine(service.settings, service.db)
    assert "Trained a new model" in status.message
    return Marquee(service.settings, service.db, status.engine, clock=service.clock)


def test_cold_start_then_personal_recommendations(served: Marquee) -> None:
    uid = served.accounts.register("Bo", "bo@example.com", "bob", PASSWORD, PASSWORD)
    served.onboarding.set_favorite_genres(uid, served.onboarding.available_genres()[:5])
    cold = served.picks.recommendations(uid, "movie", k=5)
    assert cold and all(c.model_part == "cold_start" for c in cold)
    favourites = set(served.onboarding.available_genres()[:5])
    assert all(favourites & set(c.genres) for c in cold)

    uid = onboard(served)
    liked = set(served.ratings.choices(uid))
    for section, types in (("movie", {"movie"}), ("tv", {"tvSeries", "tvMiniSeries"})):
        cards = served.picks.recommendations(uid, section, k=6)
        assert len(cards) == 6
        assert [c.rank for c in cards] == [1, 2, 3, 4, 5, 6]
        assert all(c.title_type in types for c in cards)
        assert not liked & {c.tconst for c in cards}
        assert all(c.model_part != "cold_start" and c.why for c in cards)

    # A dislike removes the title from the next list; impressions were logged.
    first = served.picks.recommendations(uid, "movie", k=6)[0]
    served.ratings.rate(uid, first.tconst, "dislike")
    assert first.tconst not in {c.tconst for c in served.picks.recommendations(uid, "movie", k=6)}
    report = served.quality.online_report()
    assert report.impressions >= 12 and report.dislikes == 1


class CountingEngine:
    """A fitted engine that counts the scoring calls made through it (a spy)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.calls: Counter[str] = Counter()

    def recommend(self, *args: Any, **kwargs: Any) -> Any:
        self.calls["recommend"] += 1
        return self.engine.recommend(*args, **kwargs)

    def recommend_sections(self, *args: Any, **kwargs: Any) -> Any:
        self.calls["recommend_sections"] += 1
        return self.engine.recommend_sections(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.engine, name)


def test_home_sections_score_the_user_once_and_log_both(served: Marquee) -> None:
    uid = onboard(served)
    assert served.engine is not None
    spy = CountingEngine(served.engine)
    home = Marquee(served.settings, served.db, spy, clock=served.clock)  # type: ignore[arg-type]

    sections = home.picks.home_sections(uid, k=6)
    assert spy.calls == Counter({"recommend_sections": 1})  # one scoring for both sections
    assert list(sections) == ["movie", "tv"]
    assert all(c.title_type == "movie" for c in sections["movie"])
    assert all(c.title_type in ("tvSeries", "tvMiniSeries") for c in sections["tv"])
    for section, cards in sections.items():  # the same lists as one section at a time
        alone = served.picks.recommendations(uid, section, k=6, log_impressions=False)
        assert [c.tconst for c in cards] == [c.tconst for c in alone]
        assert [c.rank for c in cards] == list(range(1, 7))

    with served.db.session() as session:
        rows = session.execute(
            select(Impression.section, Impression.tconst, Impression.rank).where(
                Impression.user_id == uid
            )
        ).all()
    logged = {s: sorted((rank, t) for sec, t, rank in rows if sec == s) for s in sections}
    assert logged == {s: [(c.rank, c.tconst) for c in cards] for s, cards in sections.items()}


def test_explain_agrees_with_the_ranking_and_maps_the_taste(served: Marquee) -> None:
    uid = onboard(served)
    card = served.picks.recommendations(uid, "movie", k=3)[0]
    explanation = served.picks.explain(uid, card.tconst)
    assert explanation.tconst == card.tconst
    assert explanation.final_score == pytest.approx(card.score, rel=1e-6)
    details = served.picks.title_details(card.tconst, uid)
    assert details is not None and details.why
    points = served.picks.taste_map(uid, [card.tconst])
    assert set(points["kind"]) == {"liked", "recommended"}
    assert list(points.columns) == ["x", "y", "tconst", "title", "kind"]


def test_engine_is_reloaded_not_retrained(served: Marquee) -> None:
    from recsys.lifecycle.reuse import stale_reason
    from recsys.lifecycle.training import load_or_train_engine

    again = load_or_train_engine(served.settings, served.db)
    assert again.message == "Loaded the saved model." and not again.trained
    assert stale_reason(again.engine.manifest(), served.settings, served.db) is None


def test_run_evaluation_writes_the_report_the_quality_page_reads(service: Marquee) -> None:
    seen: list[tuple[str, float | None]] = []
    report = service.quality.run_evaluation(lambda step, fraction: seen.append((step, fraction)))
    assert set(report.models) >= {"popularity", "content", "svd", "hybrid"}
    assert service.quality.offline_report() == report
    fractions = [f for _, f in seen]
    assert fractions[0] == 0.0 and fractions[-1] == 1.0
    assert fractions == sorted(fractions) and len({s for s, _ in seen}) == 1
