"""Home's filters and the catalog facts they read: re-ranking without refitting.

A filter is a candidate mask applied before the top-k cut (like "already rated" and "right
section"), so a filtered list still holds ``k`` titles whenever the catalog has them, and the
models' scores are untouched: no refit, no second model. :class:`CatalogFacets` keeps the few
catalog columns a filter reads as arrays in catalog order (about 6 bytes a title plus the genre
indicators), fitted with the engine.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
import scipy.sparse as sp

from recsys.models.base import split_genres
from recsys.schema import SECTION_TYPES

Kind = Literal["both", "movie", "tv"]
KINDS: tuple[Kind, ...] = ("both", "movie", "tv")
#: "Hidden gems": titles with at most this many IMDb votes (a well-known film has millions;
#: 50,000 keeps cult and festival titles that still have a reliable rating).
GEM_MAX_VOTES = 50_000
#: The years a filter may name (IMDb's first film to a few years ahead).
YEAR_BOUNDS = (1874, 2035)


class FilterError(ValueError):
    """A filter value that cannot be applied (the message says which and why)."""


@dataclass(frozen=True)
class HomeFilters:
    """What the user narrowed Home to. The default filters nothing.

    ``years``: inclusive (from, to) on the start year (titles without a year are kept only
    without a year filter); ``max_votes``: hidden gems, at most that many votes;
    ``exclude_genres``: a title is left out if ANY of its genres is one of them;
    ``kind``: movies only, TV only or both.
    """

    years: tuple[int, int] | None = None
    max_votes: int | None = None
    exclude_genres: tuple[str, ...] = ()
    kind: Kind = "both"

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise FilterError(f"kind must be one of {KINDS}, not {self.kind!r}")
        if self.years is not None:
            lo, hi = self.years
            if not (isinstance(lo, int) and isinstance(hi, int)) or lo > hi:
                raise FilterError(f"a year range runs from an earlier to a later year: {lo}-{hi}")
            if lo < YEAR_BOUNDS[0] or hi > YEAR_BOUNDS[1]:
                raise FilterError(f"years must lie within {YEAR_BOUNDS[0]}-{YEAR_BOUNDS[1]}")
        if self.max_votes is not None and (
            not isinstance(self.max_votes, int) or self.max_votes < 0
        ):
            raise FilterError("the vote cap must be a whole number of votes, 0 or more")
        if any(not isinstance(g, str) or not g for g in self.exclude_genres):
            raise FilterError("excluded genres must be genre names")

    @property
    def active(self) -> bool:
        return self != HomeFilters()

    def summary(self) -> str:
        """The active filters in words ("" when none), for a caption."""
        bits = []
        if self.years:
            bits.append(f"{self.years[0]}–{self.years[1]}")
        if self.max_votes is not None:
            bits.append(f"hidden gems (≤ {self.max_votes:,} votes)")
        if self.exclude_genres:
            bits.append("without " + ", ".join(self.exclude_genres))
        if self.kind != "both":
            bits.append({"movie": "movies only", "tv": "TV only"}[self.kind])
        return " · ".join(bits)

    def sections(self, sections: Sequence[str]) -> tuple[str, ...]:
        """The Home sections this filter leaves (``kind`` movie: no TV section)."""
        return tuple(s for s in sections if self.kind in ("both", s))

    def to_dict(self) -> dict[str, Any]:
        return {
            "years": list(self.years) if self.years else None,
            "max_votes": self.max_votes,
            "exclude_genres": list(self.exclude_genres),
            "kind": self.kind,
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> HomeFilters:
        """Filters as :meth:`to_dict` stored them; raises :class:`FilterError` on bad values."""
        years = raw.get("years")
        try:
            span = None if years is None else (int(years[0]), int(years[1]))
            votes = raw.get("max_votes")
            return cls(
                years=span,
                max_votes=None if votes is None else int(votes),
                exclude_genres=tuple(sorted(str(g) for g in raw.get("exclude_genres") or ())),
                kind=raw.get("kind", "both"),
            )
        except (TypeError, ValueError, IndexError) as exc:
            if isinstance(exc, FilterError):
                raise
            raise FilterError(f"unreadable filters: {exc}") from None


@dataclass(frozen=True)
class CatalogFacets:
    """The catalog columns filters read, as arrays in catalog (``items_``) order.

    ``years`` is 0 where a title has no year; ``genre_matrix`` is an item x genre indicator
    (columns named by ``genre_names``); ``type_codes`` the IMDb type per item as an index
    into ``type_names`` (75,000 titles: about 1.3 MB in all).
    """

    years: np.ndarray
    votes: np.ndarray
    genre_names: np.ndarray
    genre_matrix: sp.csc_matrix
    type_names: np.ndarray
    type_codes: np.ndarray

    @classmethod
    def from_catalog(cls, catalog: pd.DataFrame) -> CatalogFacets:
        years = pd.to_numeric(catalog["start_year"], errors="coerce").fillna(0)
        votes = pd.to_numeric(catalog["num_votes"], errors="coerce").fillna(0)
        rows, cols, names = [], [], {}
        for i, g in enumerate(catalog["genres"].tolist()):
            for name in split_genres(g):
                rows.append(i)
                cols.append(names.setdefault(name, len(names)))
        matrix = sp.csc_matrix(
            (np.ones(len(rows), dtype=np.int8), (rows, cols)), shape=(len(catalog), len(names))
        )
        type_names, type_codes = np.unique(
            catalog["title_type"].astype(str).to_numpy(dtype=str), return_inverse=True
        )
        return cls(
            years=years.to_numpy(dtype=np.int16),
            votes=votes.to_numpy(dtype=np.int64),
            genre_names=np.asarray(list(names), dtype=str),
            genre_matrix=matrix,
            type_names=type_names,
            type_codes=type_codes.astype(np.int8),
        )

    @property
    def genres(self) -> tuple[str, ...]:
        return tuple(sorted(self.genre_names.tolist()))

    def mask(self, filters: HomeFilters) -> np.ndarray:
        """True for titles the filters keep."""
        keep = np.ones(len(self.years), dtype=bool)
        if filters.years is not None:
            lo, hi = filters.years
            keep &= (self.years >= lo) & (self.years <= hi)
        if filters.max_votes is not None:
            keep &= self.votes <= filters.max_votes
        if filters.exclude_genres:
            cols = np.flatnonzero(np.isin(self.genre_names, list(filters.exclude_genres)))
            if cols.size:
                keep &= np.asarray(self.genre_matrix[:, cols].sum(axis=1)).ravel() == 0
        if filters.kind != "both":
            wanted = np.flatnonzero(np.isin(self.type_names, SECTION_TYPES[filters.kind]))
            keep &= np.isin(self.type_codes, wanted)
        return keep
