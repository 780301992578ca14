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

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
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
from recsys.store import nights as night_store
from recsys.store.db import Database
from recsys.store.models import utcnow
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


@dataclass(frozen=True)
class NightRequest:
    """Everything that decides a night's list: the members (their histories and first names,
    in seat order), the host's settings, the titles vetoed or watched, how many picks, the
    night's version and what the group can stream. It is the per-process cache's key;
    ``user_ids`` (the members', to read and keep their ranked lists in the database) only
    says where the lists are kept, so it is not part of it."""

    histories: tuple[UserHistory, ...]
    names: tuple[str, ...]
    settings: NightSettings
    removed: frozenset[str]
    k: int
    version: int
    services: MyServices | None = None
    user_ids: tuple[int, ...] | None = field(default=None, compare=False)


def group_list(
    engine: Engine, db: Database, art: ArtProvider | None, request: NightRequest
) -> GroupList:
    """The night's picks (cached per process by the model and everything that decides them)."""
    key = (id(engine), getattr(engine, "artifact_version_", None), request)
    hit = _recall(_cache, key)
    if isinstance(hit, GroupList):
        return hit
    result = _compute(engine, db, art, request)
    _remember(_cache, key, result, CACHE_SIZE)
    return result


@dataclass(frozen=True)
class MemberList:
    """One member's own ranked list (catalog positions, best first) and, for each listed
    title, the pick of theirs and the genre of theirs it owes most to."""

    positions: np.ndarray
    drivers: dict[int, tuple[str | None, str | None]]


def history_key(engine: Engine, history: UserHistory, kind: NightKind) -> str | None:
    """What a stored list was ranked from (the model's artifact, the kind, the list's depth
    and the member's history), as a digest every process computes alike; None for a model
    that was never saved (no artifact version names it across processes)."""
    version = getattr(engine, "artifact_version_", None)
    if version is None:
        return None
    ratings = sorted(history.ratings.items()) if history.ratings else None
    text = repr(
        (
            version,
            kind,
            LIST_DEPTH,
            history.likes,
            history.dislikes,
            history.favorite_genres,
            ratings,
            history.user_key,
        )
    )
    return hashlib.sha256(text.encode()).hexdigest()


def member_lists(
    engine: Engine,
    histories: Sequence[UserHistory],
    kind: NightKind,
    db: Database | None = None,
    user_ids: Sequence[int] | None = None,
) -> list[MemberList]:
    """Each member's own ranked list of ``kind``: kept per process by their history, stored in
    the database by ``user_ids`` (when given) so any process reads it instead of running the
    member's model; a stored list ranked from another history or model is ranked again."""
    served, taste = engine.graph.sections, engine.graph.taste
    version = (id(engine), getattr(engine, "artifact_version_", None), kind)
    out: list[MemberList | None] = []
    for history in histories:
        hit = _recall(_lists, (*version, history))
        out.append(hit if isinstance(hit, MemberList) else None)
    missing = [m for m, hit in enumerate(out) if hit is None]
    if not missing:
        return out  # type: ignore[return-value]
    keys = {m: history_key(engine, histories[m], kind) for m in missing}
    stored = {}
    shared = db is not None and user_ids is not None and any(keys.values())
    if shared:
        with db.session() as session:  # type: ignore[union-attr]
            rows = night_store.stored_lists(session, [user_ids[m] for m in missing], kind)  # type: ignore[index]
            stored = {uid: (row.history_key, row.items) for uid, row in rows.items()}
    mask: np.ndarray | None = None
    fresh: list[tuple[int, str, str]] = []
    for m in missing:
        history, key = histories[m], keys[m]
        row = stored.get(user_ids[m]) if shared else None  # type: ignore[index]
        if row is not None and key is not None and row[0] == key:
            hit = _from_json(served.index_, row[1])
        else:
            if mask is None:
                mask = served.candidate_mask(UserHistory(), section_types(kind))
            positions = member_list(served, history, mask, LIST_DEPTH)
            # taste's positions are the catalog's (every node is fitted on the same catalog)
            drivers = pick_drivers(taste, history, positions.tolist())
            hit = MemberList(positions, dict(zip(positions.tolist(), drivers, strict=True)))
            if shared and key is not None:
                fresh.append((user_ids[m], key, _to_json(served.items_, hit)))  # type: ignore[index]
        _remember(_lists, (*version, history), hit, LIST_CACHE_SIZE)
        out[m] = hit
    if fresh:
        with db.session() as session:  # type: ignore[union-attr]
            for uid, key, items in fresh:
                night_store.store_list(session, uid, kind, key, items, utcnow())
    return out  # type: ignore[return-value]


def store_member_list(
    engine: Engine, db: Database, user_id: int, history: UserHistory, kind: NightKind
) -> None:
    """Make sure the database holds the member's list of ``kind`` for their current history
    (ranked now unless this process keeps it): what a seat taken in one process leaves for a
    first draw in any other."""
    key = history_key(engine, history, kind)
    if key is None:
        return
    with db.session() as session:
        row = night_store.stored_lists(session, [user_id], kind).get(user_id)
        if row is not None and row.history_key == key:
            return
    member = member_lists(engine, [history], kind)[0]
    items = _to_json(engine.graph.sections.items_, member)
    with db.session() as session:
        night_store.store_list(session, user_id, kind, key, items, utcnow())


def _to_json(items: np.ndarray, member: MemberList) -> str:
    """``[[tconst, pick, genre], ...]`` best first: catalog positions differ between
    artifacts, tconsts do not."""
    return json.dumps(
        [[str(items[p]), *member.drivers[p]] for p in member.positions.tolist()],
        separators=(",", ":"),
    )


def _from_json(index: Mapping[str, int], text: str) -> MemberList:
    rows = json.loads(text)
    positions = np.asarray([index[t] for t, _p, _g in rows], dtype=np.int64)
    drivers = {int(p): (pick, genre) for p, (_t, pick, genre) in zip(positions, rows, strict=True)}
    return MemberList(positions, drivers)


def _compute(
    engine: Engine, db: Database, art: ArtProvider | None, request: NightRequest
) -> GroupList:
    histories, names, settings = request.histories, request.names, request.settings
    if not histories:
        return GroupList((), settings.strategy, request.version)
    served = engine.graph.sections
    drop = np.zeros(len(served.items_), dtype=bool)
    drop[served.indices({t for h in histories for t in h.seen} | request.removed)] = True
    lists = member_lists(engine, histories, settings.kind, db, request.user_ids)
    pool = pool_from_lists([m.positions for m in lists], drop)
    if settings.max_runtime is not None:
        items = [str(served.items_[i]) for i in pool.items]
        with db.session() as session:
            runtimes = catalog_store.runtimes(session, items)
        longer = [(runtimes.get(t) or 0) > settings.max_runtime for t in items]
        pool = pool.without(np.asarray(longer, dtype=bool))
    services = request.services if settings.streamable_only else None
    if services is not None and isinstance(art, TmdbClient) and art.enabled:
        kept = [str(served.items_[i]) for i in pool.items]
        pool = _streamable(pool, kept, art, services)
    order = combine(pool.fits, settings.strategy, request.k)
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
    return GroupList(tuple(picks), settings.strategy, request.version)


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
    "NightRequest",
    "NightSettings",
    "group_list",
    "group_scores",
    "group_services",
    "history_key",
    "member_lists",
    "store_member_list",
    "why_lines",
]
