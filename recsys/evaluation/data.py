"""The evaluation's data: MovieLens read once, split by time, turned into model inputs.

MovieLens is read by the ingest's one reader (:func:`recsys.ingest.movielens.read_movielens_frames`,
a folder, zip or URL). Items are keyed ``ml<movieId>`` so the protocol runs on MovieLens
alone; IMDb features join through ``links.csv`` when an IMDb catalog is given.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from recsys.ingest.movielens import MovieLensFrames, aggregate_tags
from recsys.models.base import TrainingData, UserHistory

TEST_FRACTION = 0.2
RELEVANT_MIN = 4.0
LIKE_MIN = 4.0
DISLIKE_MAX = 2.0


def split_by_time(
    ratings: pd.DataFrame, test_fraction: float = TEST_FRACTION
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per user: sort by (timestamp, movieId); the last ``ceil(n * fraction)`` (>= 1) are test."""
    frame = ratings.sort_values(["userId", "timestamp", "movieId"], kind="stable")
    n = frame.groupby("userId")["movieId"].transform("size").to_numpy()
    pos = frame.groupby("userId").cumcount().to_numpy()
    # round() guards against 0.2 * 15 = 3.0000000000000004 rounding up to 4
    n_test = np.maximum(1, np.ceil(np.round(n * test_fraction, 9))).astype(np.int64)
    is_test = pos >= n - n_test
    return frame[~is_test].reset_index(drop=True), frame[is_test].reset_index(drop=True)


def sample_users(ml: MovieLensFrames, share: float, seed: int = 0) -> MovieLensFrames:
    """A seeded ``share`` of the MovieLens users, with all their ratings and tags.

    The smaller evaluation a tight memory budget asks for (issue 19): the models, EASE's
    ``n^2`` weights above all, shrink with the ratings. ``share >= 1`` is every user.
    """
    if share >= 1.0:
        return ml
    users = np.sort(ml.ratings["userId"].unique())
    keep = np.random.default_rng(seed).permutation(users)[: max(1, round(share * len(users)))]
    ratings = ml.ratings[ml.ratings["userId"].isin(keep)].reset_index(drop=True)
    tags = ml.tags
    if tags is not None:
        tags = tags[tags["userId"].isin(keep)].reset_index(drop=True)
    return replace(ml, ratings=ratings, tags=tags)


def item_key(movie_ids: Iterable[int]) -> list[str]:
    return [f"ml{m}" for m in movie_ids]


def build_catalog(
    movies: pd.DataFrame,
    train: pd.DataFrame,
    links: pd.DataFrame | None = None,
    imdb: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """A catalog frame of the training items (ids ``ml<movieId>``), features from MovieLens.

    ``imdb`` is an IMDb catalog frame (CATALOG_COLUMNS: the stored catalog, or one read from an
    IMDb folder); joined through ``links.csv`` it adds runtime, genres, directors, writers and
    top cast wherever it has them.
    """
    items = np.sort(train["movieId"].unique())
    stats = train.groupby("movieId")["rating"].agg(["mean", "size"])
    m = movies.set_index("movieId").reindex(items)
    genres = m["genres"].fillna("").str.replace("(no genres listed)", "", regex=False)
    year = movie_years(m)
    catalog = pd.DataFrame(
        {
            "tconst": item_key(items),
            "title_type": "movie",
            "primary_title": m["title"].to_numpy(),
            "start_year": year.astype("Int64").to_numpy(),
            "runtime_minutes": pd.array([pd.NA] * len(items), dtype="Int64"),
            "genres": genres.str.replace("|", ",", regex=False).replace("", pd.NA).to_numpy(),
            "average_rating": stats["mean"].reindex(items).to_numpy(),
            "num_votes": stats["size"].reindex(items).fillna(0).astype("int64").to_numpy(),
        }
    )
    if imdb is not None and links is not None:
        catalog = _join_imdb(catalog, items, links, imdb)
    for col in ("directors", "writers", "top_cast"):
        if col not in catalog.columns:
            catalog[col] = pd.array([pd.NA] * len(catalog), dtype="string")
    return catalog


def movie_years(movies: pd.DataFrame) -> pd.Series:
    """Release year from a movies.csv title ("Heat (1995)"); NaN where the title has none."""
    year = movies["title"].fillna("").str.extract(r"\((\d{4})\)\s*$")[0]
    return pd.to_numeric(year, errors="coerce")


def _join_imdb(
    catalog: pd.DataFrame, items: np.ndarray, links: pd.DataFrame, imdb: pd.DataFrame
) -> pd.DataFrame:
    """Add IMDb runtime, genres and people (where the IMDb catalog has them) via links.csv."""
    tt = links.set_index("movieId")["imdbId"].reindex(items).astype("string")
    tconst = ("tt" + tt.str.zfill(7)).to_numpy()
    b = imdb.drop_duplicates("tconst").set_index("tconst").reindex(tconst)
    runtime = pd.to_numeric(b["runtime_minutes"], errors="coerce").astype("Int64").to_numpy()
    catalog["runtime_minutes"] = runtime
    ml_genres = catalog["genres"].fillna("").str.split(",")
    imdb_genres = b["genres"].astype("string").fillna("").str.split(",").to_numpy()
    catalog["genres"] = [
        ",".join(sorted({g for g in a + list(i) if g})) or pd.NA
        for a, i in zip(ml_genres, imdb_genres, strict=True)
    ]
    for col in ("directors", "writers", "top_cast"):
        if col in b.columns:
            catalog[col] = b[col].astype("string").to_numpy()
    return catalog


def imdb_features(imdb: pd.DataFrame | str | Path | None, dest_dir: Path) -> pd.DataFrame | None:
    """An IMDb catalog frame from a frame (used as is) or a folder (read by the ingest code)."""
    if imdb is None or isinstance(imdb, pd.DataFrame):
        return imdb
    from recsys.ingest.imdb import read_imdb_catalog

    return read_imdb_catalog(str(imdb), dest_dir, min_votes=0).frame


def tags_before_test(tags: pd.DataFrame | None, train: pd.DataFrame) -> pd.DataFrame | None:
    """Tag counts per item, keeping only tags applied before the tagger's first test rating."""
    if tags is None or tags.empty:
        return None
    last_train = train.groupby("userId")["timestamp"].max()
    cutoff = tags["userId"].map(last_train)
    agg = aggregate_tags(tags[cutoff.isna() | (tags["timestamp"] <= cutoff)])
    return pd.DataFrame(
        {"tconst": item_key(agg["movieId"]), "tag": agg["tag"], "count": agg["count"]}
    )


def training_data(
    train: pd.DataFrame, catalog: pd.DataFrame, tags: pd.DataFrame | None
) -> TrainingData:
    ratings = pd.DataFrame(
        {
            "user_id": "ml:" + train["userId"].astype(str),
            "tconst": item_key(train["movieId"]),
            "rating": train["rating"].astype("float32"),
            "timestamp": train["timestamp"],
        }
    )
    return TrainingData(catalog=catalog, ratings=ratings, tags=tags)


def histories(train: pd.DataFrame) -> dict[int, UserHistory]:
    """Per user: likes/dislikes oldest first, all training ratings, and the known user key."""
    out = {}
    frame = train.sort_values(["userId", "timestamp", "movieId"], kind="stable")
    for uid, g in frame.groupby("userId", sort=True):
        keys = item_key(g["movieId"])
        r = g["rating"].to_numpy()
        out[int(uid)] = UserHistory(
            likes=tuple(k for k, x in zip(keys, r, strict=True) if x >= LIKE_MIN),
            dislikes=tuple(k for k, x in zip(keys, r, strict=True) if x <= DISLIKE_MAX),
            ratings=dict(zip(keys, r.astype(float), strict=True)),
            user_key=f"ml:{uid}",
        )
    return out


def relevant_sets(test: pd.DataFrame) -> dict[int, set[str]]:
    rel = test[test["rating"] >= RELEVANT_MIN]
    return {int(u): set(item_key(g["movieId"])) for u, g in rel.groupby("userId")}


@dataclass(frozen=True)
class Fold:
    """One train/test split ready to evaluate: model inputs, histories, relevant items."""

    train: pd.DataFrame
    test: pd.DataFrame
    data: TrainingData
    hist: dict[int, UserHistory]
    relevant: dict[int, set[str]]
    users: list[int]


def make_fold(
    train: pd.DataFrame,
    test: pd.DataFrame,
    ml: MovieLensFrames,
    imdb: pd.DataFrame | None = None,
) -> Fold:
    catalog = build_catalog(ml.movies, train, ml.links, imdb)
    data = training_data(train, catalog, tags_before_test(ml.tags, train))
    relevant = relevant_sets(test)
    hist = histories(train)
    users = sorted(u for u in relevant if u in hist)
    return Fold(train, test, data, hist, relevant, users)


@dataclass(frozen=True)
class Onboarded:
    """One held-out user as the app would see them after onboarding."""

    user: int
    history: UserHistory
    relevant: frozenset[str]  # every other rating >= 4 (the definition)
    next_relevant: frozenset[str] = frozenset()  # only those rated after onboarding
