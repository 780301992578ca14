"""Tonight's picks: the group's list from every member's own model, with fit bars and a why.

Each member's served model ranks the candidates (:func:`recsys.models.group.build_pool`); the
night's strategy combines the fits (:func:`recsys.models.group.combine`). Vetoes, titles the
night already watched and every member's rated titles never reach the pool; the runtime and
"what the group can stream" filters drop titles from the pool before the cut. A finished list
is kept per process by the night's version and the members' histories, so the live page's
poll every few seconds costs a database read, not a model run.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np

from recsys.cards import TitleCard, card_from_title
from recsys.models.base import UserHistory, section_types
from recsys.models.group import (
    DEPTH,
    FLOOR,
    STRATEGIES,
    STRATEGY_LABELS,
    GroupPool,
    Strategy,
    build_pool,
    combine,
    group_scores,
)
from recsys.services.art import ArtProvider, with_art
from recsys.store import catalog as catalog_store
from recsys.store.db import Database
from recsys.tmdb.client import TmdbClient
from recsys.tmdb.streaming import MAX_SERVICES, MyServices, StreamingCatalog

if TYPE_CHECKING:
    from recsys.lifecycle.engine import Engine

NightKind = Literal["movie", "tv"]
#: Finished lists kept per process (a few nights polled at once).
CACHE_SIZE = 64


@dataclass(frozen=True)
class NightSettings:
    """How the night combines and what it narrows to (the host sets them)."""

    strategy: Strategy = "average"
    kind: NightKind = "movie"
    max_runtime: int | None = None
    streamable_only: bool = False


@dataclass(frozen=True)
class MemberFit:
    """One member's fit for a title, 0..1, as the card's small bar (first name only)."""

    first_name: str
    fit: float


@dataclass(frozen=True)
class GroupPick:
    card: TitleCard
    fits: tuple[MemberFit, ...]
    why: str
    #: True when some member fits the title below the strategy's floor (the list ran out of
    #: titles everyone is fine with).
    below_floor: bool = False


@dataclass(frozen=True)
class GroupList:
    picks: tuple[GroupPick, ...]
    strategy: Strategy
    version: int


_cache: OrderedDict[tuple[object, ...], GroupList] = OrderedDict()
_cache_lock = threading.Lock()


def group_list(
    engine: Engine,
    db: Database,
    art: ArtProvider | None,
    histories: Sequence[UserHistory],
    names: Sequence[str],
    settings: NightSettings,
    removed: set[str],
    k: int,
    version: int,
    services: MyServices | None = None,
) -> GroupList:
    """The night's ``k`` picks (cached per process by everything that decides them)."""
    key = (
        id(engine),
        getattr(engine, "artifact_version_", None),
        tuple(histories),
        tuple(names),
        settings,
        frozenset(removed),
        k,
        version,
        services,
    )
    with _cache_lock:
        hit = _cache.get(key)
        if hit is not None:
            _cache.move_to_end(key)
            return hit
    result = _compute(engine, db, art, histories, names, settings, removed, k, version, services)
    with _cache_lock:
        _cache[key] = result
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return result


def _compute(
    engine: Engine,
    db: Database,
    art: ArtProvider | None,
    histories: Sequence[UserHistory],
    names: Sequence[str],
    settings: NightSettings,
    removed: set[str],
    k: int,
    version: int,
    services: MyServices | None,
) -> GroupList:
    if not histories:
        return GroupList((), settings.strategy, version)
    served = engine.graph.sections
    mask = served.candidate_mask(UserHistory(), section_types(settings.kind), removed)
    pool = build_pool(served, histories, mask, DEPTH)
    items = [str(served.items_[i]) for i in pool.items]
    with db.session() as session:
        titles = catalog_store.titles_by_id(session, items)
    drop = np.asarray(
        [t not in titles or _too_long(titles[t].runtime_minutes, settings) for t in items],
        dtype=bool,
    )
    pool = pool.without(drop)
    streams = settings.streamable_only and services is not None
    if streams and isinstance(art, TmdbClient) and art.enabled:
        kept = [str(served.items_[i]) for i in pool.items]
        pool = _streamable(pool, kept, art, services)  # type: ignore[arg-type]
    order = combine(pool.fits, settings.strategy, k)
    lowest = pool.fits.min(axis=0) if pool.fits.size else np.empty(0)
    picks = []
    cards = [card_from_title(titles[str(served.items_[pool.items[j]])]) for j in order]
    for card, j in zip(with_art(cards, art), order, strict=True):
        fits = tuple(MemberFit(n, float(f)) for n, f in zip(names, pool.fits[:, j], strict=True))
        why = why_line(engine, histories, names, pool.fits[:, j], card.tconst)
        below = settings.strategy != "average" and bool(lowest[j] < FLOOR)
        picks.append(GroupPick(card, fits, why, below))
    return GroupList(tuple(picks), settings.strategy, version)


def _too_long(runtime: int | None, settings: NightSettings) -> bool:
    return (
        settings.max_runtime is not None
        and runtime is not None
        and (runtime > settings.max_runtime)
    )


def _streamable(pool: GroupPool, items: Sequence[str], art: TmdbClient, services: MyServices):
    """The pool cut to what streams on the group's services (cache first, never waiting for
    TMDb); left whole while availability is still unknown for some titles or TMDb fails,
    as Home does (:func:`recsys.tmdb.streaming.keep_streamable`)."""
    found = StreamingCatalog(art).availability(list(items), services)
    if found.error is not None or found.unknown:
        return pool
    return pool.without(np.asarray([t not in found.streams for t in items], dtype=bool))


def group_services(stored: Sequence[MyServices | None]) -> MyServices | None:
    """Every service any member has, in the first member's country who set services (None
    when nobody did): what the group can stream together."""
    known = [s for s in stored if s is not None and s.providers]
    if not known:
        return None
    region = known[0].region
    providers = sorted({p for s in known if s.region == region for p in s.providers})
    return MyServices(region, tuple(providers[:MAX_SERVICES]), only=True)


def why_line(
    engine: Engine,
    histories: Sequence[UserHistory],
    names: Sequence[str],
    fits: np.ndarray,
    tconst: str,
) -> str:
    """One line naming what draws the two members who fit the title best to it: a pick of
    theirs the title owes most to ("Ada liked Arrival"), else a genre ("Bo likes Sci-Fi")."""
    taste = engine.graph.taste
    item = taste.index_.get(tconst)
    if item is None:
        return ""
    bits = []
    for m in np.argsort(-fits, kind="stable")[:2]:
        if fits[m] <= 0:
            continue
        picks, genres = taste.drivers(histories[m], [item], top=1)
        if picks:
            bits.append(f"{names[m]} liked {engine.titles_.get(picks[0], picks[0])}")
        elif genres:
            bits.append(f"{names[m]} likes {genres[0]}")
    return "; ".join(bits)


__all__ = [
    "STRATEGIES",
    "STRATEGY_LABELS",
    "GroupList",
    "GroupPick",
    "MemberFit",
    "NightSettings",
    "group_list",
    "group_scores",
    "group_services",
    "why_line",
]
