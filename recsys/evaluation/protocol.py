"""Offline evaluation: one fixed protocol, so numbers compare across runs and systems.

Protocol (see issue 3):

* per user, ratings sorted by time (ties by movieId); the last 20% (rounded up, at least one)
  are the test set, the rest training. Models see the training set only;
* relevant = test ratings >= 4.0; users with at least one relevant test item are evaluated;
* candidates = every training item the user did not rate in training; full ranking;
* the content profile uses the user's last 15 training ratings >= 4.0 as likes, <= 2.0 as
  dislikes;
* metrics at 10 and 20 (precision, recall, NDCG, hit rate, MAP), coverage, novelty, intra-list
  diversity; SVD RMSE/MAE on the test ratings; fit time and ms per user.

Hyper-parameters (EASE's L2, the weight ``beta`` of the sequential signal inside the
collaborative part, the hybrid's w1/w2) are tuned on a validation split carved from the training
set with the same rule, never on the test split. The sequential model's structural parameters
(window, direction, normalisation, recency) are its defaults, chosen by an offline sweep on the
same validation split (README).
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from recsys import metrics
from recsys.models.base import Recommender, TrainingData, UserHistory, split_genres, top_k
from recsys.models.blend import CollaborativeBlend
from recsys.models.collaborative import SVDRecommender
from recsys.models.content import ContentRecommender
from recsys.models.ease import EASERecommender
from recsys.models.hybrid import HybridRecommender
from recsys.models.popularity import PopularityRecommender
from recsys.models.sequential import SequentialRecommender

TEST_FRACTION = 0.2
RELEVANT_MIN = 4.0
LIKE_MIN = 4.0
DISLIKE_MAX = 2.0
PROFILE_LIKES = 15
KS = (10, 20)
#: Nested validation folds: the last 20% of training, then the last 20% of what remains.
VALIDATION_FOLDS = 2
L2_GRID = (100.0, 200.0, 400.0, 800.0)
BETA_GRID = (0.2, 0.3, 0.35, 0.4, 0.5, 0.75)
#: w1 candidates for the defaults: fine near 0 (content as a tie-breaker) plus the 0.1 grid; both
#: parts must take part, so 0 and 1 are reported in the sweep but not chosen.
W1_GRID = (0.01, 0.02, 0.03, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)


@dataclass(frozen=True)
class MovieLensData:
    ratings: pd.DataFrame  # userId, movieId, rating, timestamp
    movies: pd.DataFrame  # movieId, title, genres
    tags: pd.DataFrame | None = None  # userId, movieId, tag, timestamp
    links: pd.DataFrame | None = None  # movieId, imdbId, tmdbId


def load_movielens(src: str | Path) -> MovieLensData:
    """Read an ml-latest layout folder (ratings.csv and movies.csv required)."""
    root = Path(src)
    ratings = pd.read_csv(
        root / "ratings.csv",
        dtype={"userId": "int64", "movieId": "int64", "rating": "float64", "timestamp": "int64"},
    )
    movies = pd.read_csv(
        root / "movies.csv", dtype={"movieId": "int64", "title": str, "genres": str}
    )
    tags = links = None
    if (root / "tags.csv").exists():
        tags = pd.read_csv(
            root / "tags.csv",
            dtype={"userId": "int64", "movieId": "int64", "tag": str, "timestamp": "int64"},
        )
    if (root / "links.csv").exists():
        links = pd.read_csv(root / "links.csv", dtype={"movieId": "int64", "imdbId": str})
    return MovieLensData(ratings, movies, tags, links)


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
    year = m["title"].fillna("").str.extract(r"\((\d{4})\)\s*$")[0]
    catalog = pd.DataFrame(
        {
            "tconst": item_key(items),
            "title_type": "movie",
            "primary_title": m["title"].to_numpy(),
            "start_year": pd.to_numeric(year, errors="coerce").astype("Int64").to_numpy(),
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


def aggregate_tags(tags: pd.DataFrame | None, train: pd.DataFrame) -> pd.DataFrame | None:
    """Tag counts per item, keeping only tags applied before the tagger's first test rating."""
    if tags is None or tags.empty:
        return None
    last_train = train.groupby("userId")["timestamp"].max()
    cutoff = tags["userId"].map(last_train)
    keep = tags[cutoff.isna() | (tags["timestamp"] <= cutoff)]
    keep = keep.assign(tag=keep["tag"].astype(str).str.strip().str.lower())
    agg = keep.groupby(["movieId", "tag"]).size().reset_index(name="count")
    return pd.DataFrame(
        {"tconst": item_key(agg["movieId"]), "tag": agg["tag"], "count": agg["count"]}
    )


def training_data(train: pd.DataFrame, catalog: pd.DataFrame, tags) -> TrainingData:
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


# ---------------------------------------------------------------------------- scoring loops
Scorer = Callable[[UserHistory, np.ndarray], np.ndarray]


def model_scorer(model: Recommender) -> Scorer:
    if isinstance(model, HybridRecommender):
        return lambda h, mask: model.fuse(h, mask).final
    return lambda h, mask: model.score(h)


def rank_users(
    model: Recommender, scorer: Scorer, hist: dict[int, UserHistory], users: list[int], k: int
) -> tuple[dict[int, list[str]], float]:
    """Top-k lists for each user and the mean milliseconds per user."""
    lists = {}
    start = time.perf_counter()
    for u in users:
        mask = model.candidate_mask(hist[u])
        top = top_k(scorer(hist[u], mask), mask, k)
        lists[u] = [str(model.items_[i]) for i in top]
    ms = (time.perf_counter() - start) * 1000 / max(len(users), 1)
    return lists, ms


def ranking_metrics(
    lists: dict[int, list[str]],
    relevant: dict[int, set[str]],
    context: dict,
    ks: Iterable[int] = KS,
) -> dict[str, float]:
    out: dict[str, float] = {}
    users = list(lists)
    for k in ks:
        for name, fn in (
            ("precision", metrics.precision_at_k),
            ("recall", metrics.recall_at_k),
            ("ndcg", metrics.ndcg_at_k),
            ("hit", metrics.hit_at_k),
            ("map", metrics.average_precision_at_k),
        ):
            out[f"{name}@{k}"] = float(np.mean([fn(lists[u], relevant[u], k) for u in users]))
    k0 = min(ks)
    out["coverage"] = metrics.coverage(list(lists.values()), context["n_items"], k0)
    out["novelty"] = float(
        np.mean([metrics.novelty(lists[u], context["user_share"], k0) for u in users])
    )
    out["diversity"] = float(
        np.mean([metrics.intra_list_diversity(lists[u], context["genres"], k0) for u in users])
    )
    return out


def sweep_hybrid(
    hybrid: HybridRecommender,
    hist: dict[int, UserHistory],
    relevant: dict[int, set[str]],
    users: list[int],
    step: float = 0.1,
    k: int = 10,
    grid: Iterable[float] | None = None,
) -> list[dict[str, float]]:
    """NDCG@k for ``w1`` in 0..1 (``w2 = 1 - w1``), reusing each user's two ranked lists."""
    if grid is None:
        grid = [round(i * step, 10) for i in range(round(1 / step) + 1)]
    grid = list(grid)
    totals = np.zeros(len(grid))
    for u in users:
        mask = hybrid.candidate_mask(hist[u])
        fused = hybrid.fuse(hist[u], mask)
        listed = (fused.rank["content"] > 0) | (fused.rank["collaborative"] > 0)
        for gi, w1 in enumerate(grid):
            final = w1 * fused.rank_score["content"] + (1 - w1) * fused.rank_score["collaborative"]
            final[~listed] = np.nan
            top = top_k(final, mask, k)
            totals[gi] += metrics.ndcg_at_k([hybrid.items_[i] for i in top], relevant[u], k)
    return [
        {"w1": w1, "w2": round(1 - w1, 10), f"ndcg@{k}": float(t / max(len(users), 1))}
        for w1, t in zip(grid, totals, strict=True)
    ]


# ---------------------------------------------------------------------------- the protocol
@dataclass
class Fold:
    train: pd.DataFrame
    test: pd.DataFrame
    data: TrainingData
    hist: dict[int, UserHistory]
    relevant: dict[int, set[str]]
    users: list[int]


def make_fold(train, test, ml: MovieLensData, imdb: pd.DataFrame | None = None) -> Fold:
    catalog = build_catalog(ml.movies, train, ml.links, imdb)
    data = training_data(train, catalog, aggregate_tags(ml.tags, train))
    relevant = relevant_sets(test)
    hist = histories(train)
    users = sorted(u for u in relevant if u in hist)
    return Fold(train, test, data, hist, relevant, users)


def timed_fit(model: Recommender, data: TrainingData) -> float:
    start = time.perf_counter()
    model.fit(data)
    return time.perf_counter() - start


def mean_ndcg(lists: dict[int, list[str]], relevant: dict[int, set[str]], k: int = 10) -> float:
    return float(np.mean([metrics.ndcg_at_k(lists[u], relevant[u], k) for u in lists]))


def _tune_fold(fold: Fold, log: Callable[[str], None]) -> tuple[dict, dict]:
    """Validation NDCG@10 of every (l2, beta) and of the hybrid sweep per (l2, beta, w1)."""
    content = ContentRecommender(n_likes=PROFILE_LIKES).fit(fold.data)
    sequential = SequentialRecommender().fit(fold.data)
    masks = {u: sequential.candidate_mask(fold.hist[u]) for u in fold.users}
    seq_scores = {u: sequential.score(fold.hist[u]) for u in fold.users}

    def ndcg_of(score_fn) -> float:
        lists = {}
        for u in fold.users:
            top = top_k(score_fn(u), masks[u], 10)
            lists[u] = [str(sequential.items_[i]) for i in top]
        return mean_ndcg(lists, fold.relevant)

    log(f"  validation sequential alone: ndcg@10={ndcg_of(seq_scores.get):.4f}")
    collab_ndcg, parts = {}, {}
    for l2 in L2_GRID:
        ease = EASERecommender(l2=l2).fit(fold.data)
        blend = CollaborativeBlend(ease, sequential, refit_parts=False).fit(fold.data)
        ease_scores = {u: ease.score(fold.hist[u]) for u in fold.users}
        log(f"  validation ease l2={l2:g}: ndcg@10={ndcg_of(ease_scores.get):.4f}")
        for beta in BETA_GRID:
            blend.beta = beta
            ndcg = ndcg_of(lambda u, b=blend, e=ease_scores: b.combine(e[u], seq_scores[u]))
            log(f"  validation collaborative l2={l2:g} beta={beta:g}: ndcg@10={ndcg:.4f}")
            collab_ndcg[(l2, beta)] = ndcg
        parts[l2] = ease
    return collab_ndcg, {"content": content, "sequential": sequential, "ease": parts}


def tune(folds: Fold | list[Fold], log: Callable[[str], None]) -> dict:
    """Choose EASE's L2, the sequential weight beta and the hybrid weights on validation.

    Every candidate is scored by its mean NDCG@10 over the validation folds (nested splits
    carved from training with the same rule): one fold's differences between neighbouring
    settings are within noise (+-0.002), two folds halve the chance of chasing it.
    """
    folds = [folds] if isinstance(folds, Fold) else list(folds)
    per_fold = [_tune_fold(f, log) for f in folds]
    keys = list(per_fold[0][0])
    mean = {key: float(np.mean([pf[0][key] for pf in per_fold])) for key in keys}
    best_l2, best_beta = max(keys, key=lambda key: (mean[key], key[0]))
    log(f"  collaborative chosen on {len(folds)} fold(s): l2={best_l2:g} beta={best_beta:g}")
    grid = sorted({0.0, 1.0, *W1_GRID, *(round(i * 0.1, 10) for i in range(11))})
    sweeps = []
    for fold, (_, fitted) in zip(folds, per_fold, strict=True):
        collab = CollaborativeBlend(
            fitted["ease"][best_l2], fitted["sequential"], beta=best_beta, refit_parts=False
        ).fit(fold.data)
        hybrid = HybridRecommender(fitted["content"], collab, refit_parts=False).fit(fold.data)
        sweeps.append(sweep_hybrid(hybrid, fold.hist, fold.relevant, fold.users, grid=grid))
    sweep = [
        {**rows[0], "ndcg@10": float(np.mean([r["ndcg@10"] for r in rows]))}
        for rows in zip(*sweeps, strict=True)
    ]
    eligible = [s for s in sweep if s["w1"] in W1_GRID]
    chosen = max(eligible, key=lambda s: (s["ndcg@10"], -abs(s["w1"] - 0.5)))
    log(f"  validation sweep: {[(s['w1'], round(s['ndcg@10'], 4)) for s in sweep]}")
    return {
        "ease_l2": best_l2,
        "beta": best_beta,
        "w1": chosen["w1"],
        "w2": chosen["w2"],
        "validation_ndcg@10": chosen["ndcg@10"],
        "validation_collaborative": {f"l2={k[0]:g},beta={k[1]:g}": v for k, v in mean.items()},
        "n_validation_folds": len(folds),
        "sweep": sweep,
    }


def run_evaluation(
    src: str | Path,
    ks: tuple[int, ...] = KS,
    imdb_dir: pd.DataFrame | str | Path | None = None,
    log: Callable[[str], None] = lambda s: None,
) -> dict:
    """Run the whole protocol and return the JSON-able report.

    ``imdb_dir``: IMDb features to join through links.csv: a catalog frame (the stored catalog)
    or an IMDb folder; None uses MovieLens features only.
    """
    import tempfile

    ml = load_movielens(src)
    imdb_label = (
        None
        if imdb_dir is None
        else "the stored catalog"
        if isinstance(imdb_dir, pd.DataFrame)
        else str(imdb_dir)
    )
    with tempfile.TemporaryDirectory() as scratch:
        imdb = imdb_features(imdb_dir, Path(scratch))
    train, test = split_by_time(ml.ratings)
    fold = make_fold(train, test, ml, imdb)
    folds = []
    v_train = train
    for _ in range(VALIDATION_FOLDS):
        v_train, v_test = split_by_time(v_train)
        log(f"validation fold: {len(v_train)} train / {len(v_test)} held-out ratings")
        folds.append(make_fold(v_train, v_test, ml, imdb))
    tuned = tune(folds, log)
    log(
        f"tuned: ease l2={tuned['ease_l2']:g} beta={tuned['beta']:g} "
        f"w1={tuned['w1']} w2={tuned['w2']}"
    )

    data = fold.data
    genres = {
        t: frozenset(split_genres(g))
        for t, g in zip(data.catalog["tconst"], data.catalog["genres"], strict=True)
    }
    n_users = train["userId"].nunique()
    share = (train.groupby("movieId")["userId"].nunique() / n_users).to_dict()
    context = {
        "n_items": len(data.catalog),
        "user_share": {f"ml{m}": s for m, s in share.items()},
        "genres": genres,
    }
    popularity = PopularityRecommender()
    content = ContentRecommender(n_likes=PROFILE_LIKES)
    svd = SVDRecommender()
    ease = EASERecommender(l2=tuned["ease_l2"])
    sequential = SequentialRecommender()
    fit_s = {}
    for name, model in (
        ("popularity", popularity),
        ("content", content),
        ("svd", svd),
        ("ease", ease),
        ("sequential", sequential),
    ):
        fit_s[name] = timed_fit(model, data)
        log(f"fitted {name} in {fit_s[name]:.2f}s")
    collab = CollaborativeBlend(ease, sequential, beta=tuned["beta"], refit_parts=False)
    fit_s["collaborative"] = timed_fit(collab, data) + fit_s["ease"] + fit_s["sequential"]
    hybrid = HybridRecommender(content, collab, w1=tuned["w1"], w2=tuned["w2"], refit_parts=False)
    fit_s["hybrid"] = timed_fit(hybrid, data) + fit_s["content"] + fit_s["collaborative"]

    report_models = {}
    for name, model in (
        ("popularity", popularity),
        ("content", content),
        ("svd", svd),
        ("ease", ease),
        ("sequential", sequential),
        ("collaborative", collab),
        ("hybrid", hybrid),
    ):
        lists, ms = rank_users(model, model_scorer(model), fold.hist, fold.users, max(ks))
        row = ranking_metrics(lists, fold.relevant, context, ks)
        row["fit_s"] = round(fit_s[name], 3)
        row["ms_per_user"] = round(ms, 3)
        report_models[name] = row
        log(f"{name:<11} ndcg@10={row['ndcg@10']:.4f} p@10={row['precision@10']:.4f}")
    sweep = sweep_hybrid(hybrid, fold.hist, fold.relevant, fold.users)
    rmse, mae = svd_accuracy(svd, test)
    return {
        "protocol": {
            "source": str(src),
            "split": "per user by time (ties by movieId), last 20% rounded up (>= 1) as test",
            "relevant": f"test rating >= {RELEVANT_MIN}",
            "candidates": "training items the user did not rate in training (full ranking)",
            "content_profile": f"last {PROFILE_LIKES} training ratings >= {LIKE_MIN} as likes, "
            f"<= {DISLIKE_MAX} as dislikes",
            "ks": list(ks),
            "n_users_evaluated": len(fold.users),
            "n_train_ratings": len(train),
            "n_test_ratings": len(test),
            "n_items": len(data.catalog),
            "features_used": features_used(ml, imdb_label, fold.data.catalog),
            "tuning": "EASE l2, the sequential weight beta in the collaborative part and the "
            "hybrid w1/w2 chosen on a validation split carved from training with the same rule",
            "hybrid": "final = w1 * content + w2 * collaborative over the merged top-50 lists "
            "of the two parts, each part's raw score min-max normalised over the merged set; "
            "collaborative = EASE / s_ease + beta * sequential / s_seq (per-user scales)",
            "tuned": {k: v for k, v in tuned.items() if k != "sweep"},
            "validation_sweep": tuned["sweep"],
        },
        "models": report_models,
        "sweep": sweep,
        "svd": {"rmse": rmse, "mae": mae},
    }


def features_used(
    ml: MovieLensData, imdb_label: str | None, catalog: pd.DataFrame | None = None
) -> list[str]:
    """What the content model saw, with how many titles carried each IMDb feature."""
    used = ["movies.csv genres", "movies.csv year"]
    if ml.tags is not None:
        used.append("tags.csv (applied before each tagger's test period)")
    if imdb_label is not None and ml.links is not None and catalog is not None:
        counts = {
            name: int(catalog[col].notna().sum())
            for name, col in (
                ("runtime", "runtime_minutes"),
                ("directors", "directors"),
                ("writers", "writers"),
                ("top cast", "top_cast"),
            )
            if col in catalog.columns
        }
        have = ", ".join(f"{name} ({n} titles)" for name, n in counts.items() if n)
        used.append(f"IMDb via links.csv from {imdb_label}: {have or 'no matching titles'}")
    return used


def svd_accuracy(svd: SVDRecommender, test: pd.DataFrame) -> tuple[float, float]:
    """RMSE/MAE of Surprise's own (clipped) predictions on the test ratings."""
    algo = svd.algo_
    preds = np.asarray(
        [
            algo.predict(f"ml:{u}", f"ml{m}").est
            for u, m in zip(test["userId"], test["movieId"], strict=True)
        ]
    )
    err = preds - test["rating"].to_numpy()
    return float(math.sqrt(np.mean(err**2))), float(np.mean(np.abs(err)))


def save_report(report: dict, path: Path) -> Path:
    """Write the report atomically (the Quality page may be reading the old one)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(report, indent=2), encoding="utf-8")
    tmp.replace(path)
    return path
