"""Tonight's picks: the group's list from every member's own model, with fit bars and a why.

Each member's served model ranks the candidates (:func:`recsys.models.group.build_pool`); the
night's strategy combines the fits (:func:`recsys.models.group.combine`). Vetoes, titles the
night already watched and every member's rated titles never reach the pool; the runtime and
"what the group can stream" filters drop titles from the pool before the cut. A finished list
is kept per process by the night's version and the members' histories, so the live page's
poll every few seconds costs a database read, not a model run; each member's own ranked list is
kept by their history, so a veto or a join does not rerun the other members' models.
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
    FLOOR,
    LIST_DEPTH,
    STRATEGIES,
    STRATEGY_LABELS,
    GroupPool,
    Strategy,
    combine,
    group_scores,
    member_list,
    pick_drivers,
    pool_from_lists,
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
#: Members' own lists kept per process (a few hundred bytes each).
LIST_CACHE_SIZE = 1024


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
#: Each member's own ranked list by (engine, history, kind), with what each listed title owes
#: to them (their why): small (LIST_DEPTH entries), so a veto, a strategy change or one more
#: member reuses the others' lists.
_lists: OrderedDict[tuple[object, ...], MemberList] = OrderedDict()
_cache_lock = threading.Lock()


def _remember(store: OrderedDict, key: tuple[object, ...], value: object, size: int) -> None:  # type: ignore[type-arg]
    with _cache_lock:
        store[key] = value
        store.move_to_end(key)
        while len(store) > size:
            store.popitem(last=False)


def _recall(store: OrderedDict, key: tuple[object, ...]) -> object | None:  # type: ignore[type-arg]
    with _cache_lock:
        hit = store.get(key)
        if hit is not None:
            store.move_to_end(key)
        return hit


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
    hit = _recall(_cache, key)
    if isinstance(hit, GroupList):
        return hit
    result = _compute(engine, db, art, histories, names, settings, removed, k, version, services)
    _remember(_cache, key, result, CACHE_SIZE)
    return result


@dataclass(frozen=True)
class MemberList:
    """One member's own ranked list (catalog positions, best first) and, for each listed
    title, the pick of theirs and the genre of theirs it owes most to."""

    positions: np.ndarray
    drivers: dict[int, tuple[str | None, str | None]]


def member_lists(
    engine: Engine, histories: Sequence[UserHistory], kind: NightKind
) -> list[MemberList]:
    """Each member's own ranked list of ``kind`` (cached per process by their history)."""
    served, taste = engine.graph.sections, engine.graph.taste
    version = (id(engine), getattr(engine, "artifact_version_", None), kind)
    mask: np.ndarray | None = None
    out = []
    for history in histories:
        key = (*version, history)
        hit = _recall(_lists, key)
        if not isinstance(hit, MemberList):
            if mask is None:
                mask = served.candidate_mask(UserHistory(), section_types(kind))
            positions = member_list(served, history, mask, LIST_DEPTH)
            # taste's positions are the catalog's (every node is fitted on the same catalog)
            hit = MemberList(
                positions,
                dict(
                    zip(
                        positions.tolist(),
                        pick_drivers(taste, history, positions.tolist()),
                        strict=True,
                    )
                ),
            )
            _remember(_lists, key, hit, LIST_CACHE_SIZE)
        out.append(hit)
    return out


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
    drop = np.zeros(len(served.items_), dtype=bool)
    drop[served.indices({t for h in histories for t in h.seen} | removed)] = True
    lists = member_lists(engine, histories, settings.kind)
    pool = pool_from_lists([m.positions for m in lists], drop)
    if settings.max_runtime is not None:
        items = [str(served.items_[i]) for i in pool.items]
        with db.session() as session:
            runtimes = catalog_store.runtimes(session, items)
        longer = [(runtimes.get(t) or 0) > settings.max_runtime for t in items]
        pool = pool.without(np.asarray(longer, dtype=bool))
    streams = settings.streamable_only and services is not None
    if streams and isinstance(art, TmdbClient) and art.enabled:
        kept = [str(served.items_[i]) for i in pool.items]
        pool = _streamable(pool, kept, art, services)  # type: ignore[arg-type]
    order = combine(pool.fits, settings.strategy, k)
    lowest = pool.fits.min(axis=0) if pool.fits.size else np.empty(0)
    tconsts = [str(served.items_[pool.items[j]]) for j in order]
    drivers = [m.drivers for m in lists]
    whys = why_lines(engine, drivers, names, pool.fits[:, order], pool.items[order])
    with db.session() as session:
        titles = catalog_store.titles_by_id(session, tconsts)
    shown = [(j, t, w) for j, t, w in zip(order, tconsts, whys, strict=True) if t in titles]
    cards = with_art([card_from_title(titles[t]) for _, t, _ in shown], art)
    picks = []
    for card, (j, _t, why) in zip(cards, shown, strict=True):
        fits = tuple(MemberFit(n, float(f)) for n, f in zip(names, pool.fits[:, j], strict=True))
        below = settings.strategy != "average" and bool(lowest[j] < FLOOR)
        picks.append(GroupPick(card, fits, why, below))
    return GroupList(tuple(picks), settings.strategy, version)


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


def why_lines(
    engine: Engine,
    drivers: Sequence[dict[int, tuple[str | None, str | None]]],
    names: Sequence[str],
    fits: np.ndarray,
    items: np.ndarray,
) -> list[str]:
    """One line per pick naming what draws the two members who fit it best: a pick of theirs
    the title owes most to ("Ada liked Arrival"), else a genre of theirs ("Bo likes Sci-Fi").
    ``fits``: members x picks; a member with a fit above 0 has the title in their list, so
    their ``drivers`` know it."""
    lines = []
    for j, item in enumerate(items.tolist()):
        bits = []
        for m in np.argsort(-fits[:, j], kind="stable")[:2]:
            if fits[m, j] <= 0 or item not in drivers[m]:
                continue
            pick, genre = drivers[m][item]
            if pick is not None:
                bits.append(f"{names[m]} liked {engine.titles_.get(pick, pick)}")
            elif genre is not None:
                bits.append(f"{names[m]} likes {genre}")
        lines.append("; ".join(bits))
    return lines


__all__ = [
    "STRATEGIES",
    "STRATEGY_LABELS",
    "GroupList",
    "GroupPick",
    "MemberFit",
    "MemberList",
    "NightSettings",
    "group_list",
    "group_scores",
    "group_services",
    "member_lists",
    "why_lines",
]
