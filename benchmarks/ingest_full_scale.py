"""Full-scale ingestion benchmark on a synthetic IMDb dump of real size and shape.

Generates (once; cached in ``--dir``) ``title.basics`` (12.8M rows at scale 1), ``title.ratings``
(about 1.7M, heavy-tailed vote counts tuned so that about 75,000 titles pass ``min_votes=1000``),
``title.crew`` (one row per title), ``title.principals`` (about 90M rows) and ``name.basics``
(14M rows), gzip-compressed like the real download. Text is built column-wise with numpy and
pyarrow compute, so generating takes a few minutes at scale 1 and is not measured.

Then it measures, each in a fresh subprocess (wall time and peak RSS from ``os.wait4``):

* ``basics_ratings``: :func:`recsys.ingest.imdb.read_imdb_catalog` without crew/cast/names;
* ``everything``: the same with crew, principals and name.basics;
* ``pipeline``: ``recsys.ingest.pipeline.run_ingest`` into SQLite (with ml-latest-small from
  ``../shared/data`` when present), when that function exists.

Usage::

    .venv/bin/python benchmarks/ingest_full_scale.py [--scale 0.1] [--dir DIR] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import zlib
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from testkit.layout import IMDB_GENRES as GENRES  # noqa: E402

FULL = {"titles": 12_800_000, "names": 14_000_000, "principals_per_title": 7.0}
CHUNK_TITLES = 400_000
NULL = "\\N"

# Title types and shares, roughly as in the real title.basics (2025).
TYPES = {
    "tvEpisode": 0.700,
    "short": 0.080,
    "movie": 0.055,
    "video": 0.026,
    "tvSeries": 0.022,
    "tvMovie": 0.012,
    "tvMiniSeries": 0.0047,
    "tvSpecial": 0.004,
    "videoGame": 0.003,
    "tvShort": 0.002,
    "tvPilot": 0.0001,
}
# Share of each type that has a title.ratings row, and the log-mean of its vote count.
RATED = {"movie": 0.47, "tvSeries": 0.40, "tvMiniSeries": 0.40, "tvEpisode": 0.10}
RATED_OTHER = 0.11
VOTES_MU = {"movie": 4.95, "tvSeries": 4.95, "tvMiniSeries": 4.95}
VOTES_MU_OTHER = 3.0
VOTES_SIGMA = 1.9
WORDS = [
    "The",
    "A",
    "Night",
    "Day",
    "Love",
    "War",
    "Man",
    "Woman",
    "Last",
    "First",
    "Dark",
    "Light",
    "City",
    "Home",
    "Road",
    "Story",
    "Secret",
    "Life",
    "Death",
    "King",
    "Queen",
    "Girl",
    "Boy",
    "House",
    "Blood",
    "Fire",
    "Water",
    "Moon",
    "Sun",
    "Star",
    "Dream",
    "Time",
    "World",
    "Return",
    "Rise",
    "Fall",
    "Lost",
    "Found",
    "Wild",
    "Silent",
    "Red",
    "Blue",
    "Black",
    "White",
    "Golden",
    "Little",
    "Big",
    "Old",
    "New",
    "Amélie",
    "Ça",
    "Über",
    "Ōkami",
    "東京",
    "Señor",
    "Zoë",
    "It's",
    "Don't",
    '"Weird"',
    "O'Brien",
    '"Al"',
    "#1",
    "2:",
    "-",
    "&",
    "of",
    "in",
    "on",
    "at",
    "and",
    "for",
    "with",
]
FIRST = [
    "John",
    "Mary",
    "James",
    "Anna",
    "Robert",
    "Maria",
    "Michael",
    "Laura",
    "David",
    "Sophie",
    "Jean",
    "Hiro",
    "Ana",
    "Lars",
    "Olu",
]
LAST = [
    "Smith",
    "García",
    "Müller",
    "Rossi",
    "Tanaka",
    "Kim",
    "O'Neil",
    "Dubois",
    "Silva",
    "Kowalski",
    "Nguyen",
    "Ivanov",
]
CATEGORIES = {
    "actor": 0.30,
    "actress": 0.20,
    "self": 0.15,
    "director": 0.08,
    "writer": 0.08,
    "producer": 0.08,
    "composer": 0.03,
    "cinematographer": 0.03,
    "editor": 0.03,
    "archive_footage": 0.01,
    "production_designer": 0.01,
}
HEADERS = {
    "title.basics": "tconst\ttitleType\tprimaryTitle\toriginalTitle\tisAdult\tstartYear\t"
    "endYear\truntimeMinutes\tgenres",
    "title.ratings": "tconst\taverageRating\tnumVotes",
    "title.crew": "tconst\tdirectors\twriters",
    "title.principals": "tconst\tordering\tnconst\tcategory\tjob\tcharacters",
    "name.basics": "nconst\tprimaryName\tbirthYear\tdeathYear\tprimaryProfession\tknownForTitles",
}


# --------------------------------------------------------------------------- text building
def _ids(prefix: str, numbers: np.ndarray) -> pa.Array:
    digits = pc.utf8_lpad(pc.cast(pa.array(numbers), pa.string()), 7, "0")
    return pc.binary_join_element_wise(prefix, digits, "")


def _num(values: np.ndarray) -> pa.Array:
    return pc.cast(pa.array(values), pa.string())


def _pick(vocab: list[str] | tuple[str, ...], idx: np.ndarray) -> pa.Array:
    return pa.array(vocab, pa.string()).take(pa.array(idx))


def _or_null(mask: np.ndarray, values: pa.Array) -> pa.Array:
    return pc.if_else(pa.array(mask), NULL, values)


def _lines(*columns: pa.Array) -> bytes:
    """Tab-join columns and end each row with a newline; returns the raw text bytes."""
    rows = pc.binary_join_element_wise(*columns, "\t")
    rows = pc.binary_join_element_wise(rows, "", "\n")
    rows = rows.combine_chunks() if isinstance(rows, pa.ChunkedArray) else rows
    offsets = np.frombuffer(rows.buffers()[1], dtype=np.int32)
    start, end = offsets[rows.offset], offsets[rows.offset + len(rows)]
    return rows.buffers()[2].to_pybytes()[start:end]


class _GzipWriter:
    """Large buffered writes through one zlib stream (level 1: generation speed matters)."""

    def __init__(self, path: Path, header: str) -> None:
        self._fh = open(path, "wb")  # noqa: SIM115
        self._z = zlib.compressobj(1, zlib.DEFLATED, 31)
        self.write((header + "\n").encode())

    def write(self, data: bytes) -> None:
        self._fh.write(self._z.compress(data))

    def close(self) -> None:
        self._fh.write(self._z.flush())
        self._fh.close()


# --------------------------------------------------------------------------- generators
def _chunk_ids(seed: int, chunk: int, n: int, start: int) -> np.ndarray:
    rng = np.random.default_rng([seed, chunk, 1])
    return start + np.cumsum(rng.integers(1, 3, size=n))


def _chunks(n_titles: int):
    start = 0
    for chunk, lo in enumerate(range(0, n_titles, CHUNK_TITLES)):
        n = min(CHUNK_TITLES, n_titles - lo)
        ids = _chunk_ids(0, chunk, n, start)
        start = int(ids[-1])
        yield chunk, ids


def gen_titles(out: Path, n_titles: int, n_names: int) -> dict:
    """title.basics, title.ratings and title.crew (they share each title's type)."""
    types = list(TYPES)
    probs = np.array(list(TYPES.values()))
    probs /= probs.sum()
    combos_rng = np.random.default_rng(7)
    combos = sorted(
        {
            ",".join(sorted(combos_rng.choice(GENRES, size=k, replace=False)))
            for k in combos_rng.integers(1, 4, size=600)
        }
    )
    basics = _GzipWriter(out / "title.basics.tsv.gz", HEADERS["title.basics"])
    ratings = _GzipWriter(out / "title.ratings.tsv.gz", HEADERS["title.ratings"])
    crew = _GzipWriter(out / "title.crew.tsv.gz", HEADERS["title.crew"])
    counts = {"basics": 0, "ratings": 0, "would_keep_1000": 0}
    for chunk, ids in _chunks(n_titles):
        rng = np.random.default_rng([1, chunk])
        n = len(ids)
        t = rng.choice(len(types), size=n, p=probs)
        type_names = np.array(types)[t]
        tconst = _ids("tt", ids)
        words = len(WORDS)
        title = pc.binary_join_element_wise(
            _pick(WORDS, rng.integers(0, words, n)),
            _pick(WORDS, rng.integers(0, words, n)),
            _num(rng.integers(1, 999, n)),
            " ",
        )
        original = pc.if_else(pa.array(rng.random(n) < 0.8), title, _pick(WORDS, t))
        adult = (rng.random(n) < 0.02).astype(np.int8)
        year = rng.integers(1890, 2027, n)
        series = np.isin(type_names, ["tvSeries", "tvMiniSeries"])
        end_year = np.minimum(year + rng.integers(0, 15, n), 2026)
        basics.write(
            _lines(
                tconst,
                _pick(types, t),
                title,
                original,
                _num(adult),
                _or_null(rng.random(n) < 0.06, _num(year)),
                _or_null(~series | (rng.random(n) < 0.4), _num(end_year)),
                _or_null(rng.random(n) < 0.55, _num(rng.integers(1, 240, n))),
                _or_null(rng.random(n) < 0.08, _pick(combos, rng.integers(0, len(combos), n))),
            )
        )
        # ratings: a per-type share of titles, log-normal votes (heavy tail)
        share = np.array([RATED.get(x, RATED_OTHER) for x in types])[t]
        mu = np.array([VOTES_MU.get(x, VOTES_MU_OTHER) for x in types])[t]
        rated = rng.random(n) < share
        votes = np.maximum(5, np.exp(rng.normal(mu, VOTES_SIGMA))).astype(np.int64)
        tenths = rng.integers(10, 101, n)
        r = np.flatnonzero(rated)
        ratings.write(
            _lines(
                tconst.take(pa.array(r)),
                pc.binary_join_element_wise(_num(tenths[r] // 10), _num(tenths[r] % 10), "."),
                _num(votes[r]),
            )
        )
        kept_type = np.isin(type_names, ["movie", "tvSeries", "tvMiniSeries"])
        counts["would_keep_1000"] += int((rated & kept_type & (adult == 0) & (votes >= 1000)).sum())
        counts["basics"] += n
        counts["ratings"] += len(r)

        d1, d2, w1, w2, w3 = (_ids("nm", rng.integers(1, n_names + 1, size=n)) for _ in range(5))
        u, v = rng.random(n), rng.random(n)
        directors = pc.if_else(pa.array(u < 0.85), d1, pc.binary_join_element_wise(d1, d2, ","))
        writers = pc.if_else(
            pa.array(v < 0.5),
            w1,
            pc.if_else(
                pa.array(v < 0.8),
                pc.binary_join_element_wise(w1, w2, ","),
                pc.binary_join_element_wise(w1, w2, w3, ","),
            ),
        )
        crew.write(
            _lines(
                tconst,
                _or_null(rng.random(n) < 0.15, directors),
                _or_null(rng.random(n) < 0.35, writers),
            )
        )
    for w in (basics, ratings, crew):
        w.close()
    return counts


def gen_principals(out: Path, n_titles: int, n_names: int, per_title: float) -> dict:
    """title.principals: 1..(2*per_title-1) rows per title, ordering 1..k, mixed categories."""
    cats = list(CATEGORIES)
    probs = np.array(list(CATEGORIES.values()))
    probs /= probs.sum()
    characters = ['["Self"]', '["Himself"]', '["Herself"]', '["Narrator"]'] + [
        f'["Character {i}"]' for i in range(60)
    ]
    writer = _GzipWriter(out / "title.principals.tsv.gz", HEADERS["title.principals"])
    rows = 0
    hi = max(2, round(2 * per_title - 1))
    for chunk, ids in _chunks(n_titles):
        rng = np.random.default_rng([2, chunk])
        k = rng.integers(1, hi + 1, size=len(ids))
        m = int(k.sum())
        title_idx = np.repeat(np.arange(len(ids)), k)
        first = np.repeat(np.cumsum(k) - k, k)
        ordering = np.arange(m) - first + 1
        c = rng.choice(len(cats), size=m, p=probs)
        cast = c < 3
        writer.write(
            _lines(
                _ids("tt", ids[title_idx]),
                _num(ordering),
                _ids("nm", rng.integers(1, n_names + 1, size=m)),
                _pick(cats, c),
                _or_null(cast | (rng.random(m) < 0.6), _pick(cats, c)),
                _or_null(~cast, _pick(characters, rng.integers(0, len(characters), m))),
            )
        )
        rows += m
    writer.close()
    return {"principals": rows}


def gen_names(out: Path, n_names: int, n_titles: int) -> dict:
    writer = _GzipWriter(out / "name.basics.tsv.gz", HEADERS["name.basics"])
    professions = ["actor", "actress", "director,writer", "producer", "self", "writer,actor"]
    step = 1_000_000
    max_tconst = 2 * n_titles
    for chunk, lo in enumerate(range(0, n_names, step)):
        n = min(step, n_names - lo)
        rng = np.random.default_rng([3, chunk])
        name = pc.binary_join_element_wise(
            _pick(FIRST, rng.integers(0, len(FIRST), n)),
            _pick(LAST, rng.integers(0, len(LAST), n)),
            " ",
        )
        birth = rng.integers(1850, 2010, n)
        writer.write(
            _lines(
                _ids("nm", np.arange(lo + 1, lo + n + 1)),
                name,
                _or_null(rng.random(n) < 0.8, _num(birth)),
                _or_null(rng.random(n) < 0.95, _num(birth + rng.integers(20, 100, n))),
                _pick(professions, rng.integers(0, len(professions), n)),
                pc.binary_join_element_wise(
                    _ids("tt", rng.integers(1, max_tconst, n)),
                    _ids("tt", rng.integers(1, max_tconst, n)),
                    ",",
                ),
            )
        )
    writer.close()
    return {"names": n_names}


def generate(out: Path, scale: float, *, workers: int = 2) -> dict:
    """Write the synthetic dump into ``out`` unless a complete one for ``scale`` is there."""
    out.mkdir(parents=True, exist_ok=True)
    marker = out / "generated.json"
    if marker.exists():
        meta = json.loads(marker.read_text())
        if meta.get("scale") == scale:
            return meta
    n_titles = int(FULL["titles"] * scale)
    n_names = int(FULL["names"] * scale)
    per_title = FULL["principals_per_title"]
    tasks = [
        (gen_principals, (out, n_titles, n_names, per_title)),
        (gen_titles, (out, n_titles, n_names)),
        (gen_names, (out, n_names, n_titles)),
    ]
    started = time.perf_counter()
    counts: dict = {}
    if workers > 1:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            for job in [pool.submit(fn, *args) for fn, args in tasks]:
                counts.update(job.result())
    else:
        for fn, args in tasks:
            counts.update(fn(*args))
    meta = {
        "scale": scale,
        "rows": counts,
        "seconds": round(time.perf_counter() - started, 1),
        "bytes": {p.name: p.stat().st_size for p in sorted(out.glob("*.tsv.gz"))},
    }
    marker.write_text(json.dumps(meta, indent=2))
    return meta


# --------------------------------------------------------------------------- measuring
CHILD = r"""
import json, resource, sys, tempfile, time
from pathlib import Path
mode, src, min_votes, movielens = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
t0 = time.perf_counter()
if mode == "pipeline":
    from recsys.config import Settings
    from recsys.ingest.pipeline import run_ingest
    from recsys.store.db import Database
    data = Path(tempfile.mkdtemp(prefix="marquee-bench-"))
    settings = Settings(
        data_dir=data, imdb_source=src, movielens_source=movielens, min_votes=min_votes
    )
    db = Database.from_settings(settings)
    report = run_ingest(settings, db)
    summary = report.summary
    out = {
        "titles": sum(summary["titles"].values()),
        "by_type": summary["titles"],
        "training_ratings": summary.get("training_ratings"),
        "database_mb": round((data / "marquee.db").stat().st_size / 1e6, 1),
    }
else:
    from recsys.ingest.imdb import read_imdb_catalog
    r = read_imdb_catalog(
        src, Path(src), min_votes=min_votes, include_people=(mode == "everything")
    )
    frame = r.frame
    out = {
        "titles": len(frame),
        "by_type": frame["title_type"].value_counts().to_dict(),
        "with_cast": int(frame["top_cast"].notna().sum()),
        "with_directors": int(frame["directors"].notna().sum()),
        "stats": r.stats,
    }
out["seconds_in_process"] = time.perf_counter() - t0
out["ru_maxrss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(out, default=float))
"""
MOVIELENS_SAMPLE = ROOT.parent / "shared" / "data" / "movielens-small"


def _movielens_source(out: Path) -> str:
    """The real ml-latest-small when it is next to the repo, else a tiny stand-in folder."""
    if (MOVIELENS_SAMPLE / "ratings.csv").is_file():
        return str(MOVIELENS_SAMPLE)
    folder = out / "movielens"
    folder.mkdir(exist_ok=True)
    (folder / "ratings.csv").write_text("userId,movieId,rating,timestamp\n1,1,4.0,1\n")
    (folder / "links.csv").write_text("movieId,imdbId,tmdbId\n1,0000001,\n")
    (folder / "movies.csv").write_text("movieId,title,genres\n1,A (2000),Drama\n")
    (folder / "tags.csv").write_text("userId,movieId,tag,timestamp\n")
    return str(folder)


def measure(mode: str, src: Path, min_votes: int, movielens: str = "") -> dict:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, mode, str(src), str(min_votes), movielens],
        stdout=subprocess.PIPE,
        env=env,
        cwd=ROOT,
    )
    stdout = proc.stdout.read() if proc.stdout else b""
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        return {"mode": mode, "error": f"exit {proc.returncode}"}
    result = json.loads(stdout.decode().strip().splitlines()[-1])
    result.update(mode=mode, wall_seconds=round(wall, 2), peak_rss_mb=round(usage.ru_maxrss / 1024))
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1.0 = real IMDb size")
    parser.add_argument("--dir", type=Path, default=None, help="where the dump is cached")
    parser.add_argument("--min-votes", type=int, default=1000)
    parser.add_argument("--json", type=Path, default=ROOT / "benchmarks/output/ingest.json")
    parser.add_argument("--generate-only", action="store_true")
    args = parser.parse_args(argv)

    out = args.dir or Path(tempfile.gettempdir()) / f"marquee-imdb-synthetic-{args.scale:g}"
    print(f"dump: {out}", file=sys.stderr)
    meta = generate(out, args.scale)
    print(f"generated: {json.dumps(meta)}", file=sys.stderr)
    if args.generate_only:
        return 0
    results = {"dump": meta, "min_votes": args.min_votes, "cpus": os.cpu_count(), "runs": []}
    modes = ["basics_ratings", "everything"]
    if _has_pipeline():
        modes.append("pipeline")
    for mode in modes:
        run = measure(mode, out, args.min_votes, _movielens_source(out))
        results["runs"].append(run)
        print(
            f"{mode:15s} wall {run.get('wall_seconds')} s, peak RSS {run.get('peak_rss_mb')} MB,"
            f" titles {run.get('titles')}",
            file=sys.stderr,
        )
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2, default=float))
    print(json.dumps(results, indent=2, default=float))
    return 0


def _has_pipeline() -> bool:
    """True once ``recsys.ingest.pipeline.run_ingest`` (the full ingest into the database)
    exists."""
    try:
        from recsys.ingest.pipeline import run_ingest  # noqa: F401
    except ImportError:
        return False
    return True


if __name__ == "__main__":
    raise SystemExit(main())
