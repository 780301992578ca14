"""Home's engine work with the steering on, 75,000 titles: two sections of 10 with every
filter and every dial on, and with "Only what I can stream" on top (availability cached);
and ``/rank``'s engine work for a 500-title list (ordered, the top titles explained).

The catalog and users are ``benchmarks/recommend_latency.py``'s (ml-latest-small padded to
75,000 titles). Availability comes from an in-memory TMDb cache holding every title's TMDb id
and offers (half the titles stream on the user's two services), as after the background
lookups: what a warm Home costs. Wall and CPU time per request (``process_time``).

    .venv/bin/python benchmarks/steer_latency.py [--movielens DIR] [--users 200]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.recommend_latency import FILTERS, build_inputs, parse_args
from recsys.config import Settings
from recsys.lifecycle.engine import Engine, dialled_sections, rank_titles
from recsys.models.base import UserHistory
from recsys.models.dials import Dials
from recsys.services.ranking import EXPLAINED
from recsys.tmdb.client import MemoryArtCache, TitleArt, TmdbClient
from recsys.tmdb.streaming import MyServices, StreamingCatalog, keep_streamable
from recsys.tmdb.watch import ProviderOffer, WatchProviders

DIALS = Dials(popularity=2, recency=1, adventure=-1)
SECTIONS = ("movie", "tv")
K = 10


def _cached_client(tconsts: list[str]) -> TmdbClient:
    """A TMDb client whose cache knows every title (ids and offers): no request goes out."""
    cache = MemoryArtCache(max_entries=3 * len(tconsts) + 10)
    for i, t in enumerate(tconsts):
        cache.put(t, TitleArt(t, found=True, tmdb_id=i + 1, media_type="movie"), 3600)
        offers = (ProviderOffer(8 if i % 2 else 99, "S", None, "flatrate"),)
        cache.put_json(f"w:m{i + 1}:GB", WatchProviders("GB", stream=offers).to_json(), 3600)
    return TmdbClient(Settings(tmdb_api_key="bench"), cache)


def _p(times: list[float]) -> str:
    p50, p95 = np.percentile(times, [50, 95])
    return f"p50 {p50:.1f} ms, p95 {p95:.1f} ms"


def main() -> int:
    args = parse_args(users=200)
    catalog, ratings, tags, inter = build_inputs(Path(args.movielens), args.titles)
    engine = Engine().fit(catalog, ratings, tags, inter)
    client = _cached_client(catalog["tconst"].astype(str).tolist())
    streaming = StreamingCatalog(client)
    services = MyServices("GB", (8, 9), only=True)
    rng = np.random.default_rng(1)
    rated = ratings["tconst"].unique()

    def user() -> UserHistory:
        likes = tuple(rng.choice(rated, rng.integers(5, 40), replace=False))
        return UserHistory(likes=likes, favorite_genres=("Drama",))

    def streamable(history: UserHistory) -> dict[str, list]:  # type: ignore[type-arg]
        deep = dialled_sections(engine, history, SECTIONS, K * 5, (), FILTERS, DIALS, depth=K * 5)
        found = streaming.availability([r.tconst for v in deep.values() for r in v], services)
        return {s: keep_streamable(v, found, K) for s, v in deep.items()}

    runs = {
        "two sections, 10 each (the model's lists)": lambda h: engine.recommend_sections(
            h, SECTIONS, K
        ),
        "all four filters and all three dials": lambda h: dialled_sections(
            engine, h, SECTIONS, K, (), FILTERS, DIALS
        ),
        "filters, dials and only what I can stream": streamable,
    }
    rank_times = []
    every = catalog["tconst"].astype(str).to_numpy()
    for _ in range(20):  # /rank: a 500-title list, ordered, the top 20 explained
        history, listed = user(), rng.choice(every, 500, replace=False).tolist()
        w0 = time.perf_counter()
        ranked = rank_titles(engine, history, listed)
        for r in ranked[:EXPLAINED]:
            engine.explain(history, r.tconst)
        rank_times.append((time.perf_counter() - w0) * 1000)
        assert len(ranked) == 500
    print(f"/rank of a 500-title list (order + {EXPLAINED} explanations): wall {_p(rank_times)}")
    for label, run in runs.items():
        wall, cpu = [], []
        for _ in range(args.users):
            history = user()
            w0, c0 = time.perf_counter(), time.process_time()
            out = run(history)
            wall.append((time.perf_counter() - w0) * 1000)
            cpu.append((time.process_time() - c0) * 1000)
            assert all(len(v) == K for v in out.values()), {k: len(v) for k, v in out.items()}
        print(f"{label}: wall {_p(wall)}; CPU {_p(cpu)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
