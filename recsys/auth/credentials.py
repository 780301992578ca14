"""Accounts: validation and bcrypt hashing.

Kept apart from the store so the rules (what a valid e-mail or password is) are plain
functions that tests can hit without a database. How failed log-ins are slowed down is
:mod:`recsys.auth.throttle` (by client, never a lock on the account).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import bcrypt

USERNAME_RE = re.compile(r"^[A-Za-z0-9_.-]{3,32}$")
# Deliberately simple: one @, a dot in the domain, no spaces or angle brackets.
EMAIL_RE = re.compile(r"^[^@\s<>\"'\x00-\x1f\x7f]{1,64}@[^@\s<>\"'\x00-\x1f\x7f]+\.[A-Za-z]{2,}$")
MIN_PASSWORD_LENGTH = 8
#: bcrypt only looks at the first 72 bytes (and bcrypt >= 5 refuses longer input).
MAX_PASSWORD_BYTES = 72
MAX_NAME_LENGTH = 100
BCRYPT_ROUNDS = 12


class AccountError(ValueError):
    """A user-facing problem with registration or login input."""


def normalise_username(username: str) -> str:
    return unicodedata.normalize("NFKC", username).strip()


def has_control_characters(text: str) -> bool:
    """NUL and other control characters never belong in names, e-mails or usernames (and
    PostgreSQL refuses NUL in text outright)."""
    return any(unicodedata.category(c) == "Cc" for c in text)


def validate_registration(
    *, name: str, email: str, username: str, password: str, password_repeat: str
) -> tuple[str, str, str]:
    """Check the registration form; returns cleaned (name, email, username) or raises."""
    name = unicodedata.normalize("NFKC", name).strip()
    email = email.strip()
    username = normalise_username(username)
    if not name:
        raise AccountError("Please enter your name.")
    if len(name) > MAX_NAME_LENGTH or any(unicodedata.category(c) == "Cc" for c in name):
        raise AccountError(f"Names are at most {MAX_NAME_LENGTH} printable characters.")
    if not EMAIL_RE.fullmatch(email) or len(email) > 254:
        raise AccountError("Please enter a valid e-mail address, like name@example.com.")
    if not USERNAME_RE.fullmatch(username):
        raise AccountError(
            "Usernames are 3 to 32 characters: letters, digits, dot, dash or underscore."
        )
    password_problem = password_weakness(password)
    if password_problem:
        raise AccountError(password_problem)
    if password != password_repeat:
        raise AccountError("The two passwords do not match.")
    return name, email.lower(), username


def password_weakness(password: str) -> str | None:
    """Why a password is too weak, or None when it is acceptable."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Passwords need at least {MIN_PASSWORD_LENGTH} characters."
    if has_control_characters(password):
        return "Passwords cannot contain control characters."
    if len(password.encode("utf-8")) > MAX_PASSWORD_BYTES:
        return f"Passwords can be at most {MAX_PASSWORD_BYTES} bytes long."
    classes = [
        any(c.islower() for c in password),
        any(c.isupper() for c in password),
        any(c.isdigit() for c in password),
        any(not c.isalnum() for c in password),
    ]
    if sum(classes) < 3:
        return (
            "Passwords need three of: a lower-case letter, an upper-case letter, a digit, a symbol."
        )
    if len(set(password)) < 5:
        return "That password repeats too few characters; pick something less guessable."
    return None


def hash_password(password: str, rounds: int | None = None) -> str:
    """A bcrypt hash (cost BCRYPT_ROUNDS unless given; tests lower it to stay fast)."""
    salt = bcrypt.gensalt(rounds or BCRYPT_ROUNDS)
    return bcrypt.hashpw(password.encode("utf-8"), salt).decode("ascii")


def check_password(password: str, password_hash: str) -> bool:
    data = password.encode("utf-8")
    if len(data) > MAX_PASSWORD_BYTES:
        return False
    try:
        return bcrypt.checkpw(data, password_hash.encode("ascii"))
    except ValueError:  # not a bcrypt hash
        return False


@dataclass(frozen=True)
class LoginResult:
    """What a login attempt produced; ``message`` is safe to show as is."""

    ok: bool
    user_id: int | None = None
    message: str = ""
    #: Seconds before the next attempt from this client will be checked (0: at once).
    retry_after_s: float = 0.0
    #: Refused by the throttle before any password check.
    throttled: bool = False
