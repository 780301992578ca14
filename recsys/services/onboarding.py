"""Onboarding: favourite genres, then picks among trending titles, then done.

Every pick is stored as a like at once (source "onboarding"), so a reload, a new tab or a new
session finds the user where they left off.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from recsys.cards import Section, TitleCard, card_from_title, split_list
from recsys.schema import SECTION_TYPES
from recsys.services.art import ArtProvider, with_art
from recsys.store import catalog as catalog_store
from recsys.store import interactions as interaction_store
from recsys.store import users as user_store
from recsys.store.db import Database
from recsys.store.models import Title, utcnow

#: How many favourite genres and onboarding picks per section the app asks for.
GENRES_REQUIRED = 5
PICKS_REQUIRED = 5
#: Trending titles started within this many of the catalog's newest start years.
TRENDING_YEARS = 3
#: How many titles a pick grid shows at first, and how many more each "Show more" adds.
PICK_PAGE = 20
#: The longest search the pick grids accept.
SEARCH_MAX = 100


@dataclass(frozen=True)
class PickGrid:
    """One section's onboarding choices: titles of the chosen genres first, then the rest.

    ``in_genres`` cards (the first ones, after any picks a search would hide) share at least one
    chosen genre; ``has_more`` says "Show more" would add titles.
    """

    cards: tuple[TitleCard, ...]
    has_more: bool
    in_genres: int


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


@dataclass(frozen=True)
class Onboarding:
    """The first-visit steps; ``clock`` decides which years count as trending."""

    db: Database
    art: ArtProvider | None = None
    clock: Callable[[], datetime] = utcnow

    def available_genres(self) -> list[str]:
        """The catalog's genres, most common first."""
        with self.db.session() as session:
            return list(catalog_store.genre_counts(session))

    def set_favorite_genres(self, user_id: int, genres: Sequence[str]) -> None:
        """Store exactly :data:`GENRES_REQUIRED` known genres (the cold start ranks by them)."""
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
        """Most-voted titles of the section that started in the trending window (the pick
        grid with no genres to favour)."""
        return list(self.pick_grid(section, (), limit=limit).cards)

    def pick_grid(
        self,
        section: Section,
        genres: Sequence[str],
        *,
        limit: int = PICK_PAGE,
        query: str = "",
        keep: Sequence[str] = (),
    ) -> PickGrid:
        """The trending window's titles of ``section``, those with more of ``genres`` first
        (a title counts if any genre matches), then most voted; ``query`` narrows them by name.

        ``keep`` (the user's picks) are always shown, first when the list would leave them
        out, so a pick can be taken back whatever the search.
        """
        text = query.strip()
        if len(text) > SEARCH_MAX:
            raise ValueError(f"Search for at most {SEARCH_MAX} characters.")
        year_from, year_to = self.trending_window()
        window = f"Trending {year_from}–{year_to}"
        with self.db.session() as session:
            rows = catalog_store.trending_by_genres(
                session,
                title_types=SECTION_TYPES[section],
                year_from=year_from,
                year_to=year_to,
                genres=list(genres),
                limit=max(1, limit) + 1,
                query=text,
            )
            has_more = len(rows) > limit
            rows = rows[:limit]
            shown = {t.tconst for t, _ in rows}
            missing = [t for t in keep if t not in shown]
            extra = catalog_store.titles_by_id(session, missing) if missing else {}
            kept = [card_from_title(extra[t], why="Your pick") for t in missing if t in extra]
            cards = [card_from_title(t, why=_why(t, genres, window)) for t, _ in rows]
        in_genres = sum(1 for _, n in rows if n > 0)
        return PickGrid(tuple(with_art(kept + cards, self.art)), has_more, in_genres)

    def onboarding_state(self, user_id: int) -> OnboardingState:
        """The step and the picks so far, all read from the database."""
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
        """Toggle an onboarding pick; it is stored as a like at once.

        A pick must be a movie or a show that started in the trending window (the rule the
        grids follow); anything else is refused with one message and nothing is stored.
        """
        if picked:
            self._check_pick(tconst)
        with self.db.session() as session:
            if picked:
                interaction_store.upsert(session, user_id, tconst, True, source="onboarding")
            else:
                interaction_store.remove(session, user_id, tconst)

    def _check_pick(self, tconst: str) -> None:
        year_from, year_to = self.trending_window()
        with self.db.session() as session:
            title = catalog_store.titles_by_id(session, [tconst]).get(tconst)
            kind = None if title is None else title.title_type
            year = None if title is None else title.start_year
        if kind is None:
            raise ValueError(f"No title {tconst!r} in the catalog.")
        if kind not in (*SECTION_TYPES["movie"], *SECTION_TYPES["tv"]) or not (
            year is not None and year_from <= year <= year_to
        ):
            raise ValueError(
                f"Onboarding picks are movies and shows that started in {year_from}–{year_to}."
            )

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


def _why(title: Title, genres: Sequence[str], window: str) -> str:
    """ "Horror, Animation · Trending 2024–2026": the chosen genres a title has, then why."""
    own = split_list(title.genres, ",")
    shared = [g for g in genres if g in own]
    return f"{', '.join(shared)} · {window}" if shared else window
