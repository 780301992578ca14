"""Accounts: registration, password log-in with a per-username lockout, and user profiles.

Validation rules and hashing live in :mod:`recsys.accounts`; this service applies them to the
stored users.
"""

from __future__ import annotations

import functools
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from recsys import accounts as rules
from recsys.cards import split_list
from recsys.store import sessions as session_store
from recsys.store import users as user_store
from recsys.store.db import Database
from recsys.store.models import User, utcnow

#: The one message for an unknown username and a wrong password (no user enumeration).
WRONG_CREDENTIALS = "Username or password is incorrect."
WRONG_CURRENT_PASSWORD = "Your current password is incorrect."


@dataclass(frozen=True)
class UserProfile:
    """A user as the pages see them: no password hash, no lockout counters."""

    id: int
    username: str
    name: str
    email: str
    favorite_genres: tuple[str, ...]
    onboarded: bool


@dataclass(frozen=True)
class Accounts:
    """Users in the database; ``clock`` is injectable so lockout tests need not sleep."""

    db: Database
    clock: Callable[[], datetime] = utcnow

    def register(
        self, name: str, email: str, username: str, password: str, password_repeat: str
    ) -> int:
        """Create an account; raises :class:`~recsys.accounts.AccountError` with a message."""
        name, email, username = rules.validate_registration(
            name=name,
            email=email,
            username=username,
            password=password,
            password_repeat=password_repeat,
        )
        password_hash = rules.hash_password(password)
        try:
            with self.db.session() as session:
                user = user_store.create_user(
                    session,
                    username=username,
                    email=email,
                    name=name,
                    password_hash=password_hash,
                )
                return user.id
        except user_store.DuplicateUserError as exc:
            raise rules.AccountError(
                "That username is taken; please choose another."
                if exc.field == "username"
                else "An account with that e-mail address already exists; log in instead."
            ) from exc

    def check_login(self, username: str, password: str) -> rules.LoginResult:
        """Check a password with a per-username lockout after repeated failures."""
        now = self.clock()
        if rules.has_control_characters(username) or len(username) > 64:
            rules.check_password(password, _dummy_hash())  # same timing as a real check
            return rules.LoginResult(False, message=WRONG_CREDENTIALS)
        with self.db.session() as session:
            user = user_store.by_username(session, rules.normalise_username(username))
            if user is None:
                rules.check_password(password, _dummy_hash())  # same timing as a real check
                return rules.LoginResult(False, message=WRONG_CREDENTIALS)
            return _verify(session, user, password, now)

    def change_password(
        self,
        user_id: int,
        current: str,
        new: str,
        repeat: str,
        keep_session: str | None = None,
    ) -> int:
        """Set a new password and end every other session of the user; returns how many ended.

        The current password is checked like a log-in (a wrong one counts towards the same
        lockout), the new one by the registration rules. Raises
        :class:`~recsys.accounts.AccountError` with a message to show; nothing is stored then.
        """
        if not current:
            raise rules.AccountError("Please enter your current password.")
        problem = rules.password_weakness(new)
        if problem is None and new != new.strip():
            problem = "Passwords cannot start or end with a space."
        if problem is None and new != repeat:
            problem = "The two new passwords do not match."
        if problem is None and new == current:
            problem = "The new password is the same as the current one; choose another."
        now = self.clock()
        with self.db.session() as session:
            user = user_store.by_id(session, user_id)
            if user is None:
                raise rules.AccountError("This account no longer exists.")
            # the current password first, so a guess costs a lockout attempt even when the new
            # password would have been refused anyway
            checked = _verify(session, user, current, now, wrong=WRONG_CURRENT_PASSWORD)
            if not checked.ok:
                session.commit()  # keep the failure count: the error rolls the session back
                raise rules.AccountError(checked.message)
            if problem is not None:
                raise rules.AccountError(problem)
            user_store.set_password_hash(session, user_id, rules.hash_password(new))
            return session_store.delete_for_user(session, user_id, except_token=keep_session)

    def credentials(self) -> dict[str, Any]:
        """Every user in streamlit-authenticator's credentials layout (bcrypt hashes only).

        Reads the whole users table: the app never calls it (the log-in hands the library one
        account, see ``pages/_auth.py``); kept for exports and tests.
        """
        with self.db.session() as session:
            return {
                "usernames": {
                    u.username: {
                        "email": u.email,
                        "name": u.name,
                        "first_name": u.name.split(" ")[0],
                        "last_name": " ".join(u.name.split(" ")[1:]),
                        "password": u.password_hash,
                        "logged_in": False,
                        "failed_login_attempts": u.failed_logins or 0,
                        "roles": ["viewer"],
                    }
                    for u in user_store.all_users(session)
                }
            }

    def user(self, username: str) -> UserProfile | None:
        with self.db.session() as session:
            found = user_store.by_username(session, username)
            return _profile(found) if found else None

    def user_by_id(self, user_id: int) -> UserProfile | None:
        with self.db.session() as session:
            found = user_store.by_id(session, user_id)
            return _profile(found) if found else None


def _verify(
    session: Session, user: User, password: str, now: datetime, wrong: str = WRONG_CREDENTIALS
) -> rules.LoginResult:
    """Check a user's password under the lockout: a lock refuses, a failure counts, a success
    resets the count (log-in and password change share it)."""
    if user.locked_until is not None and user.locked_until > now:
        message, wait = rules.locked_message(user.locked_until, now)
        return rules.LoginResult(False, message=message, retry_after_s=wait)
    if rules.check_password(password, user.password_hash):
        user_store.reset_login_failures(session, user.id)
        return rules.LoginResult(True, user_id=user.id)
    failures = (user.failed_logins or 0) + 1
    locked_until = rules.lockout_after_failure(failures, now)
    user_store.record_login_failure(session, user.id, locked_until=locked_until)
    if locked_until is not None:
        message, wait = rules.locked_message(locked_until, now)
        return rules.LoginResult(False, message=message, retry_after_s=wait)
    left = rules.MAX_FAILED_LOGINS - failures
    return rules.LoginResult(
        False, message=f"{wrong} {left} attempt{'s' if left != 1 else ''} left."
    )


def _profile(user: User) -> UserProfile:
    return UserProfile(
        id=user.id,
        username=user.username,
        name=user.name,
        email=user.email,
        favorite_genres=split_list(user.favorite_genres, ","),
        onboarded=user.onboarded_at is not None,
    )


@functools.cache
def _dummy_hash() -> str:
    """A bcrypt hash checked when a username does not exist, so that a wrong username takes
    as long as a wrong password (no user enumeration by timing). Made on first use."""
    return rules.hash_password(secrets.token_urlsafe(16))
