"""A small, deterministic "world" written in the exact IMDb and MovieLens file formats.

Service, app and browser tests build their catalog from it through the real ingestion code, so
they exercise the same path as production without any of the real data in the repository.
Titles include quotes, ampersands and angle brackets on purpose (they must render escaped).
"""

from __future__ import annotations

import random
from pathlib import Path

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


def _title(rng: random.Random, i: int) -> str:
    base = f"{rng.choice(WORDS)} {rng.choice(WORDS)}"
    if i % 17 == 3:
        return f'The "{base}" & <Co>'
    if i % 13 == 5:
        return f"{base}: Part {i % 4 + 2}"
    return base


def write_world(
    root: Path,
    *,
    movies: int = 60,
    shows: int = 40,
    ml_users: int = 40,
    seed: int = 7,
) -> tuple[Path, Path]:
    """Write ``root/imdb`` and ``root/movielens``; returns both folders."""
    rng = random.Random(seed)
    imdb = root / "imdb"
    ml = root / "movielens"
    imdb.mkdir(parents=True, exist_ok=True)
    ml.mkdir(parents=True, exist_ok=True)

    basics = ["tconst\ttitleType\tprimaryTitle\toriginalTitle\tisAdult\tstartYear\tendYear\t"
              "runtimeMinutes\tgenres"]  # fmt: skip
    ratings = ["tconst\taverageRating\tnumVotes"]
    crew = ["tconst\tdirectors\twriters"]
    principals = ["tconst\tordering\tnconst\tcategory\tjob\tcharacters"]
    names = ["nconst\tprimaryName\tbirthYear\tdeathYear\tprimaryProfession\tknownForTitles"]
    for n, name in enumerate(NAMES):
        names.append(f"nm{n + 1:07d}\t{name}\t1970\t\\N\tactor,director\t\\N")

    titles: list[tuple[str, str, list[str], int]] = []
    for i in range(movies + shows):
        is_movie = i < movies
        tconst = f"tt{i + 1:07d}" if i % 9 else f"tt{i + 1:08d}"  # some 10-character ids
        kind = "movie" if is_movie else ("tvMiniSeries" if i % 5 == 0 else "tvSeries")
        genres = sorted(rng.sample(GENRES, rng.randint(1, 3)))
        # A third of each type is recent, so onboarding's trending lists fill up.
        year = (
            rng.randint(CURRENT_YEAR - 2, CURRENT_YEAR) if i % 3 == 0 else rng.randint(1975, 2022)
        )
        end = "\\N" if is_movie else str(min(CURRENT_YEAR, year + rng.randint(0, 5)))
        runtime = str(rng.randint(80, 170)) if is_movie else str(rng.randint(20, 60))
        title = _title(rng, i)
        basics.append(
            f"{tconst}\t{kind}\t{title}\t{title}\t0\t{year}\t{end}\t{runtime}\t{','.join(genres)}"
        )
        votes = int(rng.paretovariate(1.2) * 2000)
        ratings.append(f"{tconst}\t{rng.randint(50, 92) / 10:.1f}\t{votes}")
        directors = rng.sample(range(1, len(NAMES) + 1), 1)
        writers = rng.sample(range(1, len(NAMES) + 1), 2)
        crew.append(
            f"{tconst}\t{','.join(f'nm{d:07d}' for d in directors)}\t"
            f"{','.join(f'nm{w:07d}' for w in writers)}"
        )
        for order, actor in enumerate(rng.sample(range(1, len(NAMES) + 1), 3), start=1):
            principals.append(f'{tconst}\t{order}\tnm{actor:07d}\tactor\t\\N\t["Role"]')
        titles.append((tconst, kind, genres, year))
    # Rows the ingest must drop: an adult title, an episode, a short.
    basics.append("tt9000001\tmovie\tAdult Film\tAdult Film\t1\t2025\t\\N\t90\tDrama")
    basics.append("tt9000002\ttvEpisode\tPilot\tPilot\t0\t2025\t\\N\t30\tDrama")
    basics.append("tt9000003\tshort\tA Short\tA Short\t0\t2025\t\\N\t5\tComedy")
    for tconst in ("tt9000001", "tt9000002", "tt9000003"):
        ratings.append(f"{tconst}\t7.0\t50000")

    for name, lines in (
        ("title.basics.tsv", basics),
        ("title.ratings.tsv", ratings),
        ("title.crew.tsv", crew),
        ("title.principals.tsv", principals),
        ("name.basics.tsv", names),
    ):
        (imdb / name).write_text("\n".join(lines) + "\n", encoding="utf-8")

    # MovieLens: movies map to the catalog movies (plus one unmapped movie).
    movie_titles = [t for t in titles if t[1] == "movie"]
    links = ["movieId,imdbId,tmdbId"]
    movies_csv = ["movieId,title,genres"]
    for movie_id, (tconst, _kind, genres, year) in enumerate(movie_titles, start=1):
        links.append(f"{movie_id},{tconst[2:]},{1000 + movie_id}")
        movies_csv.append(f'{movie_id},"Movie {movie_id} ({year})",{"|".join(genres)}')
    unmapped_id = len(movie_titles) + 1
    links.append(f"{unmapped_id},9999999,")
    movies_csv.append(f"{unmapped_id},Lost Film (1999),Drama")
    rating_lines = ["userId,movieId,rating,timestamp"]
    tag_lines = ["userId,movieId,tag,timestamp"]
    ts = 1_600_000_000
    for user in range(1, ml_users + 1):
        taste = set(rng.sample(GENRES, 3))
        for movie_id, (_t, _k, genres, _y) in enumerate(movie_titles, start=1):
            if rng.random() < 0.35:
                match = len(taste & set(genres))
                rating = min(5.0, max(0.5, 2.5 + match * 1.0 + rng.choice([-0.5, 0, 0.5])))
                ts += rng.randint(1, 5000)
                rating_lines.append(f"{user},{movie_id},{rating:.1f},{ts}")
        if user % 4 == 0:
            rating_lines.append(f"{user},{unmapped_id},4.0,{ts + 1}")
            tag_lines.append(f"{user},{rng.randint(1, len(movie_titles))},Twist Ending,{ts}")
            tag_lines.append(f'{user},{rng.randint(1, len(movie_titles))},"dark, moody",{ts}')
    (ml / "ratings.csv").write_text("\n".join(rating_lines) + "\n", encoding="utf-8")
    (ml / "links.csv").write_text("\n".join(links) + "\n", encoding="utf-8")
    (ml / "movies.csv").write_text("\n".join(movies_csv) + "\n", encoding="utf-8")
    (ml / "tags.csv").write_text("\n".join(tag_lines) + "\n", encoding="utf-8")
    return imdb, ml
