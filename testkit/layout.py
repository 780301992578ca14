"""The IMDb and MovieLens file layouts, written from title specs by one writer.

:func:`write_dataset` turns a :class:`Dataset` (titles, people, MovieLens movies, ratings and
tags) into ``root/imdb`` (``title.basics``, ``title.ratings``, ``title.crew``,
``title.principals``, ``name.basics``; ``.tsv`` or ``.tsv.gz``) and ``root/movielens``
(``movies.csv``, ``links.csv``, ``ratings.csv``, ``tags.csv``), as the real downloads have them.
:mod:`testkit.world` holds the datasets the tests use.
"""

from __future__ import annotations

import csv
import gzip
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

NULL = "\\N"
#: The genres of IMDb's ``title.basics``, as the real dump spells them.
IMDB_GENRES = [
    "Action", "Adult", "Adventure", "Animation", "Biography", "Comedy", "Crime", "Documentary",
    "Drama", "Family", "Fantasy", "Film-Noir", "Game-Show", "History", "Horror", "Music",
    "Musical", "Mystery", "News", "Reality-TV", "Romance", "Sci-Fi", "Short", "Sport",
    "Talk-Show", "Thriller", "War", "Western",
]  # fmt: skip


# ------------------------------------------------------------------------------ specs
@dataclass(frozen=True)
class Person:
    """One ``name.basics`` row."""

    nconst: str
    name: str
    birth_year: int | None = None
    professions: str = "actor"


@dataclass(frozen=True)
class Title:
    """One title: its ``title.basics`` and ``title.ratings`` rows, its crew and cast.

    ``cast`` are ``title.principals`` actors in billing order, each with ``characters`` (the raw
    column, e.g. ``'["Role"]'``); a title without directors, writers or cast has no row there.
    """

    tconst: str
    kind: str
    title: str
    year: int
    runtime: int
    genres: tuple[str, ...]
    rating: float
    votes: int
    end: int | None = None
    adult: bool = False
    directors: tuple[str, ...] = ()
    writers: tuple[str, ...] = ()
    cast: tuple[str, ...] = ()
    characters: str | None = None


@dataclass(frozen=True)
class Movie:
    """One MovieLens movie: its ``movies.csv`` and ``links.csv`` rows."""

    movie_id: int
    imdb_id: str  # the digits of the tconst, as links.csv has them
    tmdb_id: int | None
    title: str
    genres: tuple[str, ...]


@dataclass(frozen=True)
class Dataset:
    """Everything :func:`write_dataset` writes (ratings and tags as MovieLens rows)."""

    titles: list[Title]
    people: list[Person]
    movies: list[Movie]
    ratings: list[tuple[int, int, float, int]]  # userId, movieId, rating, timestamp
    tags: list[tuple[int, int, str, int]]  # userId, movieId, tag, timestamp


# ------------------------------------------------------------------------------ the writer
def _cell(value: object) -> str:
    return NULL if value is None else str(value)


def _write_tsv(path: Path, header: str, rows: Iterable[Sequence[object]], gz: bool) -> None:
    opener = gzip.open if gz else open
    with opener(path, "wt", encoding="utf-8", newline="") as fh:  # type: ignore[operator]
        fh.write(header + "\n")
        for row in rows:
            fh.write("\t".join(_cell(v) for v in row) + "\n")


def _write_csv(path: Path, header: str, rows: Iterable[Sequence[object]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(header.split(","))
        writer.writerows(("" if v is None else v for v in row) for row in rows)


def _basics_row(t: Title) -> tuple[object, ...]:
    genres = ",".join(t.genres)
    return (t.tconst, t.kind, t.title, t.title, int(t.adult), t.year, t.end, t.runtime, genres)


def write_dataset(dataset: Dataset, root: Path, *, gz: bool = False) -> tuple[Path, Path]:
    """Write ``root/imdb`` (``.tsv``, or ``.tsv.gz`` with ``gz``) and ``root/movielens``."""
    imdb, ml = root / "imdb", root / "movielens"
    imdb.mkdir(parents=True, exist_ok=True)
    ml.mkdir(parents=True, exist_ok=True)
    suffix = ".tsv.gz" if gz else ".tsv"
    titles = dataset.titles
    _write_tsv(
        imdb / f"title.basics{suffix}",
        "tconst\ttitleType\tprimaryTitle\toriginalTitle\tisAdult\tstartYear\tendYear\t"
        "runtimeMinutes\tgenres",
        (_basics_row(t) for t in titles),
        gz,
    )
    _write_tsv(
        imdb / f"title.ratings{suffix}",
        "tconst\taverageRating\tnumVotes",
        ((t.tconst, f"{t.rating:.1f}", t.votes) for t in titles),
        gz,
    )
    _write_tsv(
        imdb / f"title.crew{suffix}",
        "tconst\tdirectors\twriters",
        (
            (t.tconst, ",".join(t.directors) or None, ",".join(t.writers) or None)
            for t in titles
            if t.directors or t.writers
        ),
        gz,
    )
    _write_tsv(
        imdb / f"title.principals{suffix}",
        "tconst\tordering\tnconst\tcategory\tjob\tcharacters",
        (
            (t.tconst, order, nconst, "actor", None, t.characters)
            for t in titles
            for order, nconst in enumerate(t.cast, start=1)
        ),
        gz,
    )
    _write_tsv(
        imdb / f"name.basics{suffix}",
        "nconst\tprimaryName\tbirthYear\tdeathYear\tprimaryProfession\tknownForTitles",
        ((p.nconst, p.name, p.birth_year, None, p.professions, None) for p in dataset.people),
        gz,
    )

    movies = dataset.movies
    _write_csv(
        ml / "movies.csv",
        "movieId,title,genres",
        ((m.movie_id, m.title, "|".join(m.genres)) for m in movies),
    )
    _write_csv(
        ml / "links.csv",
        "movieId,imdbId,tmdbId",
        ((m.movie_id, m.imdb_id, m.tmdb_id) for m in movies),
    )
    _write_csv(
        ml / "ratings.csv",
        "userId,movieId,rating,timestamp",
        ((user, movie, f"{rating:.1f}", ts) for user, movie, rating, ts in dataset.ratings),
    )
    _write_csv(ml / "tags.csv", "userId,movieId,tag,timestamp", dataset.tags)
    return imdb, ml
