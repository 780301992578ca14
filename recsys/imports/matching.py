"""Title-and-year matching of Letterboxd films against the catalog, through one index.

Names are compared normalised (case, accents, punctuation, ``&``/``and``, a leading article in
several languages); the year may be one off (festival against release year). The index is a
dict from normalised name to the titles carrying it, built once per catalog, so matching a row
is a dictionary look-up rather than a scan. A name with several candidates in the year window
is ambiguous and listed for the user, never guessed.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

#: Leading articles dropped before comparing ("The Matrix" = "Matrix, The" = "Matrix").
_ARTICLES = ("the", "a", "an", "le", "la", "les", "l", "el", "los", "las", "il", "lo", "gli",
             "der", "die", "das", "de", "het", "een", "un", "une", "o", "os", "as")  # fmt: skip
_ARTICLE = re.compile(rf"^(?:{'|'.join(_ARTICLES)})\s+")
_TRAILING_ARTICLE = re.compile(rf",\s*(?:{'|'.join(_ARTICLES)})$")
_NOT_WORD = re.compile(r"[\W_]+")  # letters of every script stay (Сталкер, 千と千尋)
YEAR_SLACK = 1


def normalise_title(name: str) -> str:
    """A comparison key: lower case, no accents or punctuation, no leading article."""
    text = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", name).casefold())
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = text.replace("&", " and ").replace("'", "").replace("’", "")
    text = _TRAILING_ARTICLE.sub("", text.strip())
    text = _NOT_WORD.sub(" ", text).strip()
    stripped = _ARTICLE.sub("", text)
    return (stripped or text).replace(" ", "")


@dataclass(frozen=True)
class CatalogTitle:
    """What an import needs of a catalog title."""

    tconst: str
    title: str
    title_type: str
    year: int | None
    original_title: str | None = None


@dataclass(frozen=True)
class Match:
    """The one title a row matched, or the candidates that made it ambiguous (or neither)."""

    title: CatalogTitle | None
    candidates: tuple[CatalogTitle, ...] = ()


@dataclass
class TitleIndex:
    """Every catalog title by tconst, and the matchable ones (movies) by normalised name."""

    by_id: dict[str, CatalogTitle] = field(default_factory=dict)
    by_name: dict[str, list[CatalogTitle]] = field(default_factory=dict)

    @classmethod
    def build(
        cls, titles: Iterable[CatalogTitle], name_types: Iterable[str] = ("movie",)
    ) -> TitleIndex:
        index = cls()
        types = set(name_types)
        for title in titles:
            index.by_id[title.tconst] = title
            if title.title_type not in types:
                continue
            keys = {normalise_title(title.title)}
            if title.original_title:
                keys.add(normalise_title(title.original_title))
            for key in keys:
                if key:
                    index.by_name.setdefault(key, []).append(title)
        return index

    def __len__(self) -> int:
        return len(self.by_id)

    def get(self, tconst: str) -> CatalogTitle | None:
        return self.by_id.get(tconst)

    def match(self, name: str, year: int | None) -> Match:
        """The title called ``name`` from ``year`` ± 1; the closest year wins a tie of names."""
        found = self.by_name.get(normalise_title(name), [])
        if year is not None:
            found = [t for t in found if t.year is not None and abs(t.year - year) <= YEAR_SLACK]
            exact = [t for t in found if t.year == year]
            if len(exact) == 1:
                return Match(exact[0])
        if len(found) == 1:
            return Match(found[0])
        return Match(None, tuple(sorted(found, key=lambda t: (t.year or 0, t.tconst))))
