"""Titles as the pages show them: one frozen value per card, built from a catalog row.

Every text field is data from IMDb or TMDb; pages must render it escaped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from recsys.schema import GENRE_SEP, PEOPLE_SEP
from recsys.store.models import Title
from recsys.tmdb.placeholder import placeholder_data_uri

Section = Literal["movie", "tv"]
#: The sections Home shows, in order, with their headings.
SECTION_LABELS: dict[Section, str] = {"movie": "Movies", "tv": "TV shows"}


@dataclass(frozen=True)
class TitleCard:
    """One title as a page shows it (escape every text field when rendering)."""

    tconst: str
    title: str
    title_type: str
    year: int | None = None
    end_year: int | None = None
    genres: tuple[str, ...] = ()
    rating: float | None = None
    votes: int = 0
    runtime_minutes: int | None = None
    poster_url: str | None = None
    overview: str | None = None
    directors: tuple[str, ...] = ()
    writers: tuple[str, ...] = ()
    cast: tuple[str, ...] = ()
    rank: int | None = None
    score: float | None = None
    model_part: str | None = None
    why: str = ""

    @property
    def imdb_url(self) -> str:
        return f"https://www.imdb.com/title/{self.tconst}/"

    @property
    def poster_src(self) -> str:
        """The TMDb poster, else a generated placeholder (never a broken image)."""
        return self.poster_url or placeholder_data_uri(self.title, self.year, self.genres)

    @property
    def section(self) -> Section:
        return "movie" if self.title_type == "movie" else "tv"

    @property
    def years_label(self) -> str:
        if self.year is None:
            return ""
        if self.title_type != "movie" and self.end_year and self.end_year != self.year:
            return f"{self.year}–{self.end_year}"
        if self.title_type != "movie" and self.end_year is None:
            return f"{self.year}–"
        return str(self.year)


def split_list(value: str | None, sep: str) -> tuple[str, ...]:
    return tuple(v for v in (value or "").split(sep) if v)


def card_from_title(title: Title, **extra: Any) -> TitleCard:
    return TitleCard(
        tconst=title.tconst,
        title=title.primary_title,
        title_type=title.title_type,
        year=title.start_year,
        end_year=title.end_year,
        genres=split_list(title.genres, GENRE_SEP),
        rating=title.average_rating,
        votes=title.num_votes or 0,
        runtime_minutes=title.runtime_minutes,
        directors=split_list(title.directors, PEOPLE_SEP),
        writers=split_list(title.writers, PEOPLE_SEP),
        cast=split_list(title.top_cast, PEOPLE_SEP),
        **extra,
    )
