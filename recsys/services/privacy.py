"""A user's own data: everything we hold about them to download, and deleting the account.

The export is typed (:class:`UserExport`) and written as JSON or CSV; CSV cells that a
spreadsheet would run as a formula are escaped (OWASP's rule). Deleting an account removes
every row that points at the user (any table with a ``user_id`` foreign key to ``users``: likes,
impressions, log-in sessions, the watchlist, whatever is added later) and the user, in one
transaction; the next model retrain no longer sees them because it reads the interactions table.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy import Table, delete, select
from sqlalchemy.orm import Session

from recsys.auth.credentials import AccountError
from recsys.services.accounts import UserProfile, profile_of
from recsys.store.db import Database
from recsys.store.models import (
    Base,
    HiddenTitle,
    Interaction,
    Night,
    NightMember,
    NightVeto,
    Title,
    User,
    UserPreference,
    WatchedTogether,
    WatchlistEntry,
)

#: What a spreadsheet treats as the start of a formula (OWASP "CSV Injection").
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
CSV_COLUMNS = (
    "tconst", "title", "title_type", "year", "liked", "source", "created_at", "updated_at",
)  # fmt: skip


@dataclass(frozen=True)
class ExportedChoice:
    """A like or dislike with the title as the catalog names it (None once it left)."""

    tconst: str
    title: str | None
    title_type: str | None
    year: int | None
    liked: bool
    source: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class ExportedSaved:
    """A watchlist entry with the title as the catalog names it (None once it left)."""

    tconst: str
    title: str | None
    added_at: datetime


@dataclass(frozen=True)
class ExportedHidden:
    """A hidden title ("Not for me" with its reason, or "Stop using this")."""

    tconst: str
    title: str | None
    reason: str
    previous: bool | None
    created_at: datetime


@dataclass(frozen=True)
class ExportedNight:
    """A movie night the user has a seat at: its name, their part and their own vetoes
    (never another member's data)."""

    name: str
    host: bool
    joined_at: datetime
    removed: bool
    vetoes: tuple[str, ...]


@dataclass(frozen=True)
class ExportedWatched:
    """A title watched together at a movie night, and whether Home's question was answered."""

    tconst: str
    title: str | None
    watched_at: datetime
    answered: bool


@dataclass(frozen=True)
class UserExport:
    #: The profile; its ``id`` (our row id, not the user's data) stays out of the files.
    profile: UserProfile
    choices: tuple[ExportedChoice, ...]
    #: The watchlist, newest first (JSON only: the CSV stays one table of likes and dislikes).
    watchlist: tuple[ExportedSaved, ...] = ()
    #: Hidden titles with their reasons, newest first (JSON only).
    hidden: tuple[ExportedHidden, ...] = ()
    #: Home's filters, dials and the streaming services, as stored (JSON only; None: unset).
    preferences: dict[str, object] | None = None
    #: Movie nights (JSON only): the user's seats and vetoes, and titles watched together.
    nights: tuple[ExportedNight, ...] = ()
    watched_together: tuple[ExportedWatched, ...] = ()


def escape_cell(value: object) -> str:
    """A CSV cell a spreadsheet shows as text: a formula-like start gets a leading ``'``."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def to_json(export: UserExport) -> bytes:
    """The export as UTF-8 JSON (times in ISO 8601, UTC)."""

    def default(value: object) -> str:
        if isinstance(value, datetime):
            return value.isoformat()
        raise TypeError(type(value).__name__)

    data = asdict(export)
    del data["profile"]["id"]
    return json.dumps(data, default=default, ensure_ascii=False, indent=2).encode()


def to_csv(export: UserExport) -> bytes:
    """The likes and dislikes as CSV, one header row, every cell formula-escaped."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for choice in export.choices:
        row = asdict(choice)
        row["created_at"] = choice.created_at.isoformat()
        row["updated_at"] = choice.updated_at.isoformat()
        writer.writerow([escape_cell(row[c]) for c in CSV_COLUMNS])
    return out.getvalue().encode("utf-8")


def user_tables() -> list[Table]:
    """Every table whose ``user_id`` is a foreign key to ``users.id`` (children of a user)."""
    return [
        table
        for table in Base.metadata.sorted_tables
        if any(
            fk.parent.name == "user_id" and fk.column.table.name == User.__tablename__
            for fk in table.foreign_keys
        )
    ]


def _preferences(row: UserPreference | None) -> dict[str, object] | None:
    """The stored preferences as plain values (each column is JSON text or NULL)."""
    if row is None:
        return None
    out: dict[str, object] = {}
    for name in ("home_filters", "dials", "services"):
        raw = getattr(row, name)
        try:
            out[name] = None if raw is None else json.loads(raw)
        except ValueError:
            out[name] = raw  # unreadable JSON: exported as stored
    return out


def _night_data(
    db: Database, user_id: int
) -> tuple[tuple[ExportedNight, ...], tuple[ExportedWatched, ...]]:
    """The user's movie-night seats with their own vetoes, and what they watched together."""
    with db.session() as session:
        seats = session.execute(
            select(Night, NightMember)
            .join(NightMember, NightMember.night_id == Night.id)
            .where(NightMember.user_id == user_id)
            .order_by(NightMember.joined_at, NightMember.id)
        ).all()
        vetoes: dict[int, list[str]] = {}
        for night_id, tconst in session.execute(
            select(NightVeto.night_id, NightVeto.tconst)
            .where(NightVeto.user_id == user_id)
            .order_by(NightVeto.id)
        ):
            vetoes.setdefault(night_id, []).append(tconst)
        nights = tuple(
            ExportedNight(
                night.name,
                night.host_id == user_id,
                seat.joined_at,
                seat.removed_at is not None,
                tuple(vetoes.get(night.id, ())),
            )
            for night, seat in seats
        )
        watched = tuple(
            ExportedWatched(w.tconst, title, w.watched_at, w.answered_at is not None)
            for w, title in session.execute(
                select(WatchedTogether, Title.primary_title)
                .outerjoin(Title, Title.tconst == WatchedTogether.tconst)
                .where(WatchedTogether.user_id == user_id)
                .order_by(WatchedTogether.watched_at, WatchedTogether.id)
            )
        )
    return nights, watched


def _delete_user(session: Session, user_id: int) -> None:
    session.execute(delete(User).where(User.id == user_id))


@dataclass(frozen=True)
class Privacy:
    """Export and deletion of one user's data."""

    db: Database

    def export(self, user_id: int) -> UserExport:
        """The profile, every like and dislike (oldest first), the watchlist, the hidden
        titles with their reasons and the stored preferences (filters, dials, services)."""
        with self.db.session() as session:
            user = session.get(User, user_id)
            if user is None:
                raise AccountError("That account no longer exists.")
            rows = session.execute(
                select(Interaction, Title.primary_title, Title.title_type, Title.start_year)
                .outerjoin(Title, Title.tconst == Interaction.tconst)
                .where(Interaction.user_id == user_id)
                .order_by(Interaction.created_at, Interaction.id)
            ).all()
            saved = session.execute(
                select(WatchlistEntry.tconst, Title.primary_title, WatchlistEntry.added_at)
                .outerjoin(Title, Title.tconst == WatchlistEntry.tconst)
                .where(WatchlistEntry.user_id == user_id)
                .order_by(WatchlistEntry.added_at.desc(), WatchlistEntry.id.desc())
            ).all()
            hidden = session.execute(
                select(HiddenTitle, Title.primary_title)
                .outerjoin(Title, Title.tconst == HiddenTitle.tconst)
                .where(HiddenTitle.user_id == user_id)
                .order_by(HiddenTitle.created_at.desc(), HiddenTitle.id.desc())
            ).all()
            preferences = _preferences(session.get(UserPreference, user_id))
            profile = profile_of(user)
        choices = tuple(
            ExportedChoice(
                tconst=i.tconst,
                title=title,
                title_type=kind,
                year=year,
                liked=i.liked,
                source=i.source,
                created_at=i.created_at,
                updated_at=i.updated_at,
            )
            for i, title, kind, year in rows
        )
        watchlist = tuple(ExportedSaved(t, title, added) for t, title, added in saved)
        hidden_titles = tuple(
            ExportedHidden(h.tconst, title, h.reason, h.previous, h.created_at)
            for h, title in hidden
        )
        nights, watched = _night_data(self.db, user_id)
        return UserExport(profile, choices, watchlist, hidden_titles, preferences, nights, watched)

    def delete_account(self, user_id: int, confirm_username: str) -> None:
        """Remove the user and everything that points at them, or nothing at all.

        ``confirm_username`` must be the account's username as typed at registration
        (surrounding spaces ignored): a guard against deleting by a slip.
        """
        with self.db.session() as session:
            user = session.get(User, user_id)
            if user is None:
                raise AccountError("That account no longer exists.")
            if (confirm_username or "").strip() != user.username:
                raise AccountError(
                    "To delete the account, type its username exactly; nothing was deleted."
                )
            session.expunge(user)
            for table in user_tables():
                session.execute(delete(table).where(table.c.user_id == user_id))
            _delete_user(session, user_id)
