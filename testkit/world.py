"""The fake IMDb and MovieLens downloads the tests and benchmarks build their catalogs from.

Both are presets of :func:`testkit.layout.write_dataset`, so they exercise the real ingestion
code without any of the real data in the repository:

* :func:`write_world`: a seeded random "world" (service, fault and property tests, the load
  benchmark), with ids of 9 and 10 characters, rows the ingest must drop (adult, episode, short),
  an unmapped MovieLens movie and titles with quotes, ampersands and angle brackets;
* :func:`write_sources`: the hand-made app catalog (AppTest and browser tests): 24 movies and 24
  shows recent enough for onboarding's trending window, 40 MovieLens users with clear tastes, and
  two titles (:data:`HOSTILE`) whose HTML and Markdown the pages must escape, plus six movies
  and six shows of niche genres (:func:`niche_titles`) for onboarding's genre-led grids.
"""

from __future__ import annotations

import random
from datetime import date
from pathlib import Path

from testkit.layout import Dataset, Movie, Person, Title, write_dataset

# ------------------------------------------------------------------------------ the world
GENRES = [
    "Action", "Adventure", "Animation", "Comedy", "Crime", "Documentary", "Drama", "Family",
    "Fantasy", "Horror", "Mystery", "Romance", "Sci-Fi", "Thriller",
]  # fmt: skip
WORDS = [
    "Night", "River", "Echo", "Crown", "Signal", "Harbor", "Glass", "Ember", "Orbit", "Atlas",
    "Velvet", "Summit", "Cipher", "Lantern", "Tide", "Falcon", "Meadow", "Static", "Wander", "Nova",
]  # fmt: skip
NAMES = ["Ada Stone", "Bo Rivera", "Chen Li", "Dana O'Neil", "Émile Zola-Smith", "Farah Khan",
         "Gus <Gus> Grant", "Hana Ito", "Ivan Petrov", "Jo March"]  # fmt: skip
CURRENT_YEAR = 2026


def _world_title(rng: random.Random, i: int) -> str:
    base = f"{rng.choice(WORDS)} {rng.choice(WORDS)}"
    if i % 17 == 3:
        return f'The "{base}" & <Co>'
    if i % 13 == 5:
        return f"{base}: Part {i % 4 + 2}"
    return base


def world(*, movies: int = 60, shows: int = 40, ml_users: int = 40, seed: int = 7) -> Dataset:
    """The seeded random world (the same ``seed`` gives the same files, value for value)."""
    rng = random.Random(seed)
    people = [
        Person(f"nm{n + 1:07d}", name, 1970, "actor,director") for n, name in enumerate(NAMES)
    ]
    ids = range(1, len(NAMES) + 1)
    titles: list[Title] = []
    for i in range(movies + shows):
        is_movie = i < movies
        # The draws happen in this order; changing it changes every title after it.
        genres = tuple(sorted(rng.sample(GENRES, rng.randint(1, 3))))
        # A third of each type is recent, so onboarding's trending lists fill up.
        year = (
            rng.randint(CURRENT_YEAR - 2, CURRENT_YEAR) if i % 3 == 0 else rng.randint(1975, 2022)
        )
        end = None if is_movie else min(CURRENT_YEAR, year + rng.randint(0, 5))
        runtime = rng.randint(80, 170) if is_movie else rng.randint(20, 60)
        title = _world_title(rng, i)
        votes = int(rng.paretovariate(1.2) * 2000)
        rating = rng.randint(50, 92) / 10
        directors, writers, cast = rng.sample(ids, 1), rng.sample(ids, 2), rng.sample(ids, 3)
        tconst = f"tt{i + 1:07d}" if i % 9 else f"tt{i + 1:08d}"  # some 10-character ids
        kind = "movie" if is_movie else ("tvMiniSeries" if i % 5 == 0 else "tvSeries")
        titles.append(
            Title(
                tconst,
                kind,
                title,
                year,
                runtime,
                genres,
                rating,
                votes,
                end,
                directors=tuple(f"nm{d:07d}" for d in directors),
                writers=tuple(f"nm{w:07d}" for w in writers),
                cast=tuple(f"nm{a:07d}" for a in cast),
                characters='["Role"]',
            )
        )
    # MovieLens: movies map to the catalog movies (plus one unmapped movie).
    movie_titles = [t for t in titles if t.kind == "movie"]
    ml_movies = [
        Movie(m, t.tconst[2:], 1000 + m, f"Movie {m} ({t.year})", t.genres)
        for m, t in enumerate(movie_titles, start=1)
    ]
    unmapped = len(movie_titles) + 1
    ml_movies.append(Movie(unmapped, "9999999", None, "Lost Film (1999)", ("Drama",)))
    ratings: list[tuple[int, int, float, int]] = []
    tags: list[tuple[int, int, str, int]] = []
    ts = 1_600_000_000
    for user in range(1, ml_users + 1):
        taste = set(rng.sample(GENRES, 3))
        for m, t in enumerate(movie_titles, start=1):
            if rng.random() < 0.35:
                match = len(taste & set(t.genres))
                rating = min(5.0, max(0.5, 2.5 + match * 1.0 + rng.choice([-0.5, 0, 0.5])))
                ts += rng.randint(1, 5000)
                ratings.append((user, m, rating, ts))
        if user % 4 == 0:
            ratings.append((user, unmapped, 4.0, ts + 1))
            tags.append((user, rng.randint(1, len(movie_titles)), "Twist Ending", ts))
            tags.append((user, rng.randint(1, len(movie_titles)), "dark, moody", ts))
    # Rows the ingest must drop: an adult title, an episode, a short.
    titles += [
        Title("tt9000001", "movie", "Adult Film", 2025, 90, ("Drama",), 7.0, 50000, adult=True),
        Title("tt9000002", "tvEpisode", "Pilot", 2025, 30, ("Drama",), 7.0, 50000),
        Title("tt9000003", "short", "A Short", 2025, 5, ("Comedy",), 7.0, 50000),
    ]
    return Dataset(titles, people, ml_movies, ratings, tags)


def write_world(
    root: Path, *, movies: int = 60, shows: int = 40, ml_users: int = 40, seed: int = 7
) -> tuple[Path, Path]:
    """Write :func:`world` as ``root/imdb`` (.tsv) and ``root/movielens``; returns both."""
    return write_dataset(world(movies=movies, shows=shows, ml_users=ml_users, seed=seed), root)


# ------------------------------------------------------------------------------ the app catalog
APP_GENRES = ["Drama", "Comedy", "Thriller", "Sci-Fi", "Romance", "Horror", "Animation", "Crime"]
HOSTILE = {
    "tt9000003": '<img src=x onerror=alert(1)> & "Quotes"',
    "tt9000104": "**Bold** [link](http://evil.example) <b>tag</b>",
}
APP_NAMES = [
    "Ava Stone", "Ben Okafor", "Chloé Martin", "Dev Patel-Ray", "Eun-ji Park", "Farid Haddad",
    "Greta Lind", "Hugo Alves", "Iris Novak", "Jonas Berg", "Kai <script>", "Lena Petrova",
]  # fmt: skip


def app_catalog(this_year: int | None = None) -> Dataset:
    """The hand-made catalog, its years counted back from ``this_year`` (default: this year)."""
    this_year = this_year or date.today().year
    g = APP_GENRES
    people = [Person(f"nm{9100000 + i:07d}", name) for i, name in enumerate(APP_NAMES)]
    nm = [p.nconst for p in people]

    def credits(k: int) -> dict[str, tuple[str, ...]]:
        """Directors 0-3, writers 4-6, two of the actors 7-11, by the title's position."""
        return {
            "directors": (nm[k % 4],),
            "writers": (nm[4 + k % 3],),
            "cast": (nm[7 + k % 5], nm[7 + (k + 2) % 5]),
        }

    titles = []
    for i in range(24):
        tconst = f"tt{9000000 + i + 1:07d}"
        titles.append(
            Title(
                tconst,
                "movie",
                HOSTILE.get(tconst, f"Movie {chr(65 + i)} {g[i % 8]} Story"),
                year=this_year - (i % 5),
                runtime=90 + i,
                genres=(g[i % 8], g[(i + 3) % 8]),
                rating=round(5.5 + (i % 7) * 0.5, 1),
                votes=90000 - i * 2500,
                **credits(i),
            )
        )
    for i in range(24):
        tconst = f"tt{9000100 + i + 1:07d}"
        titles.append(
            Title(
                tconst,
                "tvSeries" if i % 3 else "tvMiniSeries",
                HOSTILE.get(tconst, f"Show {chr(65 + i)} {g[(i + 1) % 8]} Nights"),
                year=this_year - (i % 4),
                runtime=45,
                genres=(g[(i + 1) % 8], g[(i + 5) % 8]),
                rating=round(6.0 + (i % 6) * 0.5, 1),
                votes=80000 - i * 2000,
                end=None if i % 2 else this_year,
                **credits(24 + i),
            )
        )
    movies = [t for t in titles if t.kind == "movie"]
    ml_movies = [
        Movie(m, t.tconst[2:], 1000 + m, f"{t.title} ({t.year})", t.genres)
        for m, t in enumerate(movies, start=1)
    ]
    rng = random.Random(7)
    ratings = []
    for user in range(1, 41):
        favourite = g[user % 8]
        for m, t in enumerate(movies, start=1):
            if rng.random() < 0.55:
                base = 4.5 if favourite in t.genres else 2.5
                rating = min(5.0, max(0.5, base + rng.choice([-1, -0.5, 0, 0.5])))
                ratings.append((user, m, rating, 1_600_000_000 + user * 1000 + m))
    tags = [
        (1 + m % 5, m, t.genres[0].lower() + " classic", 1_600_000_000 + m)
        for m, t in enumerate(movies, start=1)
    ]
    titles += niche_titles(this_year, nm)
    return Dataset(titles, people, ml_movies, ratings, tags)


#: Genres few blockbusters carry: onboarding must still fill its grids with them.
NICHE_GENRES = ("Animation", "Documentary", "Horror", "Music", "History")


def niche_titles(this_year: int, nm: list[str]) -> list[Title]:
    """Six movies (``tt90002xx``) and six shows (``tt90003xx``) of :data:`NICHE_GENRES`, recent
    and less voted than every other title: no MovieLens rating, and never in a top 20 by votes."""
    combos = [
        ("Documentary", "Music"),
        ("History", "Documentary"),
        ("Animation", "Music"),
        ("Horror", "History"),
        ("Documentary",),
        ("Music", "Horror"),
    ]
    out = []
    for kind, base in (("movie", 9000200), ("tvSeries", 9000300)):
        for i, genres in enumerate(combos):
            out.append(
                Title(
                    f"tt{base + i + 1:07d}",
                    kind,
                    f"{'Film' if kind == 'movie' else 'Series'} {chr(80 + i)} {genres[0]} Notes",
                    year=this_year - (i % 3),
                    runtime=95 if kind == "movie" else 40,
                    genres=genres,
                    rating=round(6.5 + (i % 4) * 0.4, 1),
                    votes=9000 - i * 700 - (0 if kind == "movie" else 300),
                    directors=(nm[i % 4],),
                    writers=(nm[4 + i % 3],),
                    cast=(nm[7 + i % 5],),
                )
            )
    return out


def write_sources(root: Path, this_year: int | None = None) -> tuple[Path, Path]:
    """Write :func:`app_catalog` as ``root/imdb`` (five .tsv.gz files) and ``root/movielens``."""
    return write_dataset(app_catalog(this_year), root, gz=True)
