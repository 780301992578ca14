"""SQLAlchemy 2.0 typed ORM models: the whole schema in one place.

Every change to this file needs an Alembic migration in ``migrations/versions`` that keeps
existing data; ``tests/store/test_migrations.py`` checks that the migrations and these models
agree.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# A naming convention makes constraint names deterministic, so migrations can drop/alter them
# on every backend (SQLite batch mode needs names).
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """Timezone-aware now; stored as UTC on every backend."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that is always timezone-aware UTC in Python.

    SQLite drops the offset and hands back naive values; PostgreSQL keeps it. Normalising here
    means comparisons such as ``locked_until > utcnow()`` behave the same on both.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class User(Base):
    """An account. Passwords only ever as bcrypt hashes."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: Comma-separated IMDb genre names (added by migration 0002).
    favorite_genres: Mapped[str | None] = mapped_column(Text, nullable=True)
    #: Set when the user finished onboarding (genres + 5 movies + 5 shows).
    onboarded_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class Title(Base):
    """One catalog entry (IMDb title.basics + ratings + crew/principals names)."""

    __tablename__ = "titles"

    tconst: Mapped[str] = mapped_column(String(16), primary_key=True)
    title_type: Mapped[str] = mapped_column(String(16))
    primary_title: Mapped[str] = mapped_column(Text)
    original_title: Mapped[str | None] = mapped_column(Text, nullable=True)
    start_year: Mapped[int | None] = mapped_column(Integer, nullable=True)
    end_year: Mapped[int | None] = mapped_column(Integer, nullable=True)
    runtime_minutes: Mapped[int | None] = mapped_column(Integer, nullable=True)
    genres: Mapped[str | None] = mapped_column(Text, nullable=True)
    average_rating: Mapped[float | None] = mapped_column(Float, nullable=True)
    num_votes: Mapped[int] = mapped_column(Integer, default=0)
    directors: Mapped[str | None] = mapped_column(Text, nullable=True)
    writers: Mapped[str | None] = mapped_column(Text, nullable=True)
    top_cast: Mapped[str | None] = mapped_column(Text, nullable=True)

    __table_args__ = (
        Index("ix_titles_type_votes", "title_type", "num_votes"),
        Index("ix_titles_start_year", "start_year"),
    )


class Interaction(Base):
    """A like or dislike. One row per (user, title): changing your mind updates it."""

    __tablename__ = "interactions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # No foreign key to titles: a newer catalog may drop a title, the user's history stays.
    tconst: Mapped[str] = mapped_column(String(16), index=True)
    liked: Mapped[bool] = mapped_column(Boolean)
    source: Mapped[str] = mapped_column(String(32), default="home", server_default="home")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (UniqueConstraint("user_id", "tconst", name="uq_interactions_user_title"),)


class TrainingRating(Base):
    """A MovieLens rating mapped to an IMDb title: the collaborative model's training data."""

    __tablename__ = "training_ratings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(Integer, index=True)
    tconst: Mapped[str] = mapped_column(String(16), index=True)
    rating: Mapped[float] = mapped_column(Float)
    timestamp: Mapped[int] = mapped_column(Integer)


class TitleTag(Base):
    """MovieLens tags counted per title (content features)."""

    __tablename__ = "title_tags"

    tconst: Mapped[str] = mapped_column(String(16), primary_key=True)
    tag: Mapped[str] = mapped_column(String(200), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=1)


class IngestRun(Base):
    """One successful catalog build: where it came from and its summary figures."""

    __tablename__ = "ingest_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    imdb_source: Mapped[str] = mapped_column(Text)
    movielens_source: Mapped[str] = mapped_column(Text)
    min_votes: Mapped[int] = mapped_column(Integer)
    summary_json: Mapped[str] = mapped_column(Text)


class TmdbCacheEntry(Base):
    """Cached TMDb lookups (hits and misses), so a page of posters costs no API calls."""

    __tablename__ = "tmdb_cache"

    tconst: Mapped[str] = mapped_column(String(16), primary_key=True)
    payload: Mapped[str] = mapped_column(Text)
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class Impression(Base):
    """A recommendation that was shown: the denominator of the online like rate."""

    __tablename__ = "impressions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    tconst: Mapped[str] = mapped_column(String(16), index=True)
    section: Mapped[str] = mapped_column(String(16))
    rank: Mapped[int] = mapped_column(Integer)
    model_part: Mapped[str] = mapped_column(String(32))
    shown_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)

    #: Home's rotation reads a user's last showings of a section on every render: without
    #: this index that read scans all of the user's impressions (20 more a visit).
    __table_args__ = (Index("ix_impressions_user_section_shown", "user_id", "section", "shown_at"),)


class LoginSession(Base):
    """One signed-in browser: the server-side record the log-in cookie is bound to.

    Only the SHA-256 hash of the cookie's random session id is stored, so a copy of this table
    cannot be turned into cookies. Deleting the row (log-out, password change, "sign out")
    makes the cookie worthless even if someone kept a copy of it.
    """

    __tablename__ = "sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: Absolute end of the session, however active it is (the cookie's own lifetime).
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: A short device label such as "Chrome on Linux" (never the raw User-Agent).
    label: Mapped[str] = mapped_column(String(64), default="", server_default="")


class WatchlistEntry(Base):
    """A title a user saved for later ("to watch"): left out of their picks until they rate
    it or remove it. No foreign key to titles, as with likes: a newer catalog may drop one."""

    __tablename__ = "watchlist"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    tconst: Mapped[str] = mapped_column(String(16))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (UniqueConstraint("user_id", "tconst", name="uq_watchlist_user_title"),)


class UserPreference(Base):
    """Per-user settings the pages remember across sessions (one row per user).

    ``home_filters`` is Home's filters as JSON (``HomeFilters.to_dict``); NULL: none set.
    """

    __tablename__ = "user_preferences"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    home_filters: Mapped[str | None] = mapped_column(Text, nullable=True)
    #: Home's dials as JSON (``Dials.to_dict``); NULL: all in the middle.
    dials: Mapped[str | None] = mapped_column(Text, nullable=True)
    #: The streaming services the user has, as JSON (``MyServices.to_dict``); NULL: none.
    services: Mapped[str | None] = mapped_column(Text, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class HiddenTitle(Base):
    """A title the user steered away from ("Not for me" with a reason, or "Stop using this"
    on a Because-you-liked row), kept until they undo it on the Hidden page.

    ``reason`` is one of ``recsys.steering.REASONS``. ``previous`` is the like (True) or
    dislike (False) the title had before a reason that changes the ratings ("not my kind of
    thing" stores a dislike, "someone else picked it" removes the rating), so Undo restores it.
    ``services`` holds the user's services when "not on my services" was chosen (JSON): the
    hide lasts while those services are unchanged. No foreign key to titles, as with likes.
    """

    __tablename__ = "hidden_titles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    tconst: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(24))
    previous: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    services: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (UniqueConstraint("user_id", "tconst", name="uq_hidden_titles_user_title"),)


class ThrottleCounter(Base):
    """Failed log-ins (or registrations) counted under one key: a (name, browser) pair, a
    browser, an address or a typed name (:mod:`recsys.auth.throttle` says which and why).

    ``key`` is a SHA-256 of the kind and its parts, so names and addresses of any length fit and
    the table holds no plain names. ``blocked_until``: no attempt is checked under this key
    before then. ``known_until`` (pairs only): the browser logged in to that name, so shared
    keys (address, the name's global ceiling) do not hold it.
    """

    __tablename__ = "throttle_counters"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_failure_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    blocked_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    known_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    #: When the row last changed: old rows are pruned by it.
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)


class Night(Base):
    """A movie night (issue 23): a group of two to six members choosing one title together.

    ``code`` is the short join code others type (unique while the night exists). A night ends
    ``expires_at`` unless the host keeps it (``kept``). ``version`` grows with every change
    (join, leave, veto, strategy, filters…): the pages poll it, and a host action carries the
    version it was made on, so two host tabs acting at once cannot both apply.
    """

    __tablename__ = "nights"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(12), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    #: The host (named ``user_id`` like every table that belongs to a user: deleting the
    #: account deletes the nights it hosts with the rest of its rows).
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    kept: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    strategy: Mapped[str] = mapped_column(String(16), default="average")
    #: "movie" or "tv"
    kind: Mapped[str] = mapped_column(String(8), default="movie", server_default="movie")
    max_runtime: Mapped[int | None] = mapped_column(Integer, nullable=True)
    streamable_only: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    @property
    def host_id(self) -> int:
        return self.user_id


class NightMember(Base):
    """One member's seat at a night. ``seat`` (1..6) is unique per night, so a seventh join
    fails in the database whatever process tries it. A removed member's row stays with
    ``removed_at`` set (their vetoes go), so their stale page can say so and the code no
    longer lets them back; leaving deletes the row."""

    __tablename__ = "night_members"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    night_id: Mapped[int] = mapped_column(ForeignKey("nights.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    seat: Mapped[int | None] = mapped_column(Integer, nullable=True)
    first_name: Mapped[str] = mapped_column(String(40))
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    __table_args__ = (
        UniqueConstraint("night_id", "user_id", name="uq_night_members_night_user"),
        UniqueConstraint("night_id", "seat", name="uq_night_members_night_seat"),
        CheckConstraint("seat IS NULL OR (seat >= 1 AND seat <= 6)", name="seat_range"),
    )


class NightVeto(Base):
    """A member's "Not tonight" on a title: it leaves the night's list for everyone."""

    __tablename__ = "night_vetoes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    night_id: Mapped[int] = mapped_column(ForeignKey("nights.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    tconst: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (
        UniqueConstraint("night_id", "user_id", "tconst", name="uq_night_vetoes_night_user_title"),
    )


class WatchedTogether(Base):
    """A title a member watched at a night ("We watched it"), one row per member: Home asks
    them later whether they liked it (``answered_at`` set once they said). The row is the
    member's own; ``night_id`` is cleared when the night ends."""

    __tablename__ = "watched_together"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    night_id: Mapped[int | None] = mapped_column(
        ForeignKey("nights.id", ondelete="SET NULL"), nullable=True, index=True
    )
    tconst: Mapped[str] = mapped_column(String(16))
    watched_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    __table_args__ = (UniqueConstraint("user_id", "tconst", name="uq_watched_together_user_title"),)


class NightList(Base):
    """A member's own ranked list for movie night (issue 23), kept where every app process
    reads it: computed when they take a seat, so a night's first draw reads six lists instead
    of running six models. ``history_key`` names the history and model it was ranked from
    (:func:`recsys.services.night_picks.history_key`): a list whose key no longer matches is
    ranked again. ``items``: JSON ``[[tconst, pick, genre], ...]``, best first (the pick and
    genre of theirs each title owes most to, for the why line). The user's own derived data:
    it goes with the account and when they leave their last night."""

    __tablename__ = "night_lists"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: "movie" or "tv"
    kind: Mapped[str] = mapped_column(String(8))
    history_key: Mapped[str] = mapped_column(String(64))
    items: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (UniqueConstraint("user_id", "kind", name="uq_night_lists_user_kind"),)
