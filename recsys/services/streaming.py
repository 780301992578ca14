"""My services: the streaming services a user has (Account page) and Home's "Only what I can
stream" filter, over :mod:`recsys.tmdb.streaming`.

Without a TMDb key there is no provider list and no availability: the Account section says
what it needs and nothing is stored. Every TMDb answer comes from the cache or from the shared
client (its budget and breaker); availability never waits for TMDb.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from recsys.services.art import ArtProvider
from recsys.store import preferences as preference_store
from recsys.store.db import Database
from recsys.tmdb.client import TmdbClient, TmdbUnavailable
from recsys.tmdb.streaming import (
    Availability,
    MyServices,
    Provider,
    ServicesError,
    StreamingCatalog,
)
from recsys.tmdb.watch import JUSTWATCH_ATTRIBUTION, normalize_region

log = logging.getLogger(__name__)

NEEDS_KEY = (
    "Choosing your streaming services needs TMDb (JustWatch's availability data): set "
    "MARQUEE_TMDB_API_KEY in the app's secrets."
)


@dataclass(frozen=True)
class ProviderList:
    """A region's services, or why there are none (``error``: "disabled", "timeout", ...)."""

    region: str
    providers: tuple[Provider, ...] = ()
    error: str | None = None
    credit: str = JUSTWATCH_ATTRIBUTION


def load_services(raw: dict[str, object] | None) -> MyServices | None:
    """Stored services, or None (none stored, or unreadable)."""
    if raw is None:
        return None
    try:
        return MyServices.from_dict(raw)
    except ServicesError:
        log.warning("stored services are unreadable; using none")
        return None


@dataclass(frozen=True)
class Streaming:
    """The user's services and what streams on them."""

    db: Database
    art: ArtProvider | None = None

    @property
    def catalog(self) -> StreamingCatalog | None:
        """Provider lists and availability; None without a TMDb key."""
        if isinstance(self.art, TmdbClient) and self.art.enabled:
            return StreamingCatalog(self.art)
        return None

    def services(self, user_id: int) -> MyServices | None:
        with self.db.session() as session:
            return load_services(preference_store.services(session, user_id))

    def provider_list(self, region: str) -> ProviderList:
        """The region's services from TMDb (cached for a week); never raises for TMDb."""
        code = normalize_region(region)
        if code is None:
            return ProviderList(str(region)[:8], error="bad_region")
        catalog = self.catalog
        if catalog is None:
            return ProviderList(code, error="disabled")
        try:
            return ProviderList(code, catalog.providers(code))
        except TmdbUnavailable as failure:
            return ProviderList(code, error=failure.reason)
        except Exception:  # a bug must not take the Account page down
            log.exception("provider list failed for %s", code)
            return ProviderList(code, error="internal")

    def set_services(
        self, user_id: int, region: str, provider_ids: Iterable[object], *, only: bool | None = None
    ) -> MyServices | None:
        """Store the user's services in ``region`` (none: cleared). Every id must be one of
        TMDb's services for the region. Raises :class:`ServicesError` with one sentence;
        nothing is stored then. ``only`` keeps Home's filter as it was when None."""
        code = normalize_region(region)
        if code is None:
            raise ServicesError(
                "Choose a country (a two-letter code such as GB); nothing was stored."
            )
        ids = _ids(provider_ids)
        if self.catalog is None:
            raise ServicesError(NEEDS_KEY)
        listed = self.provider_list(code)
        if listed.error is not None:
            raise ServicesError(
                "TMDb is not answering, so the services could not be checked; nothing was "
                "stored. Please try again in a moment."
            )
        known = {p.provider_id for p in listed.providers}
        unknown = [i for i in ids if i not in known]
        if unknown:
            raise ServicesError(
                f"Service {unknown[0]} is not one TMDb lists for {code}; nothing was stored."
            )
        current = self.services(user_id)
        keep_only = (current.only if current else False) if only is None else only
        chosen = MyServices(code, tuple(ids), keep_only and bool(ids)) if ids else None
        with self.db.session() as session:
            preference_store.set_services(
                session, user_id, None if chosen is None else chosen.to_dict()
            )
        return chosen

    def set_only(self, user_id: int, only: bool) -> MyServices:
        """Home's "Only what I can stream" (``filter_my_services``). Raises
        :class:`ServicesError` when the user has chosen no services yet."""
        current = self.services(user_id)
        if current is None or not current.providers:
            raise ServicesError(
                "Choose your streaming services on the Account page first; the filter stays off."
            )
        chosen = MyServices(current.region, current.providers, bool(only))
        with self.db.session() as session:
            preference_store.set_services(session, user_id, chosen.to_dict())
        return chosen

    def availability(
        self, user_id: int, tconsts: Sequence[str], *, warm: bool = False
    ) -> Availability | None:
        """Which of ``tconsts`` stream on the user's services (cache only; with ``warm`` the
        unknown titles are fetched in the background). None without services or a key."""
        services = self.services(user_id)
        catalog = self.catalog
        if services is None or not services.providers or catalog is None:
            return None
        return catalog.availability(tconsts, services, warm=warm)


def _ids(values: Iterable[object]) -> list[int]:
    """Provider ids as whole numbers, each once, in order. Raises :class:`ServicesError`."""
    out: list[int] = []
    for v in values:
        if isinstance(v, bool) or not isinstance(v, int | str):
            raise ServicesError("A service is named by its number; nothing was stored.")
        try:
            number = int(v)
        except ValueError:
            raise ServicesError(
                f"{str(v)[:20]!r} is not a service number; nothing was stored."
            ) from None
        if number <= 0:
            raise ServicesError(f"{number} is not a service number; nothing was stored.")
        if number not in out:
            out.append(number)
    return out
