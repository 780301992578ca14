"""Time a rating import (preview + apply) against a catalog of realistic size (issue 11).

    .venv/bin/python benchmarks/import_speed.py                  # 75,000 titles, 500 rows each
    .venv/bin/python benchmarks/import_speed.py --titles 75000 --rows 500 --json out.json

In a temporary folder it removes at the end, it builds a SQLite database migrated to head,
inserts ``--titles`` synthetic titles (80 % movies, with remakes sharing a name so matching
meets ambiguity), one account with 50 in-app choices, then writes an IMDb "Your ratings"
export and a Letterboxd export zip of ``--rows`` rows each (10 % of them titles we do not
have, names spelt as the other site would: case, accents, "Title, The") and times, through
the ``Marquee`` facade as the Account page calls it:

* each format with a cold title index (the first upload after a start: it builds the index
  from the catalog) and with a warm one (every later upload);
* ``preview`` and ``apply`` apart, a re-import of the same file (which stores nothing) and a
  first import by another account with the index built.

Prints one JSON object; the target is preview + apply < 3 s per format.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import insert  # noqa: E402

from recsys.config import Settings  # noqa: E402
from recsys.services import Marquee  # noqa: E402
from recsys.services import imports as import_service  # noqa: E402
from recsys.store.db import Database  # noqa: E402
from recsys.store.models import Title  # noqa: E402
from testkit import factories  # noqa: E402
from testkit.accounts import add_accounts  # noqa: E402

WORDS = [
    "night",
    "river",
    "echo",
    "crown",
    "signal",
    "harbor",
    "glass",
    "ember",
    "orbit",
    "atlas",
    "velvet",
    "summit",
    "cipher",
    "lantern",
    "tide",
    "falcon",
    "meadow",
    "static",
    "wander",
    "nova",
    "amélie",
    "léon",
    "señor",
    "über",
    "café",
    "crash",
    "solaris",
    "matrix",
    "heat",
    "drive",
    "alien",
    "twins",
    "brazil",
    "fargo",
    "psycho",
    "vertigo",
    "rocky",
    "jaws",
    "speed",
    "ronin",
    "casino",
    "memento",
    "gladiator",
    "inception",
    "interstellar",
    "parasite",
    "whiplash",
    "arrival",
    "dune",
    "sicario",
    "prisoners",
    "zodiac",
]


def catalog_rows(count: int, rng: random.Random) -> list[dict[str, Any]]:
    rows = []
    for i in range(count):
        movie = i % 5 != 0
        name = " ".join(rng.choice(WORDS).title() for _ in range(rng.randint(1, 4)))
        if rng.random() < 0.3:
            name = "The " + name
        rows.append(
            {
                "tconst": f"tt{1_000_000 + i:07d}",
                "title_type": "movie" if movie else rng.choice(["tvSeries", "tvMiniSeries"]),
                "primary_title": name,
                "original_title": name if rng.random() < 0.9 else name + " (Original)",
                "start_year": rng.randint(1930, 2025),
                "num_votes": int(rng.paretovariate(1.2) * 1000),
                "genres": "Drama",
            }
        )
    return rows


def imdb_export(titles: list[dict[str, Any]], rows: int, rng: random.Random) -> bytes:
    lines = [
        "Const,Your Rating,Date Rated,Title,Original Title,URL,Title Type,IMDb Rating,"
        "Runtime (mins),Year,Genres,Num Votes,Release Date,Directors"
    ]
    for n, title in enumerate(rng.sample(titles, rows)):
        tconst = title["tconst"] if n % 10 else f"tt{9_000_000 + n:07d}"  # 10 % unknown
        kind = {"movie": "Movie", "tvSeries": "TV Series"}.get(
            title["title_type"], "TV Mini Series"
        )
        year = title["start_year"]
        lines.append(
            f"{tconst},{rng.randint(1, 10)},2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d},"
            f'"{title["primary_title"]}","{title["original_title"]}",'
            f"https://www.imdb.com/title/{tconst}/,{kind},7.1,101,{year},Drama,1234,{year}-01-01,"
            '"Ada Stone, Bo Rivera"'
        )
    return ("\r\n".join(lines) + "\r\n").encode()


def letterboxd_export(titles: list[dict[str, Any]], rows: int, rng: random.Random) -> bytes:
    import io
    import zipfile

    movies = [t for t in titles if t["title_type"] == "movie"]
    lines = ["Date,Name,Year,Letterboxd URI,Rating"]
    for n, title in enumerate(rng.sample(movies, rows)):
        name = title["primary_title"]
        if n % 10 == 0:
            name = f"Nowhere Film {n}"  # 10 % unknown
        elif name.startswith("The ") and n % 3 == 0:
            name = f"{name[4:]}, The"
        elif n % 3 == 1:
            name = name.lower()
        year = title["start_year"] + rng.choice([0, 0, 0, 1, -1])
        stars = rng.choice([0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5, 5])
        lines.append(
            f'2023-{rng.randint(1, 12):02d}-01,"{name}",{year},https://boxd.it/{n},{stars}'
        )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("ratings.csv", "\r\n".join(lines) + "\r\n")
        archive.writestr("watched.csv", "Date,Name,Year,Letterboxd URI\r\n")
    return out.getvalue()


def timed_import(service: Marquee, uid: int, name: str, data: bytes) -> dict[str, Any]:
    start = time.perf_counter()
    preview = service.imports.preview(uid, name, data)
    previewed = time.perf_counter()
    result = service.imports.apply(uid, preview)
    done = time.perf_counter()
    return {
        "preview_s": round(previewed - start, 3),
        "apply_s": round(done - previewed, 3),
        "total_s": round(done - start, 3),
        "rows": preview.rows,
        "likes": preview.likes,
        "dislikes": preview.dislikes,
        "skipped": preview.skipped,
        "unmatched": preview.unmatched,
        "ambiguous": preview.ambiguous,
        "stored": result.stored,
        "kept_newer": result.kept_newer,
    }


def run(titles: int, rows: int, database_url: str | None, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    tmp = Path(tempfile.mkdtemp(prefix="marquee-import-"))
    try:
        settings = Settings(data_dir=tmp / "data")
        if database_url:
            settings = settings.with_overrides(database_url=database_url)
        db: Database = factories.database(settings)
        catalog = catalog_rows(titles, rng)
        with db.session() as session:
            for first in range(0, len(catalog), 5000):
                session.execute(insert(Title), catalog[first : first + 5000])
        add_accounts(db, 3, prefix="bench")
        service = factories.service(settings, db)
        report: dict[str, Any] = {"titles": titles, "rows": rows, "backend": db.dialect}
        files = [
            ("imdb", "ratings.csv", imdb_export(catalog, rows, rng)),
            ("letterboxd", "letterboxd-bench.zip", letterboxd_export(catalog, rows, rng)),
        ]
        for uid, (label, name, data) in enumerate(files, start=1):
            for tconst in rng.sample([t["tconst"] for t in catalog], 50):  # in-app choices
                service.ratings.rate(uid, tconst, rng.choice(["like", "dislike"]))
            import_service._INDEXES.clear()  # the first upload after a start builds the index
            report[f"{label}_cold_index"] = timed_import(service, uid, name, data)
            report[f"{label}_warm_reimport"] = timed_import(service, uid, name, data)
            report[f"{label}_bytes"] = len(data)
        # Another account uploads the IMDb file once the index is built (every later upload).
        report["imdb_warm_new_account"] = timed_import(service, 3, *files[0][1:])
        start = time.perf_counter()
        import_service._INDEXES.clear()
        service.imports.index()
        report["index_build_s"] = round(time.perf_counter() - start, 3)
        db.dispose()
        return report
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--titles", type=int, default=75_000)
    parser.add_argument("--rows", type=int, default=500)
    parser.add_argument("--database-url", default=None, help="default: SQLite in a temp folder")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--json", type=Path, default=None, help="also write the report here")
    args = parser.parse_args(argv)
    report = run(args.titles, args.rows, args.database_url, args.seed)
    text = json.dumps(report, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
