"""The app's operations: one small service per topic, composed once per script run.

Pages call ``marquee.accounts.register(...)``, ``marquee.picks.home_sections(...)`` and so on.
Each service holds only what it needs (the database, the fitted engine, the art source, the
clock), so a test can build one alone and an HTTP API could wrap them without touching the
engine. ``Marquee`` is cheap to build for each script run from long-lived parts, which the app
caches once per process and never mutates.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import KW_ONLY, dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from recsys.config import Settings
from recsys.lifecycle.server import ModelServer
from recsys.services.accounts import Accounts, UserProfile
from recsys.services.art import ArtProvider
from recsys.services.discovery import BecauseRow, Discovery, FilterError, HomeFilters
from recsys.services.imports import ImportFileError, ImportPreview, ImportResult, Imports
from recsys.services.nights import NightError, Nights, NightView
from recsys.services.onboarding import Onboarding, OnboardingState
from recsys.services.privacy import Privacy, UserExport
from recsys.services.quality import Quality, evaluation_hooks
from recsys.services.ranking import RankedList, RankedTitle, Ranking
from recsys.services.ratings import Choice, Ratings, Verdict
from recsys.services.recommendations import Recommendations
from recsys.services.sessions import SessionInfo, Sessions
from recsys.services.steering import HiddenEntry, Steering, SteeringError
from recsys.services.streaming import ProviderList, Streaming
from recsys.services.watchlist import SavedTitle, Watchlist, WatchlistError
from recsys.store.db import Database, StorageError
from recsys.store.models import utcnow
from recsys.tmdb.streaming import ServicesError

if TYPE_CHECKING:
    from recsys.lifecycle.engine import Engine


@dataclass(frozen=True)
class Marquee:
    """The topic services over one database, engine and art source.

    Frozen: the services are built from these parts once, so replacing a part afterwards
    (``marquee.engine = ...``) would leave them on the old one; build a new ``Marquee``.
    """

    settings: Settings
    db: Database
    engine: Engine | None = None
    art: ArtProvider | None = None
    _: KW_ONLY
    clock: Callable[[], datetime] = utcnow
    accounts: Accounts = field(init=False, repr=False)
    onboarding: Onboarding = field(init=False, repr=False)
    ratings: Ratings = field(init=False, repr=False)
    picks: Recommendations = field(init=False, repr=False)
    discovery: Discovery = field(init=False, repr=False)
    quality: Quality = field(init=False, repr=False)
    privacy: Privacy = field(init=False, repr=False)
    imports: Imports = field(init=False, repr=False)
    sessions: Sessions = field(init=False, repr=False)
    watchlist: Watchlist = field(init=False, repr=False)
    steering: Steering = field(init=False, repr=False)
    streaming: Streaming = field(init=False, repr=False)
    ranking: Ranking = field(init=False, repr=False)
    nights: Nights = field(init=False, repr=False)

    def __post_init__(self) -> None:
        ratings = Ratings(self.db)
        services = {
            "accounts": Accounts(self.db, self.clock),
            "onboarding": Onboarding(self.db, self.art, self.clock),
            "ratings": ratings,
            "picks": Recommendations(self.db, ratings, self.engine, self.art),
            "discovery": Discovery(self.db, ratings, self.engine, self.art),
            "quality": Quality(self.settings, self.db),
            "privacy": Privacy(self.db),
            "imports": Imports(self.db, self.clock),
            "sessions": Sessions(self.settings, self.db, self.clock),
            "watchlist": Watchlist(self.db, self.art, self.clock),
            "steering": Steering(self.db, self.art, self.clock),
            "streaming": Streaming(self.db, self.art),
            "ranking": Ranking(self.db, ratings, self.engine, self.art),
            "nights": Nights(self.db, ratings, self.engine, self.art, self.clock),
        }
        for name, service in services.items():
            object.__setattr__(self, name, service)  # the dataclass is frozen


def open_database(settings: Settings) -> Database:
    """The configured database, migrated to the current schema.

    Raises :class:`StorageError` with a message to show when it cannot be opened or upgraded.
    """
    return Database.from_settings(settings)


def model_server(settings: Settings, db: Database) -> ModelServer:
    """The model lifecycle of one app process, with the background evaluation wired in: it
    starts after a model is trained here, and a retrain waits while it runs."""
    hooks = evaluation_hooks(settings)
    return ModelServer(settings, db, hooks)


__all__ = [
    "Accounts",
    "ArtProvider",
    "BecauseRow",
    "Choice",
    "Database",
    "Discovery",
    "FilterError",
    "HiddenEntry",
    "HomeFilters",
    "ImportFileError",
    "ImportPreview",
    "ImportResult",
    "Imports",
    "Marquee",
    "ModelServer",
    "NightError",
    "NightView",
    "Nights",
    "Onboarding",
    "OnboardingState",
    "Privacy",
    "ProviderList",
    "Quality",
    "RankedList",
    "RankedTitle",
    "Ranking",
    "Ratings",
    "Recommendations",
    "SavedTitle",
    "ServicesError",
    "SessionInfo",
    "Sessions",
    "Steering",
    "SteeringError",
    "StorageError",
    "Streaming",
    "UserExport",
    "UserProfile",
    "Verdict",
    "Watchlist",
    "WatchlistError",
    "model_server",
    "open_database",
]
