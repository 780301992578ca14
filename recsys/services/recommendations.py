"""Picks and everything else the pages show as cards: details, search, explanations.

Each list is scored by the engine, turned into cards from the catalog, logged as shown (the
impressions the Quality page's online figures come from) and dressed with TMDb art.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import pandas as pd

from recsys.auth.credentials import has_control_characters
from recsys.cards import SECTION_LABELS, Section, TitleCard, card_from_title
from recsys.models.base import Recommendation
from recsys.models.dials import Dials
from recsys.models.facets import HomeFilters
from recsys.services import art as tmdb_extras
from recsys.services import discovery
from recsys.services.art import ArtProvider, with_art
from recsys.services.ratings import Ratings
from recsys.services.steering import hidden_for_picks
from recsys.services.streaming import load_services
from recsys.store import catalog as catalog_store
from recsys.store import impressions as impression_store
from recsys.store import preferences as preference_store
from recsys.store import watchlist as watchlist_store
from recsys.store.db import Database
from recsys.store.models import Title
from recsys.tmdb.client import TmdbClient
from recsys.tmdb.streaming import MyServices, StreamingCatalog, keep_streamable

#: How much deeper than shown the model ranks while "Only what I can stream" is on: enough
#: streamable titles for a full list when about one title in five streams on the services.
STREAM_DEPTH = 5

if TYPE_CHECKING:
    from recsys.explain import Explanation
    from recsys.lifecycle.engine import Engine
    from recsys.models.base import UserHistory
    from recsys.tmdb.extras import MoreInfoExtras
    from recsys.tmdb.watch import Trailer, WatchProviders

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Recommendations:
    """The user's picks and the cards around them.

    ``engine`` is None until the app has loaded (or trained) one; the catalog reads (search,
    cards, details) work without it.
    """

    db: Database
    ratings: Ratings
    engine: Engine | None = None
    art: ArtProvider | None = None

    def _engine(self) -> Engine:
        if self.engine is None:
            raise RuntimeError("The recommender is not loaded yet.")
        return self.engine

    def recommendations(
        self, user_id: int, section: Section, k: int = 10, *, log_impressions: bool = True
    ) -> list[TitleCard]:
        """This week's picks for one section, best first (and logged as shown)."""
        engine = self._engine()
        history = self.ratings.history(user_id)
        recs = engine.recommend(history, section, k=k, exclude=self.excluded(user_id))
        return self._serve(user_id, history, {section: recs}, log_impressions)[section]

    def home_sections(
        self,
        user_id: int,
        k: int = 10,
        *,
        log_impressions: bool = True,
        filters: HomeFilters | None = None,
        fresh: bool = True,
        dials: Dials | None = None,
    ) -> dict[Section, list[TitleCard]]:
        """Home's lists (Movies, TV shows), best first, each logged as shown.

        The engine scores the user once for both sections: the parts' scores do not depend on
        the section, only the final filter does. ``filters`` narrow the candidates before the
        top-k cut (movies or TV only: the other list is empty). With ``fresh``, titles shown
        in recent visits and not acted on rotate below the fold (:func:`discovery.rotate`).
        ``dials`` re-rank the model's deeper list
        (:func:`recsys.lifecycle.engine.dialled_sections`);
        hidden titles ("Not for me") are left out like saved ones.
        """
        engine = self._engine()
        history = self.ratings.history(user_id)
        saved = self.excluded(user_id)
        sections: tuple[Section, ...] = tuple(SECTION_LABELS)
        kept = sections if filters is None else filters.sections(sections)
        visits = self._recent_visits(user_id, kept) if fresh else {}
        acted = history.seen | saved
        stale = max((len(discovery.stale_titles(v, acted)) for v in visits.values()), default=0)
        from recsys.lifecycle.engine import (
            dialled_sections,  # the engine module loads with the models
        )

        services = self._streaming_services(user_id)
        depth = (k + stale) * (STREAM_DEPTH if services is not None else 1)
        deep = depth if services is not None else None  # filtered next: the whole list
        recs = dialled_sections(engine, history, kept, depth, saved, filters, dials, depth=deep)
        if services is not None:
            recs = self._streamable(recs, services, k + stale)
        if fresh:
            recs = {s: discovery.rotate(r, visits[s], acted, k) for s, r in recs.items()}
        return self._serve(
            user_id, history, {s: recs.get(s, []) for s in sections}, log_impressions
        )

    def _recent_visits(
        self, user_id: int, sections: Sequence[str]
    ) -> dict[str, list[frozenset[str]]]:
        """Each section's titles shown in the user's last visits (what rotation reads)."""
        with self.db.session() as session:
            return {
                s: impression_store.recent_visits(session, user_id, s, discovery.RECENT_VISITS)
                for s in sections
            }

    def _streaming_services(self, user_id: int) -> MyServices | None:
        """The user's services when Home's "Only what I can stream" is on and TMDb is there."""
        if not isinstance(self.art, TmdbClient) or not self.art.enabled:
            return None
        with self.db.session() as session:
            services = load_services(preference_store.services(session, user_id))
        return services if services is not None and services.active else None

    def _streamable(
        self, recs: Mapping[str, list[Recommendation]], services: MyServices, k: int
    ) -> dict[str, list[Recommendation]]:
        """Each deep list cut to the titles known to stream on ``services`` (the model's order,
        ranks renumbered). A list is left unfiltered (its best ``k``) while it has fewer than
        ``k`` known streamable titles and some still unknown, or TMDb is failing: Home then
        says so. Never waits for TMDb (:class:`recsys.tmdb.streaming.StreamingCatalog`)."""
        assert isinstance(self.art, TmdbClient)
        every = [r.tconst for rows in recs.values() for r in rows]
        found = StreamingCatalog(self.art).availability(every, services)
        return {section: keep_streamable(rows, found, k) for section, rows in recs.items()}

    def saved(self, user_id: int) -> set[str]:
        """The user's watchlist: left out of the picks as rated titles are (already chosen)."""
        with self.db.session() as session:
            return watchlist_store.tconsts(session, user_id)

    def excluded(self, user_id: int) -> set[str]:
        """What the picks leave out besides rated titles: the watchlist and the titles the
        user hid ("Not for me", "Stop using this"), read in one session."""
        with self.db.session() as session:
            return watchlist_store.tconsts(session, user_id) | hidden_for_picks(session, user_id)

    def _serve(
        self,
        user_id: int,
        history: UserHistory,
        recs: Mapping[Section, Sequence[Recommendation]],
        log_impressions: bool,
    ) -> dict[Section, list[TitleCard]]:
        """Cards for ranked titles (one catalog read, one art batch), impressions logged;
        each card's ``why`` is its section's caption (the picks and genres behind the list)."""
        engine = self._engine()
        why = {s: engine.list_reason(history, rows).sentence for s, rows in recs.items() if rows}
        with self.db.session() as session:
            titles = catalog_store.titles_by_id(
                session, [r.tconst for rows in recs.values() for r in rows]
            )
            if log_impressions:
                for section, rows in recs.items():
                    shown = [(r.tconst, r.rank, r.source) for r in rows if r.tconst in titles]
                    impression_store.log_shown(session, user_id, section, shown)
        cards = {
            section: [
                card_from_title(
                    titles[r.tconst],
                    rank=r.rank,
                    score=float(r.score),
                    model_part=r.source,
                    why=why[section],
                )
                for r in rows
                if r.tconst in titles
            ]
            for section, rows in recs.items()
        }
        # with_art keeps order and length: one batch for all sections, split back in order.
        dressed = iter(with_art([c for group in cards.values() for c in group], self.art))
        return {section: [next(dressed) for _ in group] for section, group in cards.items()}

    def title_details(self, tconst: str, user_id: int | None = None) -> TitleCard | None:
        """Everything the More-info dialog shows, with a one-line reason when we can."""
        with self.db.session() as session:
            title = session.get(Title, tconst)
            if title is None:
                return None
            card = card_from_title(title)
        if user_id is not None and self.engine is not None:
            try:
                explanation = self.engine.explain(self.ratings.history(user_id), tconst)
                card = replace(card, why=explanation.reason)
            except Exception:  # an explanation is a nicety; the dialog still opens
                log.exception("explanation failed for %s", tconst)
        return with_art([card], self.art)[0]

    def more_info_extras(self, tconst: str, region: str) -> MoreInfoExtras | None:
        """Where to watch ``tconst`` in ``region`` and its trailer; None without a TMDb key."""
        return tmdb_extras.more_info_extras(self.art, tconst, region)

    def where_to_watch(self, tconst: str, region: str) -> WatchProviders | None:
        """TMDb's (JustWatch's) offers for ``tconst`` in ``region``; None without a key."""
        return tmdb_extras.where_to_watch(self.art, tconst, region)

    def trailer(self, tconst: str) -> Trailer | None:
        """The title's YouTube trailer (official first), or None."""
        return tmdb_extras.trailer(self.art, tconst)

    def search(self, query: str, limit: int = 20) -> list[TitleCard]:
        """Catalog titles whose name contains the query."""
        text = (query or "").strip()[:200]
        if not text or has_control_characters(text):
            return []  # titles hold no control characters (and PostgreSQL refuses NUL)
        with self.db.session() as session:
            cards = [card_from_title(t) for t in catalog_store.search(session, text, limit=limit)]
        return with_art(cards, self.art)

    def cards(self, tconsts: Iterable[str], *, art: bool = True) -> list[TitleCard]:
        """Cards for known titles, in the given order (``art=False``: no TMDb lookups)."""
        wanted = list(tconsts)
        with self.db.session() as session:
            titles = catalog_store.titles_by_id(session, wanted)
            cards = [card_from_title(titles[t]) for t in wanted if t in titles]
        return with_art(cards, self.art) if art else cards

    def explain(self, user_id: int, tconst: str) -> Explanation:
        """The engine's account of why ``tconst`` ranks where it does for this user."""
        return self._engine().explain(self.ratings.history(user_id), tconst)

    def taste_map(self, user_id: int, recommended: Sequence[str] = ()) -> pd.DataFrame:
        """2-D coordinates of the user's likes, dislikes and recommendations (a scatter plot).

        Columns: x, y, tconst, title, kind ("liked" | "disliked" | "recommended").
        """
        points = self._engine().map_points(self.ratings.history(user_id), list(recommended))
        return pd.DataFrame(
            [(p.x, p.y, p.tconst, p.title, p.kind) for p in points],
            columns=["x", "y", "tconst", "title", "kind"],
        )
