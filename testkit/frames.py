"""Tiny hand-written training frames: 24 titles, two taste groups, a few tags and app likes.

What the model, engine and explanation tests fit on (small enough to check by hand): titles
``tt0000000``..``tt0000023`` (16 movies, then series and mini-series), 12 MovieLens users of whom
the even ones like the low ids and the odd ones the high ids.
"""

from __future__ import annotations

import pandas as pd

GENRES = ["Drama", "Comedy", "Action", "Horror"]


def make_catalog() -> pd.DataFrame:
    rows = []
    for i in range(24):
        ttype = "movie" if i < 16 else ("tvSeries" if i < 21 else "tvMiniSeries")
        rows.append(
            {
                "tconst": f"tt{i:07d}",
                "title_type": ttype,
                "primary_title": f"Title {i}",
                "start_year": 1980 + i,
                "runtime_minutes": 90 + i,
                "genres": f"{GENRES[i % 4]},{GENRES[(i // 4) % 4]}",
                "average_rating": 5.0 + (i % 5),
                "num_votes": 1000 * (i + 1),
                "directors": f"Dir {i % 6}",
                "writers": f"Wri {i % 5}",
                "top_cast": f"Cast {i % 7}|Cast {(i + 1) % 7}",
            }
        )
    catalog = pd.DataFrame(rows)
    for col in ("start_year", "runtime_minutes"):
        catalog[col] = catalog[col].astype("Int64")
    return catalog


def make_ratings() -> pd.DataFrame:
    """Two taste groups over the 16 movies: even users like low ids, odd users high ids."""
    rows = []
    for u in range(1, 13):
        for j in range(16):
            if (u + j) % 3 == 0:
                continue
            likes = j < 8 if u % 2 == 0 else j >= 8
            rating = 4.5 if likes else 2.0
            rows.append((u, f"tt{j:07d}", rating + 0.5 * ((u + j) % 2) - 0.25, 1000 * u + j))
    return pd.DataFrame(rows, columns=["user_id", "tconst", "rating", "timestamp"]).astype(
        {"rating": "float32"}
    )


def make_tags() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "tconst": ["tt0000001", "tt0000002", "tt0000017"],
            "tag": ["twist"] * 3,
            "count": [3, 1, 2],
        }
    )


def make_interactions() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "user_id": ["app:1", "app:1", "app:2"],
            "tconst": ["tt0000001", "tt0000003", "tt0000009"],
            "liked": [True, False, True],
            "updated_at": pd.to_datetime(["2025-01-01", "2025-01-02", "2025-01-03"], utc=True),
        }
    )


def training_inputs() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """``(catalog, ratings, tags, interactions)``, the arguments of ``Engine.fit``."""
    return make_catalog(), make_ratings(), make_tags(), make_interactions()
