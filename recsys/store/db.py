"""Engines, sessions and migrations.

Nothing connects at import time: :class:`Database` is built from settings by whoever needs it
(the app once per process, the CLI once per command, each test its own).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from recsys.config import Settings

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
#: How long SQLite waits for a competing writer before giving up (two tabs liking at once).
SQLITE_BUSY_TIMEOUT_MS = 15_000


class StorageError(RuntimeError):
    """The database cannot be opened or written; the message says what to do."""


#: SQLite's messages for conditions a user can act on (a busy writer, a full or read-only disk).
_SQLITE_CONDITIONS = (
    ("database is locked", "is busy (another process holds a write lock); try again in a moment"),
    ("disk is full", "cannot be written: the disk is full; free some space and try again"),
    ("readonly database", "is read-only; make the data folder writable (MARQUEE_DATA_DIR)"),
    ("unable to open database", "cannot be opened; check the data folder exists and is writable"),
    ("disk i/o error", "cannot be written (disk I/O error); check the disk and the data folder"),
)


#: PostgreSQL (psycopg) messages that mean the server is down, restarting or unreachable.
_SERVER_GONE = (
    "connection refused",
    "server closed the connection",
    "terminating connection",
    "the database system is",  # ... starting up / shutting down / in recovery mode
    "connection failed",
    "could not connect",
    "connection is lost",
    "connection timeout",
)


def storage_error(exc: DBAPIError, safe_url: str) -> StorageError | None:
    """A :class:`StorageError` with a plain message for conditions a user can act on: SQLite's
    own, and a PostgreSQL server that is down or restarting (the pool reconnects by itself
    once it is back: ``pool_pre_ping``)."""
    text = str(exc.orig).lower()
    if exc.connection_invalidated or any(needle in text for needle in _SERVER_GONE):
        error = StorageError(
            f"The database {safe_url} cannot be reached right now (it may be restarting). "
            "Try again in a moment."
        )
        error.__cause__ = exc
        return error
    for needle, what in _SQLITE_CONDITIONS:
        if needle in text:
            error = StorageError(f"The database {safe_url} {what} ({exc.orig}).")
            error.__cause__ = exc
            return error
    return None


def make_engine(url: str) -> Engine:
    """An engine with the per-backend settings that keep concurrent users safe."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:":
            folder = Path(database).parent
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StorageError(
                    f"Cannot create the data folder {folder} ({exc.strerror or exc}). Set "
                    "MARQUEE_DATA_DIR (or DATABASE_URL) to a folder this user can write."
                ) from exc
        engine = create_engine(
            url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False}
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
            cursor = dbapi_connection.cursor()
            # WAL lets readers proceed while one writer commits; busy_timeout queues writers.
            if database and database != ":memory:":
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def alembic_config(connection=None) -> Config:  # type: ignore[no-untyped-def]
    """An Alembic config pointing at our migrations, optionally bound to a live connection."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    return ScriptDirectory.from_config(alembic_config()).get_current_head() or ""


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision`` (idempotent; runs at every app and CLI start)."""
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), revision)


class Database:
    """The engine plus a session factory for one database URL."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @classmethod
    def from_settings(cls, settings: Settings, *, upgrade: bool = True) -> Database:
        """Open the configured database and (by default) apply pending migrations."""
        db = cls(settings.resolved_database_url)
        if upgrade:
            try:
                if current_revision(db.engine) != head_revision():
                    migrate(db.engine)
            except OperationalError as exc:
                raise StorageError(
                    f"Cannot open or upgrade the database at {db.safe_url}: {exc.orig}. "
                    "Check DATABASE_URL, that the data folder is writable and the disk not full."
                ) from exc
        return db

    @property
    def safe_url(self) -> str:
        """The URL without its password, for messages and logs."""
        return make_url(self.url).render_as_string(hide_password=True)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: commits on success, rolls back on any error."""
        session = self._sessions()
        try:
            yield session
            session.commit()
        except DBAPIError as exc:
            with contextlib.suppress(DBAPIError):  # the connection may be gone with the server
                session.rollback()
            clear = storage_error(exc, self.safe_url)
            if clear is None:
                raise
            raise clear from exc
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()
