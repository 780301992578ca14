"""Importing ratings from IMDb and Letterboxd: preview a file, then store what it found.

:meth:`Imports.preview` reads and matches a file and stores nothing; :meth:`Imports.apply`
writes the preview's likes and dislikes dated when they were rated (source ``import_imdb`` /
``import_letterboxd``), never over a newer choice, so importing the same file twice changes
nothing. The title index Letterboxd rows are matched with is built once per catalog and
process (about 75k titles) and shared by every service instance.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy import func, select

from recsys.imports import (
    ImportFileError,
    ImportPreview,
    Sample,
    TitleIndex,
    build_preview,
    read_export,
)
from recsys.imports.matching import CatalogTitle
from recsys.store import catalog as catalog_store
from recsys.store import interactions as interaction_store
from recsys.store import users as user_store
from recsys.store.db import Database
from recsys.store.models import Title, utcnow

#: Re-exported so that pages need only ``recsys.services``.
__all__ = ["ImportFileError", "ImportPreview", "ImportResult", "Imports", "Sample"]

_INDEX_LOCK = threading.Lock()
#: Database URL -> (catalog key, index): one index per catalog, rebuilt after a new ingest.
_INDEXES: dict[str, tuple[tuple[object, ...], TitleIndex]] = {}


@dataclass(frozen=True, kw_only=True)
class ImportResult(interaction_store.MergeCounts):
    """What :meth:`Imports.apply` stored: the merge's counts for the file's likes and
    dislikes; ``added + changed`` rows now carry the import."""

    format: str
    likes: int
    dislikes: int

    @property
    def stored(self) -> int:
        return self.added + self.changed


@dataclass(frozen=True)
class Imports:
    """Rating imports for one database; ``clock`` dates undated rows and caps future ones."""

    db: Database
    clock: Callable[[], datetime] = utcnow

    def preview(self, user_id: int, filename: str, data: bytes) -> ImportPreview:
        """What importing ``data`` would do; raises :class:`ImportFileError` for a bad file."""
        parsed = read_export(filename or "", data)
        with self.db.session() as session:
            if user_store.by_id(session, user_id) is None:
                raise ImportFileError("That account no longer exists.")
        return build_preview(user_id, filename or "", parsed, self.index(), self.clock())

    def apply(self, user_id: int, preview: ImportPreview) -> ImportResult:
        """Store the preview's choices in one transaction (all or nothing)."""
        if preview.user_id != user_id:
            raise ImportFileError("This preview was made for another account; upload again.")
        choices = [
            interaction_store.DatedChoice(c.tconst, c.liked, c.rated_at) for c in preview.choices
        ]
        with self.db.session() as session:
            if user_store.by_id(session, user_id) is None:
                raise ImportFileError("That account no longer exists.")
            counts = interaction_store.merge_dated(session, user_id, choices, source=preview.source)
        return ImportResult(
            **asdict(counts), format=preview.format, likes=preview.likes, dislikes=preview.dislikes
        )

    def index(self) -> TitleIndex:
        """The catalog's title index, built on first use and again after a new catalog."""
        with self.db.session() as session:
            run = catalog_store.latest_run(session)
            key = (
                run.id if run else None,
                session.scalar(select(func.count(Title.tconst))),
                session.scalar(select(func.max(Title.tconst))),
            )
            with _INDEX_LOCK:
                cached = _INDEXES.get(self.db.url)
                if cached is not None and cached[0] == key:
                    return cached[1]
                rows = session.execute(
                    select(
                        Title.tconst,
                        Title.primary_title,
                        Title.title_type,
                        Title.start_year,
                        Title.original_title,
                    )
                )
                index = TitleIndex.build(CatalogTitle(*row) for row in rows)
                _INDEXES[self.db.url] = (key, index)
                return index
