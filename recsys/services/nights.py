"""Movie night (issue 23): a group of two to six members gets one list from everyone's model.

The host starts a night and shares its code (or the link ``/movie-night?join=CODE``); others
join by the code; no username is looked up or shown, only each member's first name. All state
is in the database (``recsys.store.nights``), so every app process of a cluster sees the same
night, and the pages poll it. Bad input gets one sentence (:class:`NightError`) and changes
nothing: an unknown or expired code, a seventh member, a removed member's stale page, and a
host action made on a version of the night someone else has changed meanwhile.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from recsys.models.group import STRATEGIES, Strategy
from recsys.services.art import ArtProvider
from recsys.services.night_picks import (
    GroupList,
    NightKind,
    NightRequest,
    NightSettings,
    group_list,
    group_services,
    store_member_list,
)
from recsys.services.ratings import Choice, Ratings
from recsys.services.streaming import load_services
from recsys.store import interactions as interaction_store
from recsys.store import nights as night_store
from recsys.store import preferences as preference_store
from recsys.store.db import Database
from recsys.store.models import Night, NightMember, Title, User, utcnow

if TYPE_CHECKING:
    from recsys.lifecycle.engine import Engine

#: A night ends this long after it starts unless the host keeps it.
LIFETIME = timedelta(hours=24)
MIN_MEMBERS, MAX_MEMBERS = 2, night_store.SEATS
#: Join codes: no 0/O, 1/I/L (read aloud or typed from a phone).
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 6
NAME_MAX = 80

UNKNOWN_CODE = "No movie night has that code; check it and try again."
EXPIRED = "That movie night has ended: a night lasts 24 hours unless its host keeps it."
FULL = "That movie night is full: it already has six people."
REMOVED = "The host removed you from this movie night."
NOT_MEMBER = "You are not in this movie night any more."
NOT_HOST = "Only the host of this movie night can do that."
STALE = (
    "Someone changed this night at the same moment, so nothing was changed; "
    "the page now shows the latest."
)


class NightError(ValueError):
    """A night action that cannot be done; the message says why, nothing was changed."""


@dataclass(frozen=True)
class NightMemberView:
    """A member as the others see them: first name only."""

    member_id: int
    first_name: str
    is_host: bool
    is_you: bool


@dataclass(frozen=True)
class NightView:
    """One night as a member's page shows it (no other member's ratings or history)."""

    night_id: int
    code: str
    name: str
    you_host: bool
    members: tuple[NightMemberView, ...]
    settings: NightSettings
    expires_at: datetime
    kept: bool
    version: int
    my_vetoes: frozenset[str] = frozenset()
    watched: frozenset[str] = frozenset()

    @property
    def ready(self) -> bool:
        """Two members at least: a group list makes sense."""
        return len(self.members) >= MIN_MEMBERS


@dataclass(frozen=True)
class WatchedPrompt:
    """Home's "You watched X together: like it?" for one title."""

    tconst: str
    title: str
    watched_at: datetime


def first_name(name: str) -> str:
    """The first word of the account's display name, at most 40 characters."""
    words = (name or "").split()
    return (words[0] if words else "Someone")[:40]


@dataclass(frozen=True)
class Nights:
    """Start, join, leave and run movie nights; the group's picks."""

    db: Database
    ratings: Ratings
    engine: Engine | None = None
    art: ArtProvider | None = None
    clock: Callable[[], datetime] = utcnow
    _codes: Callable[[], str] = field(default=lambda: new_code(), repr=False)

    # ------------------------------------------------------------------ membership
    def create(self, user_id: int, name: str) -> NightView:
        """A new night hosted by ``user_id``; they take seat 1."""
        name = " ".join((name or "").split())[:NAME_MAX]
        if not name:
            raise NightError("Give the night a name, such as “Friday with Bo”.")
        now = self.clock()
        for _ in range(5):
            try:
                with self.db.session() as session:
                    night_store.purge_expired(session, now)
                    host = session.get(User, user_id)
                    if host is None:
                        raise NightError("That account no longer exists.")
                    night = Night(
                        code=self._codes(),
                        name=name,
                        user_id=user_id,  # the host
                        created_at=now,
                        expires_at=now + LIFETIME,
                        strategy=DEFAULT_STRATEGY,
                    )
                    session.add(night)
                    session.flush()
                    night_store.take_seat(session, night.id, user_id, first_name(host.name), now)
                    night_id = night.id
            except IntegrityError:  # the code was taken at the same moment: draw another
                continue
            self.prepare(user_id)  # a new night lists movies
            return self.view(user_id, night_id)
        raise NightError("No free join code was found; please try again.")

    def join(self, user_id: int, code: str) -> NightView:
        """Take a seat at the night with ``code`` (joining twice is harmless)."""
        code = (code or "").strip().upper().replace(" ", "").replace("-", "")
        now = self.clock()
        with self.db.session() as session:
            night = night_store.by_code(session, code) if code else None
            if night is None:
                raise NightError(UNKNOWN_CODE)
            _check_open(night, now)
            mine = night_store.member(session, night.id, user_id)
            if mine is not None and mine.removed_at is not None:
                raise NightError(REMOVED)
            if mine is None:
                user = session.get(User, user_id)
                if user is None:
                    raise NightError("That account no longer exists.")
                seat = night_store.take_seat(session, night.id, user_id, first_name(user.name), now)
                if seat is None:
                    raise NightError(FULL)
                night_store.bump(session, night.id)
            night_id, kind = night.id, _settings(night).kind
        self.prepare(user_id, kind)
        return self.view(user_id, night_id)

    def view(self, user_id: int, night_id: int) -> NightView:
        """The night as ``user_id`` sees it; raises :class:`NightError` when they may not."""
        with self.db.session() as session:
            night, _mine = _membership(session, user_id, night_id, self.clock())
            members = night_store.seated(session, night_id)
            vetoes = night_store.vetoes(session, night_id)
            watched = night_store.watched(session, night_id)
            return NightView(
                night_id=night.id,
                code=night.code,
                name=night.name,
                you_host=night.host_id == user_id,
                members=tuple(
                    NightMemberView(
                        m.id, m.first_name, m.user_id == night.host_id, m.user_id == user_id
                    )
                    for m in members
                ),
                settings=_settings(night),
                expires_at=night.expires_at,
                kept=night.kept,
                version=night.version,
                my_vetoes=frozenset(t for t, who in vetoes.items() if user_id in who),
                watched=frozenset(watched),
            )

    def version(self, user_id: int, night_id: int) -> int:
        """The night's change counter (what the live fragment polls)."""
        with self.db.session() as session:
            night, _mine = _membership(session, user_id, night_id, self.clock())
            return night.version

    def my_nights(self, user_id: int) -> list[tuple[int, str]]:
        """(night id, name) of the open nights the user has a seat at, newest first."""
        now = self.clock()
        with self.db.session() as session:
            return [
                (night.id, night.name)
                for night, seat in night_store.nights_of(session, user_id)
                if seat.removed_at is None and (night.kept or night.expires_at > now)
            ]

    def remove_member(self, host_id: int, night_id: int, member_id: int, version: int) -> None:
        """The host takes a member's seat away (their vetoes go; the code no longer lets
        them back)."""
        with self.db.session() as session:
            night = _host_change(session, host_id, night_id, version, self.clock())
            target = session.get(NightMember, member_id)
            if target is None or target.night_id != night_id or target.removed_at is not None:
                raise NightError("That person is no longer in this night.")
            if target.user_id == night.host_id:
                raise NightError("The host cannot remove themselves; leave the night instead.")
            target.seat = None
            target.removed_at = self.clock()
            night_store.drop_member_data(session, night_id, target.user_id)

    def leave(self, user_id: int, night_id: int) -> None:
        """Leave the night: the member's seat and vetoes are deleted. The host leaving ends
        the night for everyone."""
        with self.db.session() as session:
            night, mine = _membership(session, user_id, night_id, self.clock())
            if night.host_id == user_id:
                session.delete(night)
                return
            night_store.drop_member_data(session, night_id, user_id)
            session.delete(mine)
            night_store.bump(session, night_id)

    def keep(self, host_id: int, night_id: int, version: int, kept: bool = True) -> None:
        """Keep the night past its 24 hours (or let it end then again)."""
        with self.db.session() as session:
            night = _host_change(session, host_id, night_id, version, self.clock())
            night.kept = kept
            if not kept:
                night.expires_at = max(night.expires_at, self.clock() + timedelta(hours=1))

    def configure(self, host_id: int, night_id: int, version: int, settings: NightSettings) -> None:
        """The host sets how to combine and the filters."""
        if settings.strategy not in STRATEGIES:
            raise NightError("Choose one of the ways to combine shown on the page.")
        with self.db.session() as session:
            night = _host_change(session, host_id, night_id, version, self.clock())
            night.strategy = settings.strategy
            night.kind = settings.kind
            night.max_runtime = settings.max_runtime
            night.streamable_only = settings.streamable_only

    # ------------------------------------------------------------------ titles
    def veto(self, user_id: int, night_id: int, tconst: str, on: bool = True) -> None:
        """ "Not tonight" (or take it back): the title leaves the list for the whole group."""
        with self.db.session() as session:
            _membership(session, user_id, night_id, self.clock())
            if on and session.get(Title, tconst) is None:
                raise NightError("That title is not in the catalog.")
            changed = (
                night_store.add_veto(session, night_id, user_id, tconst, self.clock())
                if on
                else night_store.remove_veto(session, night_id, user_id, tconst)
            )
            if changed:
                night_store.bump(session, night_id)

    def watched(self, user_id: int, night_id: int, tconst: str) -> None:
        """ "We watched it": recorded for every member, who is asked later on Home."""
        with self.db.session() as session:
            _membership(session, user_id, night_id, self.clock())
            if session.get(Title, tconst) is None:
                raise NightError("That title is not in the catalog.")
            members = [m.user_id for m in night_store.seated(session, night_id)]
            night_store.mark_watched(session, night_id, members, tconst, self.clock())
            night_store.bump(session, night_id)

    def picks(self, user_id: int, night_id: int, k: int = 10) -> GroupList:
        """Tonight's picks for the group (see :mod:`recsys.services.night_picks`)."""
        if self.engine is None:
            raise RuntimeError("The recommender is not loaded yet.")
        with self.db.session() as session:
            night, _mine = _membership(session, user_id, night_id, self.clock())
            members = [(m.user_id, m.first_name) for m in night_store.seated(session, night_id)]
            removed = set(night_store.vetoes(session, night_id)) | night_store.watched(
                session, night_id
            )
            settings, version = _settings(night), night.version
        histories = self.ratings.histories([uid for uid, _ in members])
        names = tuple(name for _, name in members)
        services = None
        if settings.streamable_only:
            with self.db.session() as session:
                stored = [
                    load_services(preference_store.services(session, uid)) for uid, _ in members
                ]
            services = group_services(stored)
        request = NightRequest(
            histories=tuple(histories),
            names=names,
            settings=settings,
            removed=frozenset(removed),
            k=k,
            version=version,
            services=services,
            user_ids=tuple(uid for uid, _ in members),
        )
        return group_list(self.engine, self.db, self.art, request)

    def prepare(self, user_id: int, kind: NightKind = "movie") -> None:
        """Rank a member's list now (a seat was just taken) and keep it in the database: a
        first draw in any process reads it instead of running their model."""
        if self.engine is not None:
            (history,) = self.ratings.histories([user_id])
            store_member_list(self.engine, self.db, user_id, history, kind)

    # ------------------------------------------------------------------ Home's prompt
    def prompts(self, user_id: int) -> list[WatchedPrompt]:
        """Titles the user watched at a night and has not rated or answered yet."""
        with self.db.session() as session:
            rows = night_store.unanswered(session, user_id)
            titles = (
                {
                    t.tconst: t.primary_title
                    for t in session.query(Title).filter(Title.tconst.in_([r.tconst for r in rows]))
                }
                if rows
                else {}
            )
            return [
                WatchedPrompt(r.tconst, titles[r.tconst], r.watched_at)
                for r in rows
                if r.tconst in titles
            ]

    def answer(self, user_id: int, tconst: str, choice: Choice) -> None:
        """The member's answer: a like or dislike feeds their model; None: not now, and
        the prompt goes either way."""
        with self.db.session() as session:
            if not night_store.answer(session, user_id, tconst, self.clock()):
                return
            if choice in ("like", "dislike"):
                interaction_store.upsert(
                    session, user_id, tconst, choice == "like", source="movie_night"
                )


#: Chosen from the group evaluation (README "Movie night"): the best mean and, for groups of
#: three and four, the best worst-member NDCG@10 of the three strategies.
DEFAULT_STRATEGY: Strategy = "average"


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def _membership(
    session: Session, user_id: int, night_id: int, now: datetime
) -> tuple[Night, NightMember]:
    """The night and the user's seat; raises :class:`NightError` when they have none."""
    night = session.get(Night, night_id)
    mine = night_store.member(session, night_id, user_id) if night else None
    if night is None or mine is None:
        raise NightError(NOT_MEMBER if night is not None else EXPIRED)
    if mine.removed_at is not None:
        raise NightError(REMOVED)
    _check_open(night, now)
    return night, mine


def _host_change(
    session: Session, host_id: int, night_id: int, version: int, now: datetime
) -> Night:
    """The night, for a host's change made on ``version``; the version moves on."""
    night, _mine = _membership(session, host_id, night_id, now)
    if night.host_id != host_id:
        raise NightError(NOT_HOST)
    if not night_store.bump(session, night_id, expected=version):
        raise NightError(STALE)
    session.refresh(night)
    return night


def _check_open(night: Night, now: datetime) -> None:
    if not night.kept and night.expires_at <= now:
        raise NightError(EXPIRED)


def _settings(night: Night) -> NightSettings:
    return NightSettings(
        strategy=night.strategy if night.strategy in STRATEGIES else DEFAULT_STRATEGY,  # type: ignore[arg-type]
        kind="tv" if night.kind == "tv" else "movie",
        max_runtime=night.max_runtime,
        streamable_only=night.streamable_only,
    )
