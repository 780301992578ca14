"""The app's operations as plain methods: what every page calls, and nothing page-specific.

``Marquee`` is cheap to build for each script run from long-lived parts (the database, the
fitted engine, the TMDb client), which the app caches once per process and never mutates. Each
method maps onto one endpoint of the original design, so an HTTP API could wrap this module
without touching the engine.
"""

from __future__ import annotations

import functools
import json
import logging
import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Literal

import pandas as pd

from recsys import accounts
from recsys.cards import Section, TitleCard, card_from_title, split_list
from recsys.config import Settings
from recsys.models.base import UserHistory
from recsys.online import OnlineReport, online_report
from recsys.schema import SECTION_TYPES
from recsys.store import catalog as catalog_store
from recsys.store import impressions as impression_store
from recsys.store import interactions as interaction_store
from recsys.store import users as user_store
from recsys.store.db import Database
from recsys.store.models import Title, User, utcnow

log = logging.getLogger(__name__)

Choice = Literal["like", "dislike"] | None

#: How many favourite genres and onboarding picks per section the app asks for.
GENRES_REQUIRED = 5
PICKS_REQUIRED = 5
#: Likes needed before personal models take over from the cold-start list.
COLD_START_LIKES = 5
TRENDING_YEARS = 3
SECTION_LABELS = {"movie": "Movies", "tv": "TV shows"}
#: How many progress lines one run of the evaluation protocol logs (its grid is fixed).
EVALUATION_LOG_LINES = 75


@dataclass(frozen=True)
class UserProfile:
    id: int
    username: str
    name: str
    email: str
    favorite_genres: tuple[str, ...]
    onboarded: bool


@dataclass(frozen=True)
class OnboardingState:
    """Where a user is in onboarding; picks are stored likes, so a reload keeps them."""

    step: int  # 1: genres, 2: titles, 3: done
    genres: tuple[str, ...]
    movie_picks: tuple[str, ...]
    tv_picks: tuple[str, ...]
    done: bool

    @property
    def can_finish(self) -> bool:
        return len(self.movie_picks) == PICKS_REQUIRED and len(self.tv_picks) == PICKS_REQUIRED


class Marquee:
    """Facade over store, engine and TMDb for one script run (or one CLI command)."""

    def __init__(
        self,
        settings: Settings,
        db: Database,
        engine: Any | None = None,
        art: Any | None = None,
        *,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.settings = settings
        self.db = db
        self.engine = engine
        self.art = art
        self.clock = clock

    # ------------------------------------------------------------------ accounts
    def register(
        self, name: str, email: str, username: str, password: str, password_repeat: str
    ) -> int:
        """Create an account; raises :class:`accounts.AccountError` with a message to show."""
        name, email, username = accounts.validate_registration(
            name=name,
            email=email,
            username=username,
            password=password,
            password_repeat=password_repeat,
        )
        password_hash = accounts.hash_password(password)
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
            raise accounts.AccountError(
                "That username is taken; please choose another."
                if exc.field == "username"
                else "An account with that e-mail address already exists; log in instead."
            ) from exc

    def check_login(self, username: str, password: str) -> accounts.LoginResult:
        """Check a password with a per-username lockout after repeated failures."""
        now = self.clock()
        generic = "Username or password is incorrect."
        if accounts.has_control_characters(username) or len(username) > 64:
            accounts.check_password(password, _dummy_hash())  # same timing as a real check
            return accounts.LoginResult(False, message=generic)
        with self.db.session() as session:
            user = user_store.by_username(session, accounts.normalise_username(username))
            if user is None:
                accounts.check_password(password, _dummy_hash())  # same timing as a real check
                return accounts.LoginResult(False, message=generic)
            if user.locked_until is not None and user.locked_until > now:
                message, wait = accounts.locked_message(user.locked_until, now)
                return accounts.LoginResult(False, message=message, retry_after_s=wait)
            if accounts.check_password(password, user.password_hash):
                user_store.reset_login_failures(session, user.id)
                return accounts.LoginResult(True, user_id=user.id)
            failures = (user.failed_logins or 0) + 1
            locked_until = accounts.lockout_after_failure(failures, now)
            user_store.record_login_failure(session, user.id, locked_until=locked_until)
        if locked_until is not None:
            message, wait = accounts.locked_message(locked_until, now)
            return accounts.LoginResult(False, message=message, retry_after_s=wait)
        left = accounts.MAX_FAILED_LOGINS - failures
        return accounts.LoginResult(
            False, message=f"{generic} {left} attempt{'s' if left != 1 else ''} left."
        )

    def credentials(self) -> dict[str, Any]:
        """Users in streamlit-authenticator's credentials layout (bcrypt hashes only)."""
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
            return self._profile(found) if found else None

    def user_by_id(self, user_id: int) -> UserProfile | None:
        with self.db.session() as session:
            found = user_store.by_id(session, user_id)
            return self._profile(found) if found else None

    @staticmethod
    def _profile(user: User) -> UserProfile:
        return UserProfile(
            id=user.id,
            username=user.username,
            name=user.name,
            email=user.email,
            favorite_genres=split_list(user.favorite_genres, ","),
            onboarded=user.onboarded_at is not None,
        )

    # ------------------------------------------------------------------ onboarding
    def available_genres(self) -> list[str]:
        """The catalog's genres, most common first."""
        with self.db.session() as session:
            return list(catalog_store.genre_counts(session))

    def set_favorite_genres(self, user_id: int, genres: Sequence[str]) -> None:
        chosen = list(dict.fromkeys(genres))
        if len(chosen) != GENRES_REQUIRED:
            raise ValueError(f"Pick exactly {GENRES_REQUIRED} genres (you picked {len(chosen)}).")
        known = set(self.available_genres())
        unknown = [g for g in chosen if g not in known]
        if unknown:
            raise ValueError(f"Unknown genre: {', '.join(unknown)}")
        with self.db.session() as session:
            user_store.set_favorite_genres(session, user_id, chosen)

    def trending_window(self) -> tuple[int, int]:
        """The 3 newest start years of the catalog, never after this year."""
        this_year = self.clock().year
        with self.db.session() as session:
            newest = catalog_store.max_start_year(session, not_after=this_year) or this_year
        return newest - TRENDING_YEARS + 1, newest

    def trending(self, section: Section, limit: int = 30) -> list[TitleCard]:
        """Most-voted titles of the section that started in the trending window."""
        year_from, year_to = self.trending_window()
        with self.db.session() as session:
            titles = catalog_store.trending(
                session,
                title_types=SECTION_TYPES[section],
                year_from=year_from,
                year_to=year_to,
                limit=limit,
            )
            cards = [card_from_title(t, why=f"Trending {year_from}–{year_to}") for t in titles]
        return self.with_art(cards)

    def onboarding_state(self, user_id: int) -> OnboardingState:
        with self.db.session() as session:
            user = user_store.by_id(session, user_id)
            if user is None:
                raise LookupError(f"no user {user_id}")
            picks = [
                r.tconst
                for r in interaction_store.for_user(session, user_id)
                if r.source == "onboarding" and r.liked
            ]
            types = {
                t.tconst: t.title_type for t in catalog_store.titles_by_id(session, picks).values()
            }
            genres = split_list(user.favorite_genres, ",")
            done = user.onboarded_at is not None
        movie_picks = tuple(p for p in picks if types.get(p) == "movie")
        tv_picks = tuple(p for p in picks if types.get(p) in SECTION_TYPES["tv"])
        step = 3 if done else (2 if len(genres) == GENRES_REQUIRED else 1)
        return OnboardingState(step, genres, movie_picks, tv_picks, done)

    def pick(self, user_id: int, tconst: str, picked: bool) -> None:
        """Toggle an onboarding pick; it is stored as a like at once."""
        with self.db.session() as session:
            if picked:
                interaction_store.upsert(session, user_id, tconst, True, source="onboarding")
            else:
                interaction_store.remove(session, user_id, tconst)

    def complete_onboarding(
        self,
        user_id: int,
        movie_picks: Sequence[str] | None = None,
        tv_picks: Sequence[str] | None = None,
    ) -> None:
        """Store the picks (when given) and finish onboarding if the counts are right."""
        for tconst in [*(movie_picks or ()), *(tv_picks or ())]:
            self.pick(user_id, tconst, True)
        state = self.onboarding_state(user_id)
        if len(state.genres) != GENRES_REQUIRED:
            raise ValueError(f"Pick {GENRES_REQUIRED} favourite genres first.")
        if not state.can_finish:
            raise ValueError(
                f"Pick exactly {PICKS_REQUIRED} movies and {PICKS_REQUIRED} TV shows "
                f"(you have {len(state.movie_picks)} and {len(state.tv_picks)})."
            )
        with self.db.session() as session:
            user_store.mark_onboarded(session, user_id, self.clock())

    # ------------------------------------------------------------------ interactions
    def rate(self, user_id: int, tconst: str, choice: Choice) -> None:
        """Like, dislike, or (None) take the choice back."""
        with self.db.session() as session:
            if choice is None:
                interaction_store.remove(session, user_id, tconst)
            elif choice in ("like", "dislike"):
                interaction_store.upsert(session, user_id, tconst, choice == "like")
            else:
                raise ValueError(f"unknown choice {choice!r}")

    def choices(self, user_id: int) -> dict[str, bool]:
        with self.db.session() as session:
            return {r.tconst: r.liked for r in interaction_store.for_user(session, user_id)}

    def history(self, user_id: int) -> UserHistory:
        """The user's likes, dislikes and favourite genres as the engine wants them."""
        with self.db.session() as session:
            user = user_store.by_id(session, user_id)
            rows = interaction_store.for_user(session, user_id)
            genres = split_list(user.favorite_genres, ",") if user else ()
        frame = pd.DataFrame(
            [(r.tconst, r.liked, r.updated_at) for r in rows],
            columns=["tconst", "liked", "updated_at"],
        )
        return UserHistory.from_interactions(frame, genres)

    # ------------------------------------------------------------------ recommendations
    def _require_engine(self) -> Any:
        if self.engine is None:
            raise RuntimeError("The recommender is not loaded yet.")
        return self.engine

    def recommendations(
        self, user_id: int, section: Section, k: int = 10, *, log_impressions: bool = True
    ) -> list[TitleCard]:
        """This week's picks for one section, best first (and logged as shown)."""
        engine = self._require_engine()
        history = self.history(user_id)
        recs = engine.recommend(history, section, k=k)
        with self.db.session() as session:
            titles = catalog_store.titles_by_id(session, [r.tconst for r in recs])
            if log_impressions:
                impression_store.log_shown(
                    session,
                    user_id,
                    section,
                    [(r.tconst, r.rank, r.source) for r in recs if r.tconst in titles],
                )
        cards = [
            card_from_title(
                titles[r.tconst],
                rank=r.rank,
                score=float(r.score),
                model_part=r.source,
                why=_why_line(r.source),
            )
            for r in recs
            if r.tconst in titles
        ]
        return self.with_art(cards)

    def title_details(self, tconst: str, user_id: int | None = None) -> TitleCard | None:
        """Everything the More-info dialog shows, with a one-line reason when we can."""
        with self.db.session() as session:
            title = session.get(Title, tconst)
            if title is None:
                return None
            card = card_from_title(title)
        if user_id is not None and self.engine is not None:
            try:
                explanation = self.engine.explain(self.history(user_id), tconst)
                card = replace(card, why=explanation.reason)
            except Exception:  # an explanation is a nicety; the dialog still opens
                log.exception("explanation failed for %s", tconst)
        return self.with_art([card])[0]

    def search(self, query: str, limit: int = 20) -> list[TitleCard]:
        """Catalog titles whose name contains the query."""
        text = (query or "").strip()[:200]
        if not text or accounts.has_control_characters(text):
            return []  # titles hold no control characters (and PostgreSQL refuses NUL)
        with self.db.session() as session:
            cards = [card_from_title(t) for t in catalog_store.search(session, text, limit=limit)]
        return self.with_art(cards)

    def cards(self, tconsts: Iterable[str], *, art: bool = True) -> list[TitleCard]:
        """Cards for known titles, in the given order (``art=False``: no TMDb lookups)."""
        wanted = list(tconsts)
        with self.db.session() as session:
            titles = catalog_store.titles_by_id(session, wanted)
            cards = [card_from_title(titles[t]) for t in wanted if t in titles]
        return self.with_art(cards) if art else cards

    def with_art(self, cards: list[TitleCard]) -> list[TitleCard]:
        """Fill posters and overviews from TMDb (cache first); failures leave placeholders."""
        if not cards or self.art is None or not getattr(self.art, "enabled", False):
            return cards
        try:
            found = self.art.fetch_many([c.tconst for c in cards])
        except Exception:
            log.exception("TMDb lookup failed")
            return cards
        out = []
        for card in cards:
            art = found.get(card.tconst)
            if art is not None and art.found:
                card = replace(card, poster_url=art.poster_url, overview=art.overview)
            out.append(card)
        return out

    # ------------------------------------------------------------------ explanations
    def explain(self, user_id: int, tconst: str) -> Any:
        return self._require_engine().explain(self.history(user_id), tconst)

    def taste_map(self, user_id: int, recommended: Sequence[str] = ()) -> pd.DataFrame:
        """2-D coordinates of the user's likes, dislikes and recommendations (a scatter plot).

        Columns: x, y, tconst, title, kind ("liked" | "disliked" | "recommended").
        """
        points = self._require_engine().map_points(self.history(user_id), list(recommended))
        return pd.DataFrame(
            [(p.x, p.y, p.tconst, p.title, p.kind) for p in points],
            columns=["x", "y", "tconst", "title", "kind"],
        )

    # ------------------------------------------------------------------ quality
    @property
    def evaluation_path(self):  # type: ignore[no-untyped-def]
        return self.settings.evaluation_path

    def offline_report(self) -> dict[str, Any] | None:
        """The latest ``python -m recsys evaluate`` JSON, or None when it was never run."""
        path = self.evaluation_path
        if not path.exists():
            return None
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            log.exception("unreadable evaluation report %s", path)
            return None

    def run_evaluation(
        self, progress: Callable[[str, float | None], None] | None = None, *, k: int = 10
    ) -> dict[str, Any]:
        """Run the offline protocol on the configured MovieLens source and save the report.

        ``progress(step, fraction)`` moves one bar: the protocol logs a fixed number of steps
        (validation grid, fits, model rows), so the count of lines so far is the fraction.
        """
        from recsys.evaluation import run_evaluation, save_report
        from recsys.pipeline import movielens_folder

        step = "Evaluating every model on MovieLens"
        done = 0

        def log_line(_message: str) -> None:
            nonlocal done
            done += 1
            if progress:
                progress(step, min(0.99, done / EVALUATION_LOG_LINES))

        if progress:
            progress(step, 0.0)
        folder = movielens_folder(self.settings)
        with self.db.session() as session:
            imdb = (
                catalog_store.load_catalog(session) if catalog_store.has_catalog(session) else None
            )
        report = run_evaluation(folder, ks=tuple(sorted({k, 10, 20})), imdb_dir=imdb, log=log_line)
        save_report(report, self.evaluation_path)
        if progress:
            progress(step, 1.0)
        return report

    def online_report(self) -> OnlineReport:
        """What our own users liked and disliked of what they were shown."""
        return online_report(self.db)


def _why_line(source: str) -> str:
    if source == "cold_start":
        return (
            "Popular in your favourite genres "
            f"(personal picks start after {COLD_START_LIKES} likes)"
        )
    if source == "content":
        return "Similar to titles you liked"
    if source == "collaborative":
        return "People with your taste liked it"
    if source == "hybrid":
        return "Similar to your likes, and liked by people with your taste"
    return "Recommended for you"


@functools.cache
def _dummy_hash() -> str:
    """A bcrypt hash checked when a username does not exist, so that a wrong username takes
    as long as a wrong password (no user enumeration by timing). Made on first use."""
    return accounts.hash_password(secrets.token_urlsafe(16))
