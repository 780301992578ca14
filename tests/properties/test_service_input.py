"""Hostile input to what the pages call: search, register, check_login, placeholder posters.

DB-backed properties run on both backends (``db`` fixture) with few examples each.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from recsys.auth import credentials as accounts
from recsys.services import Marquee
from recsys.store.db import Database
from recsys.tmdb.placeholder import placeholder_svg

DB_SETTINGS = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
HOSTILE = st.sampled_from(
    [
        "' OR 1=1 --", "'; DROP TABLE titles; --", '" OR ""="', "%", "_", "%%", "\\", "\\%",
        "a%b", "[a-z]", "*", "\x00", "a\x00b", "<script>alert(1)</script>", "**bold**",
        "Robert'); DROP TABLE users;--", "\u202eevil", "ǅ", "ß", "İ", "🎬", "x" * 10_000,
        "UNION SELECT password_hash FROM users", "$1", "?", ":name", "%(x)s",
    ]
)  # fmt: skip
ANY_TEXT = st.one_of(HOSTILE, st.text(max_size=60), st.text(min_size=150, max_size=400))
#: Text for the database-backed calls without NUL (NUL has its own tests below).
SEARCH_TEXT = ANY_TEXT.map(lambda s: s.replace("\x00", ""))


@pytest.fixture
def marquee(service: Marquee) -> Marquee:
    """The shared ``service`` (the world on both backends), by this module's name for it."""
    return service


def _counts(db: Database) -> dict[str, int]:
    with db.engine.connect() as conn:
        return {
            t: conn.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar_one()
            for t in ("titles", "users", "interactions", "training_ratings")
        }


def test_search_with_hostile_text(marquee: Marquee) -> None:
    before = _counts(marquee.db)

    @DB_SETTINGS
    @given(query=SEARCH_TEXT)
    def check(query: str) -> None:
        cards = marquee.picks.search(query)
        needle = query.strip()[:200].lower()
        for card in cards:
            assert (
                needle in card.title.lower()
                or needle in (card.title or "").lower()
                or (needle in _original(marquee, card.tconst).lower())
            )

    check()
    assert _counts(marquee.db) == before
    assert marquee.picks.search("Night") or marquee.picks.search("a")  # still searchable


@pytest.mark.parametrize("query", ["\x00", "zzz\x00", "\x00zzz"])
def test_search_with_nul_byte_finds_only_matches(marquee: Marquee, query: str) -> None:
    cards = marquee.picks.search(query)
    assert all(query.lower() in c.title.lower() for c in cards)


def _original(marquee: Marquee, tconst: str) -> str:
    with marquee.db.engine.connect() as conn:
        return conn.execute(
            text("SELECT original_title FROM titles WHERE tconst = :t"), {"t": tconst}
        ).scalar_one()


def test_register_with_arbitrary_fields(marquee: Marquee) -> None:
    seen: set[str] = set()

    @DB_SETTINGS
    @given(
        name=ANY_TEXT,
        email=st.one_of(SEARCH_TEXT, st.emails().map(str)),
        username=st.one_of(SEARCH_TEXT, st.from_regex(r"[A-Za-z0-9_.-]{3,12}", fullmatch=True)),
        password=st.one_of(ANY_TEXT, st.just("Secret-pass1")),
    )
    def check(name: str, email: str, username: str, password: str) -> None:
        try:
            cleaned = accounts.validate_registration(
                name=name, email=email, username=username, password=password,
                password_repeat=password,
            )  # fmt: skip
        except accounts.AccountError:
            cleaned = None
        try:
            uid = marquee.accounts.register(name, email, username, password, password)
        except accounts.AccountError:
            return
        assert isinstance(uid, int) and cleaned is not None
        profile = marquee.accounts.user_by_id(uid)
        assert profile is not None
        assert (profile.name, profile.email, profile.username) == cleaned
        seen.add(profile.username)

    check()
    for username in seen:
        assert marquee.accounts.user(username) is not None


def test_check_login_with_arbitrary_input(marquee: Marquee) -> None:
    marquee.accounts.register("Ada", "ada@example.com", "ada", "Secret-pass1", "Secret-pass1")

    @DB_SETTINGS
    @given(username=st.one_of(SEARCH_TEXT, st.just("ada")), password=ANY_TEXT)
    def check(username: str, password: str) -> None:
        result = marquee.accounts.check_login(username, password)
        assert isinstance(result, accounts.LoginResult)
        assert not result.ok
        assert "<" not in result.message  # nothing the user typed is echoed back

    check()


@pytest.mark.parametrize("where", ["login", "register"])
def test_nul_in_username_or_email_is_a_message(marquee: Marquee, where: str) -> None:
    if where == "login":
        assert not marquee.accounts.check_login("ad\x00a", "Secret-pass1").ok
    else:
        with pytest.raises(accounts.AccountError):
            marquee.accounts.register(
                "Ann", "a\x00b@example.com", "ann", "Secret-pass1", "Secret-pass1"
            )


@settings(max_examples=150, deadline=None)
@given(
    title=st.one_of(ANY_TEXT, st.text(), st.none(), st.integers()),
    year=st.one_of(st.none(), st.integers(-(10**6), 10**6), st.text(max_size=10)),
    genres=st.one_of(st.none(), st.text(max_size=50), st.lists(st.text(max_size=20), max_size=6)),
)
def test_placeholder_svg_is_always_xml(title: object, year: object, genres: object) -> None:
    svg = placeholder_svg(title, year, genres)  # type: ignore[arg-type]
    root = ET.fromstring(svg)
    assert root.tag.endswith("svg")
    assert not any(el.tag.endswith("script") for el in root.iter())
