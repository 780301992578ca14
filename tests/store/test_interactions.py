"""Likes and dislikes: one row per (user, title), safe under concurrent writers."""

from __future__ import annotations

import threading

import pytest

from recsys.store import interactions, users
from recsys.store.db import Database


def _user(db: Database, name: str = "ana") -> int:
    with db.session() as s:
        return users.create_user(
            s, username=name, email=f"{name}@example.com", name=name.title(), password_hash="h"
        ).id


def test_changing_your_mind_updates_the_row(db: Database) -> None:
    uid = _user(db)
    with db.session() as s:
        interactions.upsert(s, uid, "tt0111161", True)
    with db.session() as s:
        interactions.upsert(s, uid, "tt0111161", False)
    with db.session() as s:
        rows = interactions.for_user(s, uid)
    assert [(r.tconst, r.liked) for r in rows] == [("tt0111161", False)]
    assert rows[0].updated_at >= rows[0].created_at


def test_take_back(db: Database) -> None:
    uid = _user(db)
    with db.session() as s:
        interactions.upsert(s, uid, "tt1", True)
        interactions.upsert(s, uid, "tt2", False)
    with db.session() as s:
        interactions.remove(s, uid, "tt1")
    with db.session() as s:
        assert [r.tconst for r in interactions.for_user(s, uid)] == ["tt2"]
        frame = interactions.frame(s)
    assert list(frame.columns) == ["user_id", "tconst", "liked", "updated_at"]
    assert frame["user_id"].tolist() == [f"app:{uid}"]


def test_two_tabs_liking_at_once_store_one_row_each(db: Database) -> None:
    """Eight threads hammer the same titles; nothing is lost or duplicated."""
    uid = _user(db)
    titles = [f"tt{n:07d}" for n in range(40)]
    errors: list[BaseException] = []

    def worker(offset: int) -> None:
        try:
            for i, tconst in enumerate(titles):
                with db.session() as s:
                    interactions.upsert(s, uid, tconst, (i + offset) % 2 == 0)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with db.session() as s:
        rows = interactions.for_user(s, uid)
        assert interactions.count(s) == len(titles)
    assert sorted(r.tconst for r in rows) == titles


def test_duplicate_username_and_email_are_refused(db: Database) -> None:
    _user(db, "ana")
    with db.session() as s, pytest.raises(users.DuplicateUserError) as err:
        users.create_user(s, username="ANA", email="x@example.com", name="x", password_hash="h")
    assert err.value.field == "username"
    with db.session() as s, pytest.raises(users.DuplicateUserError) as err:
        users.create_user(s, username="bob", email="Ana@Example.com", name="x", password_hash="h")
    assert err.value.field == "email"


def test_deleting_a_user_cascades(db: Database) -> None:
    uid = _user(db)
    with db.session() as s:
        interactions.upsert(s, uid, "tt1", True)
    with db.session() as s:
        s.delete(users.by_id(s, uid))
    with db.session() as s:
        assert interactions.count(s) == 0
