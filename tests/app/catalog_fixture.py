"""A tiny hand-made catalog as IMDb TSVs and a MovieLens folder (no shared data needed).

24 movies and 24 TV shows, recent enough for onboarding's trending window, a handful of
people, and 40 MovieLens users with clear tastes so every model part has something to say.
Two titles carry HTML and Markdown in their names to prove the pages escape them.
"""

from __future__ import annotations

import csv
import gzip
import random
from datetime import date
from pathlib import Path

GENRES = ["Drama", "Comedy", "Thriller", "Sci-Fi", "Romance", "Horror", "Animation", "Crime"]
HOSTILE = {
    "tt9000003": '<img src=x onerror=alert(1)> & "Quotes"',
    "tt9000104": "**Bold** [link](http://evil.example) <b>tag</b>",
}


def _titles(this_year: int) -> list[dict]:
    rows = []
    for i in range(24):
        tconst = f"tt{9000000 + i + 1:07d}"
        rows.append(
            {
                "tconst": tconst,
                "type": "movie",
                "title": HOSTILE.get(tconst, f"Movie {chr(65 + i)} {GENRES[i % 8]} Story"),
                "year": this_year - (i % 5),
                "end": None,
                "runtime": 90 + i,
                "genres": [GENRES[i % 8], GENRES[(i + 3) % 8]],
                "rating": round(5.5 + (i % 7) * 0.5, 1),
                "votes": 90000 - i * 2500,
            }
        )
    for i in range(24):
        tconst = f"tt{9000100 + i + 1:07d}"
        rows.append(
            {
                "tconst": tconst,
                "type": "tvSeries" if i % 3 else "tvMiniSeries",
                "title": HOSTILE.get(tconst, f"Show {chr(65 + i)} {GENRES[(i + 1) % 8]} Nights"),
                "year": this_year - (i % 4),
                "end": None if i % 2 else this_year,
                "runtime": 45,
                "genres": [GENRES[(i + 1) % 8], GENRES[(i + 5) % 8]],
                "rating": round(6.0 + (i % 6) * 0.5, 1),
                "votes": 80000 - i * 2000,
            }
        )
    return rows


def _write_gz(path: Path, header: list[str], rows: list[list]) -> None:
    with gzip.open(path, "wt", encoding="utf-8", newline="") as fh:
        fh.write("\t".join(header) + "\n")
        for row in rows:
            fh.write("\t".join("\\N" if v is None else str(v) for v in row) + "\n")


def write_sources(root: Path, this_year: int | None = None) -> tuple[Path, Path]:
    """Write ``root/imdb`` (five .tsv.gz files) and ``root/movielens``; return both folders."""
    this_year = this_year or date.today().year
    imdb, ml = root / "imdb", root / "movielens"
    imdb.mkdir(parents=True, exist_ok=True)
    ml.mkdir(parents=True, exist_ok=True)
    titles = _titles(this_year)
    people = [f"nm{9100000 + i:07d}" for i in range(12)]
    names = [
        "Ava Stone",
        "Ben Okafor",
        "Chloé Martin",
        "Dev Patel-Ray",
        "Eun-ji Park",
        "Farid Haddad",
        "Greta Lind",
        "Hugo Alves",
        "Iris Novak",
        "Jonas Berg",
        "Kai <script>",
        "Lena Petrova",
    ]
    _write_gz(
        imdb / "title.basics.tsv.gz",
        [
            "tconst",
            "titleType",
            "primaryTitle",
            "originalTitle",
            "isAdult",
            "startYear",
            "endYear",
            "runtimeMinutes",
            "genres",
        ],
        [
            [
                t["tconst"],
                t["type"],
                t["title"],
                t["title"],
                0,
                t["year"],
                t["end"],
                t["runtime"],
                ",".join(t["genres"]),
            ]
            for t in titles
        ],
    )
    _write_gz(
        imdb / "title.ratings.tsv.gz",
        ["tconst", "averageRating", "numVotes"],
        [[t["tconst"], t["rating"], t["votes"]] for t in titles],
    )
    _write_gz(
        imdb / "title.crew.tsv.gz",
        ["tconst", "directors", "writers"],
        [[t["tconst"], people[i % 4], people[4 + i % 3]] for i, t in enumerate(titles)],
    )
    principals = []
    for i, t in enumerate(titles):
        for order, j in enumerate((7 + i % 5, 7 + (i + 2) % 5), start=1):
            principals.append([t["tconst"], order, people[j], "actor", None, None])
    _write_gz(
        imdb / "title.principals.tsv.gz",
        ["tconst", "ordering", "nconst", "category", "job", "characters"],
        principals,
    )
    _write_gz(
        imdb / "name.basics.tsv.gz",
        ["nconst", "primaryName", "birthYear", "deathYear", "primaryProfession", "knownForTitles"],
        [[p, n, None, None, "actor", None] for p, n in zip(people, names, strict=True)],
    )

    movies = [t for t in titles if t["type"] == "movie"]
    with (ml / "movies.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["movieId", "title", "genres"])
        for m, t in enumerate(movies, start=1):
            w.writerow([m, f"{t['title']} ({t['year']})", "|".join(t["genres"])])
    with (ml / "links.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["movieId", "imdbId", "tmdbId"])
        for m, t in enumerate(movies, start=1):
            w.writerow([m, t["tconst"][2:], 1000 + m])
    rng = random.Random(7)
    with (ml / "ratings.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["userId", "movieId", "rating", "timestamp"])
        for user in range(1, 41):
            favourite = GENRES[user % 8]
            for m, t in enumerate(movies, start=1):
                if rng.random() < 0.55:
                    base = 4.5 if favourite in t["genres"] else 2.5
                    rating = min(5.0, max(0.5, base + rng.choice([-1, -0.5, 0, 0.5])))
                    w.writerow([user, m, rating, 1_600_000_000 + user * 1000 + m])
    with (ml / "tags.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["userId", "movieId", "tag", "timestamp"])
        for m, t in enumerate(movies, start=1):
            w.writerow([1 + m % 5, m, t["genres"][0].lower() + " classic", 1_600_000_000 + m])
    return imdb, ml


def build_data_dir(data_dir: Path, sources_root: Path) -> dict[str, str]:
    """Ingest the fixture and train the engine into ``data_dir``; returns the secrets to use."""
    from recsys import bootstrap
    from recsys.config import Settings
    from recsys.store.db import Database

    imdb, ml = write_sources(sources_root)
    secrets = {
        "MARQUEE_DATA_DIR": str(data_dir),
        "MARQUEE_IMDB_SOURCE": str(imdb),
        "MARQUEE_MOVIELENS_SOURCE": str(ml),
        "MARQUEE_MIN_VOTES": "1",
        "MARQUEE_COOKIE_KEY": "test-cookie-key-" + "x" * 32,
        "TMDB_API_KEY": "",
        "DATABASE_URL": "",
    }
    settings = Settings.from_env(environ={}, secrets=secrets)
    db = Database.from_settings(settings)
    bootstrap.build_catalog(settings, db)
    bootstrap.load_or_train_engine(settings, db)
    db.dispose()
    return secrets
