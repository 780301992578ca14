"""The one settings object.

Settings are read once, from environment variables and (in the app) from ``st.secrets`` passed
in as a plain mapping, then handed down explicitly. Nothing else in the project reads
``os.environ``; tests build ``Settings`` directly or through :meth:`Settings.from_env` with a
dict of their own.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

IMDB_DEFAULT_SOURCE = "https://datasets.imdbws.com/"
MOVIELENS_DEFAULT_SOURCE = "https://files.grouplens.org/datasets/movielens/ml-latest-small.zip"
TMDB_DEFAULT_API_BASE = "https://api.themoviedb.org"
TMDB_DEFAULT_IMAGE_BASE = "https://image.tmdb.org/t/p/"


@dataclass(frozen=True)
class Settings:
    """Everything configurable about Marquee, with the documented defaults."""

    data_dir: Path = Path("data")
    database_url: str = ""  # empty: SQLite file inside data_dir
    imdb_source: str = IMDB_DEFAULT_SOURCE
    movielens_source: str = MOVIELENS_DEFAULT_SOURCE
    min_votes: int = 1000
    tmdb_api_key: str = ""
    tmdb_api_base: str = TMDB_DEFAULT_API_BASE
    tmdb_image_base: str = TMDB_DEFAULT_IMAGE_BASE
    tmdb_timeout_s: float = 4.0
    #: Country for "Where to watch" (ISO 3166-1 alpha-2, e.g. GB); empty: the browser's, else US.
    watch_region: str = ""
    cookie_key: str = ""  # empty: the app creates one in data_dir and keeps it
    cookie_name: str = "marquee_auth"
    cookie_expiry_days: float = 30.0  # also a log-in session's absolute lifetime
    session_idle_days: float = 7.0  # a session unused this long is ended (server-side)
    hybrid_w1: float | None = None  # None: the engine's evaluated default
    hybrid_w2: float | None = None
    retrain_after_interactions: int = 50
    retrain_after_days: float = 7.0
    download_timeout_s: float = 60.0
    download_retries: int = 3
    #: Several app processes share this database (issue 12): the cookie key must be configured.
    cluster: bool = False
    #: The models folder; in a cluster a folder every process reads (empty: data_dir/models).
    models_path: str = ""
    #: Seconds between two checks (per process) for a newer model saved by another process.
    model_check_s: float = 5.0
    #: Memory (MB) the deployment may use, the app and its background jobs together (Streamlit
    #: Community Cloud gives about 1 GB). The background evaluation sizes itself to what the
    #: app leaves of it (issue 19: a smaller, stated sample rather than being killed).
    memory_budget_mb: int = 1000
    #: The background evaluation's scheduling (issue 24; paused while the app works either
    #: way). "idle": only the CPU nothing else wants (SCHED_IDLE, else nice 19); "nice": nice
    #: 10 (its report sooner beside busy neighbours, e.g. the tests on a shared machine).
    evaluation_priority: str = "idle"
    #: A front we run (deploy/nginx.conf) sets X-Real-IP: the log-in throttle may then count
    #: guesses per client address too. Off when the app is reached directly (the header would
    #: be whatever the visitor sent).
    trusted_front: bool = False
    #: Where the collaborative model is fitted: "local" (this machine: the graph's own choice of
    #: EASE or ALS) or "spark" (ALS on Spark MLlib at ``spark_master``; needs pyspark and Java).
    #: ``python -m recsys train --engine spark --master URL`` sets both for one run; an app that
    #: serves what that command publishes is configured the same (README "Training on Spark").
    train_engine: str = "local"
    #: The Spark master URL for ``train_engine = "spark"`` (empty: ``local[2]``).
    spark_master: str = ""

    # ------------------------------------------------------------------ derived values
    @property
    def resolved_database_url(self) -> str:
        """The SQLAlchemy URL to connect to (SQLite in the data dir unless configured)."""
        if self.database_url:
            url = self.database_url
            # Heroku-style URLs and bare "postgresql://" should use psycopg 3, which we ship.
            if url.startswith("postgres://"):
                url = "postgresql://" + url[len("postgres://") :]
            if url.startswith("postgresql://"):
                url = "postgresql+psycopg://" + url[len("postgresql://") :]
            return url
        return f"sqlite:///{(self.data_dir / 'marquee.db').as_posix()}"

    @property
    def downloads_dir(self) -> Path:
        return self.data_dir / "downloads"

    @property
    def models_dir(self) -> Path:
        return Path(self.models_path) if self.models_path else self.data_dir / "models"

    def cluster_problem(self) -> str | None:
        """Why this process cannot join a cluster as configured, or None."""
        if self.cluster and not self.cookie_key:
            return (
                "MARQUEE_CLUSTER is set but MARQUEE_COOKIE_KEY is not: every app process must "
                "sign log-in cookies with the same key. Set MARQUEE_COOKIE_KEY in the secrets."
            )
        return None

    @property
    def evaluation_path(self) -> Path:
        """The latest offline evaluation report (the Quality page reads it)."""
        return self.data_dir / "evaluation.json"

    @property
    def tmdb_enabled(self) -> bool:
        return bool(self.tmdb_api_key)

    def with_overrides(self, **changes: Any) -> Settings:
        """A copy with some fields changed (CLI flags, tests)."""
        return replace(self, **changes)

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_env(
        cls,
        environ: Mapping[str, str] | None = None,
        secrets: Mapping[str, Any] | None = None,
    ) -> Settings:
        """Build settings from the environment, with ``secrets`` (st.secrets) taking precedence.

        Secrets win because on Streamlit Community Cloud they are the only configuration a
        deployer controls; locally the environment is the natural place.
        """
        env: dict[str, str] = dict(os.environ if environ is None else environ)
        for key, value in (secrets or {}).items():
            if isinstance(value, str | int | float | bool):
                env[str(key)] = str(value)

        def get(name: str, default: str = "") -> str:
            value = env.get(name)
            return default if value is None or value == "" else value

        def get_float(name: str) -> float | None:
            raw = get(name)
            return float(raw) if raw else None

        defaults = cls()
        return cls(
            data_dir=Path(get("MARQUEE_DATA_DIR", str(defaults.data_dir))),
            database_url=get("DATABASE_URL"),
            imdb_source=get("MARQUEE_IMDB_SOURCE", IMDB_DEFAULT_SOURCE),
            movielens_source=get("MARQUEE_MOVIELENS_SOURCE", MOVIELENS_DEFAULT_SOURCE),
            min_votes=int(get("MARQUEE_MIN_VOTES", str(defaults.min_votes))),
            tmdb_api_key=get("TMDB_API_KEY"),
            tmdb_api_base=get("TMDB_API_BASE", TMDB_DEFAULT_API_BASE).rstrip("/"),
            tmdb_image_base=get("TMDB_IMAGE_BASE", TMDB_DEFAULT_IMAGE_BASE),
            tmdb_timeout_s=float(get("TMDB_TIMEOUT_S", str(defaults.tmdb_timeout_s))),
            watch_region=get("MARQUEE_WATCH_REGION").strip().upper(),
            cookie_key=get("MARQUEE_COOKIE_KEY"),
            cookie_expiry_days=float(
                get("MARQUEE_COOKIE_EXPIRY_DAYS", str(defaults.cookie_expiry_days))
            ),
            session_idle_days=float(
                get("MARQUEE_SESSION_IDLE_DAYS", str(defaults.session_idle_days))
            ),
            hybrid_w1=get_float("MARQUEE_HYBRID_W1"),
            hybrid_w2=get_float("MARQUEE_HYBRID_W2"),
            retrain_after_interactions=int(
                get("MARQUEE_RETRAIN_AFTER", str(defaults.retrain_after_interactions))
            ),
            retrain_after_days=float(
                get("MARQUEE_RETRAIN_AFTER_DAYS", str(defaults.retrain_after_days))
            ),
            download_timeout_s=float(
                get("MARQUEE_DOWNLOAD_TIMEOUT_S", str(defaults.download_timeout_s))
            ),
            cluster=get("MARQUEE_CLUSTER", "0").lower() in ("1", "true", "yes", "on"),
            models_path=get("MARQUEE_MODELS_DIR"),
            model_check_s=float(get("MARQUEE_MODEL_CHECK_S", str(defaults.model_check_s))),
            memory_budget_mb=int(get("MARQUEE_MEMORY_BUDGET_MB", str(defaults.memory_budget_mb))),
            evaluation_priority=_choice(
                "MARQUEE_EVALUATION_PRIORITY",
                get("MARQUEE_EVALUATION_PRIORITY", defaults.evaluation_priority).lower(),
                ("idle", "nice"),
            ),
            trusted_front=get("MARQUEE_TRUSTED_FRONT", "0").lower() in ("1", "true", "yes", "on"),
            train_engine=get("MARQUEE_TRAIN_ENGINE", defaults.train_engine).strip().lower(),
            spark_master=get("MARQUEE_SPARK_MASTER").strip(),
        )


def _choice(name: str, value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(allowed)}, not {value!r}")
    return value


def is_url(source: str) -> bool:
    """True when a source setting names a remote address rather than a local path."""
    return source.startswith(("http://", "https://", "ftp://"))


__all__ = ["Settings", "is_url"]


def inherited_environment() -> dict[str, str]:
    """A copy of this process's environment, for a child process to start from (this module
    is the only reader of the environment)."""
    return dict(os.environ)
