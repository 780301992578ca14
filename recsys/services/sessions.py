"""Log-in sessions kept on the server, so that a log-in cookie can be revoked.

The cookie carries a random session token; the database keeps only its SHA-256 hash with the
user, when the session started and was last seen, and when it ends at the latest. A cookie is
valid exactly as long as its row exists and has not expired, so log-out, "sign out
everywhere" and a password change take effect even for a copy of the cookie taken earlier.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from recsys.config import Settings
from recsys.store import sessions as session_store
from recsys.store.db import Database
from recsys.store.models import utcnow

#: ``last_seen_at`` is written at most this often per session: a click is a read, not a write.
TOUCH_INTERVAL = timedelta(seconds=60)
#: Bytes of randomness in a session token (256 bits; the brief asks for at least 128).
TOKEN_BYTES = 32
MAX_LABEL = 64


@dataclass(frozen=True)
class SessionInfo:
    """One signed-in browser as the Account page lists it (no token, no hash)."""

    id: int
    label: str
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    current: bool  # the session asking


@dataclass(frozen=True)
class Sessions:
    """Start, check and end log-in sessions; ``clock`` is injectable for expiry tests."""

    settings: Settings
    db: Database
    clock: Callable[[], datetime] = utcnow

    @property
    def idle_limit(self) -> timedelta:
        return timedelta(days=self.settings.session_idle_days)

    @property
    def lifetime(self) -> timedelta:
        return timedelta(days=self.settings.cookie_expiry_days)

    def start(self, user_id: int, label: str = "") -> str:
        """A new session for a user who just proved their password; returns its token.

        The user's own stale sessions are cleared on the way, so the table does not grow.
        """
        now = self.clock()
        token = secrets.token_urlsafe(TOKEN_BYTES)
        with self.db.session() as session:
            session_store.delete_stale(session, user_id, now=now, idle_since=now - self.idle_limit)
            session_store.create(
                session,
                token=token,
                user_id=user_id,
                now=now,
                expires_at=now + self.lifetime,
                label=label[:MAX_LABEL],
            )
        return token

    def resolve(self, token: str) -> int | None:
        """The user a token is signed in as, or None when it is unknown, idle or expired.

        An expired row is deleted here. ``last_seen_at`` moves only when it is older than
        TOUCH_INTERVAL, so most page views cost one indexed read and no write.
        """
        if not token:
            return None
        now = self.clock()
        with self.db.session() as session:
            row = session_store.by_token(session, token)
            if row is None:
                return None
            if row.expires_at <= now or now - row.last_seen_at > self.idle_limit:
                session.delete(row)
                return None
            if now - row.last_seen_at >= TOUCH_INTERVAL:
                session_store.touch(session, row.id, now)
            return row.user_id

    def end(self, token: str) -> bool:
        """End the session a token names (log-out). True when there was one."""
        with self.db.session() as session:
            return session_store.delete_token(session, token) > 0

    def end_one(self, user_id: int, session_id: int) -> bool:
        """End one of this user's sessions by its id (the Account page's "Sign out")."""
        with self.db.session() as session:
            return session_store.delete_one(session, user_id, session_id) > 0

    def end_all(self, user_id: int, except_token: str | None = None) -> int:
        """End every session of a user (but ``except_token``'s); returns how many ended."""
        with self.db.session() as session:
            return session_store.delete_for_user(session, user_id, except_token=except_token)

    def active(self, user_id: int, current_token: str | None = None) -> list[SessionInfo]:
        """A user's live sessions, most recently seen first; ``current_token`` marks this one."""
        now = self.clock()
        current = session_store.token_hash(current_token) if current_token else None
        with self.db.session() as session:
            rows = session_store.for_user(session, user_id)
            return [
                SessionInfo(
                    id=row.id,
                    label=row.label or "Unknown browser",
                    created_at=row.created_at,
                    last_seen_at=row.last_seen_at,
                    expires_at=row.expires_at,
                    current=row.token_hash == current,
                )
                for row in rows
                if row.expires_at > now and now - row.last_seen_at <= self.idle_limit
            ]


# ------------------------------------------------------------------------------ device labels
_BROWSERS = (  # order matters: Edge and Opera say "Chrome" too, Chrome says "Safari"
    ("Edg/", "Edge"),
    ("OPR/", "Opera"),
    ("Firefox/", "Firefox"),
    ("HeadlessChrome/", "Headless Chrome"),
    ("Chromium/", "Chromium"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
)
_SYSTEMS = (
    ("Android", "Android"),
    ("iPhone", "iOS"),
    ("iPad", "iPadOS"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("CrOS", "ChromeOS"),
    ("Linux", "Linux"),
)
_PRINTABLE = re.compile(r"[^\x20-\x7e]")


def device_label(user_agent: str | None) -> str:
    """A short label such as "Chrome on Linux" from a User-Agent header.

    Only the label is stored: the full header is a fingerprint the Account page does not need.
    """
    agent = _PRINTABLE.sub("", user_agent or "")[:512]
    if not agent:
        return "Unknown browser"
    browser = next((name for marker, name in _BROWSERS if marker in agent), None)
    system = next((name for marker, name in _SYSTEMS if marker in agent), None)
    if browser is None:
        browser = agent.split("/", 1)[0].strip()[:24] or "Unknown browser"
    label = f"{browser} on {system}" if system else browser
    return label[:MAX_LABEL]
