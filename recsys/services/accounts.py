"""Accounts: registration, password log-in under the client throttle, and user profiles.

Validation rules and hashing live in :mod:`recsys.auth.credentials`, the throttle's rules in
:mod:`recsys.auth.throttle`; this service applies them to the stored users. Every failed log-in
gets the same words and costs the same bcrypt check whether the name exists or not, and the
throttle never looks at the users table, so its answers cannot tell a stranger either.
"""

from __future__ import annotations

import functools
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from recsys.auth import credentials as rules
from recsys.auth.throttle import Client, wait_words
from recsys.cards import split_list
from recsys.services.throttle import Attempt, Throttle
from recsys.store import sessions as session_store
from recsys.store import users as user_store
from recsys.store.db import Database
from recsys.store.models import User, utcnow

#: The one message for every failed log-in: unknown name, wrong password, any account state.
WRONG_CREDENTIALS = "Username or password is incorrect."
WRONG_CURRENT_PASSWORD = "Your current password is incorrect."


@dataclass(frozen=True)
class UserProfile:
    """A user as the pages and the data export see them: no password hash."""

    id: int
    username: str
    name: str
    email: str
    created_at: datetime
    favorite_genres: tuple[str, ...]
    onboarded: bool


@dataclass(frozen=True)
class Accounts:
    """Users in the database; ``clock`` is injectable so throttle tests need not sleep."""

    db: Database
    clock: Callable[[], datetime] = utcnow
    throttle: Throttle = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "throttle", Throttle(self.db, self.clock))

    def register(
        self,
        name: str,
        email: str,
        username: str,
        password: str,
        password_repeat: str,
        client: Client | None = None,
    ) -> int:
        """Create an account; raises :class:`~recsys.auth.credentials.AccountError` with a message.

        Input errors are free; every registration that gets past them counts towards the
        client's registration throttle (taken or not), and a held client is refused before
        anything is hashed or stored. ``client`` None: an in-process caller (the CLI, scripts,
        tests), not a visitor; the pages always pass the visitor's client.
        """
        name, email, username = rules.validate_registration(
            name=name,
            email=email,
            username=username,
            password=password,
            password_repeat=password_repeat,
        )
        attempt = self.throttle.begin_register(client) if client else None
        if attempt is not None and attempt.held_until is not None:
            when, _ = wait_words(attempt.held_until, self.clock())
            raise rules.AccountError(
                f"Too many new accounts from this browser or network. Try again in {when}."
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

    def check_login(
        self, username: str, password: str, client: Client | None = None
    ) -> rules.LoginResult:
        """Check a password under the client throttle; one answer for every failure.

        A held client is refused before any check (the same for every name). Otherwise the
        attempt is counted first and the password checked with bcrypt, against a dummy hash
        when the name is unknown or malformed, so every failure takes as long. ``client``
        None: an in-process caller (CLI, scripts, tests), not throttled.
        """
        attempt = self.throttle.begin_login(username, client) if client else None
        if attempt is not None and attempt.held_until is not None:
            return _held(attempt.held_until, self.clock())
        user_id, hashed = None, _dummy_hash()
        if not (rules.has_control_characters(username) or len(username) > 64):
            with self.db.session() as session:
                user = user_store.by_username(session, rules.normalise_username(username))
                if user is not None:
                    user_id, hashed = user.id, user.password_hash
        # bcrypt outside the transaction: a quarter of a second without holding a connection
        if not rules.check_password(password, hashed):
            user_id = None
        if attempt is not None:
            self.throttle.end_login(attempt, ok=user_id is not None)
        if user_id is not None:
            return rules.LoginResult(True, user_id=user_id)
        return _failed(WRONG_CREDENTIALS, attempt, self.clock())

    def change_password(
        self,
        user_id: int,
        current: str,
        new: str,
        repeat: str,
        keep_session: str | None = None,
        client: Client | None = None,
    ) -> int:
        """Set a new password and end every other session of the user; returns how many ended.

        The current password is checked like a log-in (under the same throttle, so a stolen
        session cannot guess it faster), the new one by the registration rules. Raises
        :class:`~recsys.auth.credentials.AccountError` with a message to show; nothing is
        stored then.
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
        profile = self.user_by_id(user_id)
        if profile is None:
            raise rules.AccountError("This account no longer exists.")
        # the current password first, so a guess is counted even when the new password would
        # have been refused anyway
        attempt = self.throttle.begin_login(profile.username, client) if client else None
        if attempt is not None and attempt.held_until is not None:
            raise rules.AccountError(_held(attempt.held_until, self.clock()).message)
        with self.db.session() as session:
            user = user_store.by_id(session, user_id)
            ok = user is not None and rules.check_password(current, user.password_hash)
        if attempt is not None:
            self.throttle.end_login(attempt, ok=ok)
        if not ok:
            raise rules.AccountError(_failed(WRONG_CURRENT_PASSWORD, attempt, self.clock()).message)
        if problem is not None:
            raise rules.AccountError(problem)
        with self.db.session() as session:
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
            return profile_of(found) if found else None

    def user_by_id(self, user_id: int) -> UserProfile | None:
        with self.db.session() as session:
            found = user_store.by_id(session, user_id)
            return profile_of(found) if found else None


def _held(until: datetime, now: datetime) -> rules.LoginResult:
    """A refusal before any check: the same for every name (the throttle never reads users)."""
    when, wait = wait_words(until, now)
    return rules.LoginResult(
        False,
        message=f"Too many failed log-ins. Try again in {when}.",
        retry_after_s=wait,
        throttled=True,
    )


def _failed(message: str, attempt: Attempt | None, now: datetime) -> rules.LoginResult:
    """A wrong password (or name), and when the next attempt may come if it must wait."""
    if attempt is None or attempt.wait_until is None:
        return rules.LoginResult(False, message=message)
    when, wait = wait_words(attempt.wait_until, now)
    return rules.LoginResult(
        False, message=f"{message} Wait {when} before the next try.", retry_after_s=wait
    )


def profile_of(user: User) -> UserProfile:
    return UserProfile(
        id=user.id,
        username=user.username,
        name=user.name,
        email=user.email,
        created_at=user.created_at,
        favorite_genres=split_list(user.favorite_genres, ","),
        onboarded=user.onboarded_at is not None,
    )


def _dummy_hash() -> str:
    """A bcrypt hash checked when a name does not exist, so that a wrong name takes as long as
    a wrong password (no user enumeration by timing). At today's cost: a dummy made at another
    cost than real hashes would be an oracle of its own."""
    return _dummy_hash_at(rules.BCRYPT_ROUNDS)


@functools.cache
def _dummy_hash_at(rounds: int) -> str:
    return rules.hash_password(secrets.token_urlsafe(16), rounds)
