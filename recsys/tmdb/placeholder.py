"""Generated placeholder posters for titles without TMDb art.

A card must never show a broken image: without a key, on a TMDb miss or failure, it shows a 2:3
SVG with the title (wrapped), the year and a gradient chosen by the first genre. Titles are data,
so every piece of text is stripped of characters XML forbids and escaped; the output always
parses as XML, whatever the title.
"""

from __future__ import annotations

import base64
import hashlib
import re
import unicodedata
from collections.abc import Iterable
from html import escape
from typing import Any

WIDTH = 342
HEIGHT = 513  # 2:3, the same box as TMDb's w342 posters

#: Two gradient stops per IMDb genre: distinct, calm, and dark enough for white text.
GENRE_PALETTE: dict[str, tuple[str, str]] = {
    "Action": ("#8e2d2d", "#3a1212"),
    "Adult": ("#6d3552", "#2b1220"),
    "Adventure": ("#a35b1f", "#3f220b"),
    "Animation": ("#2f7d8c", "#123840"),
    "Biography": ("#6b5b3e", "#2a2318"),
    "Comedy": ("#b07a12", "#4a3206"),
    "Crime": ("#37474f", "#12181b"),
    "Documentary": ("#4f6d3a", "#1e2b15"),
    "Drama": ("#5b3f8c", "#21163a"),
    "Family": ("#3f8c6b", "#163a2b"),
    "Fantasy": ("#6a3f9c", "#26123d"),
    "Film-Noir": ("#444444", "#111111"),
    "Game-Show": ("#c0562b", "#4a1d0c"),
    "History": ("#7a5a2e", "#2f2210"),
    "Horror": ("#5c1a1a", "#160606"),
    "Music": ("#a03a74", "#3d142b"),
    "Musical": ("#b0486e", "#44172a"),
    "Mystery": ("#2e4a6b", "#101c2b"),
    "News": ("#3a5a7a", "#14212e"),
    "Reality-TV": ("#b3562e", "#45200f"),
    "Romance": ("#a8435a", "#40141f"),
    "Sci-Fi": ("#1f6f8b", "#0b2a36"),
    "Short": ("#5a6b7a", "#20272e"),
    "Sport": ("#2e7a4a", "#0f2e1b"),
    "Talk-Show": ("#8a6a2e", "#352810"),
    "Thriller": ("#4a2e5c", "#1a0f22"),
    "War": ("#5a5a3a", "#222214"),
    "Western": ("#9c6a3a", "#3b2613"),
}
_FALLBACKS: tuple[tuple[str, str], ...] = tuple(GENRE_PALETTE[g] for g in sorted(GENRE_PALETTE))

# Characters XML 1.0 forbids, plus lone surrogates (they cannot even be encoded as UTF-8).
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_CHARS_PER_LINE = 16
_MAX_LINES = 6


def clean_text(value: Any) -> str:
    """``value`` as one line of XML-safe text (not yet escaped); ``None``/NA become ``""``."""
    if value is None or not isinstance(value, str):
        return ""
    return " ".join(_NOT_XML.sub("", value).split())


def display_width(text: str) -> int:
    """Width in half-em cells: East Asian wide characters and emoji count double."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _em_width(text: str) -> float:
    """A pessimistic width of bold sans text in em, to size the title font so it fits."""

    def em(char: str) -> float:
        if unicodedata.east_asian_width(char) in "WF" or char in "WMŒÆ@%":
            return 1.0
        return 0.74 if char.isupper() or char.isdigit() else 0.6

    return max(1.0, sum(em(c) for c in text))


def _cut(word: str, room: int) -> tuple[str, str]:
    """Split ``word`` so the head fits in ``room`` cells (at least one character)."""
    used = 0
    for i, char in enumerate(word):
        used += display_width(char)
        if used > room:
            return word[: max(i, 1)], word[max(i, 1) :]
    return word, ""


def wrap_title(title: str, width: int = _CHARS_PER_LINE, max_lines: int = _MAX_LINES) -> list[str]:
    """Greedy word wrap by display width; over-long words are cut; overflow ends in "…"."""
    lines: list[str] = []
    current = ""
    for word in title.split():
        while display_width(word) > width:  # a very long word: fill the line, then cut
            room = width - display_width(current) - (1 if current else 0)
            if room < 2:
                lines.append(current)
                current, room = "", width
            head, word = _cut(word, room)
            current = f"{current} {head}" if current else head
        if not word:
            continue
        if not current:
            current = word
        elif display_width(current) + 1 + display_width(word) <= width:
            current = f"{current} {word}"
        else:
            lines.append(current)
            current = word
    if current:
        lines.append(current)
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = _cut(lines[-1], width - 1)[0].rstrip() + "…"
    return lines


def _year_text(year: Any) -> str:
    try:
        value = int(year)
    except (TypeError, ValueError, OverflowError):
        return ""
    return str(value) if 1000 <= value <= 9999 else ""


def _genre_list(genres: str | Iterable[str] | None) -> list[str]:
    if genres is None or (not isinstance(genres, str) and not isinstance(genres, Iterable)):
        return []  # None, pandas NA, NaN
    items = genres.split(",") if isinstance(genres, str) else list(genres)
    return [g for g in (clean_text(item) for item in items) if g and g != r"\N"]


def genre_colours(genres: str | Iterable[str] | None, title: str = "") -> tuple[str, str]:
    """The gradient for a title: the first genre's colours, else a stable pick by hash."""
    names = _genre_list(genres)
    if names and names[0] in GENRE_PALETTE:
        return GENRE_PALETTE[names[0]]
    seed = (names[0] if names else clean_text(title)).encode("utf-8")
    digest = hashlib.sha256(seed).digest()  # not hash(): that changes between processes
    return _FALLBACKS[int.from_bytes(digest[:4], "big") % len(_FALLBACKS)]


def placeholder_svg(title: Any, year: Any = None, genres: str | Iterable[str] | None = None) -> str:
    """A 2:3 placeholder poster as SVG text. ``genres`` is IMDb's "A,B,C" or a list."""
    name = clean_text(title) or "Untitled"
    year_text = _year_text(year)
    genre_names = _genre_list(genres)
    top, bottom = genre_colours(genres, name)
    lines = wrap_title(name)
    widest = max(_em_width(line) for line in lines)
    font = max(14, min(34 if len(lines) <= 3 else 28, int(300 / widest)))
    step = font * 1.2
    first_y = HEIGHT * 0.42 - step * (len(lines) - 1) / 2
    tspans = "".join(
        f'<tspan x="{WIDTH / 2:g}" y="{first_y + i * step:.1f}">{escape(line)}</tspan>'
        for i, line in enumerate(lines)
    )
    shown = genre_names[:3]
    while len(shown) > 1 and display_width(", ".join(shown)) > 26:
        shown.pop()
    subtitle = " · ".join(p for p in (year_text, ", ".join(shown)) if p)
    gid = "g" + hashlib.sha256(f"{top}{bottom}".encode()).hexdigest()[:8]
    label = escape(f"{name} ({year_text})" if year_text else name)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{label}">'
        f"<title>{label}</title>"
        f'<defs><linearGradient id="{gid}" x1="0" y1="0" x2="0.4" y2="1">'
        f'<stop offset="0" stop-color="{top}"/><stop offset="1" stop-color="{bottom}"/>'
        f"</linearGradient></defs>"
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="url(#{gid})"/>'
        f'<rect x="14" y="14" width="{WIDTH - 28}" height="{HEIGHT - 28}" rx="10" fill="none" '
        f'stroke="#ffffff" stroke-opacity="0.25" stroke-width="2"/>'
        f'<text fill="#ffffff" font-family="system-ui, -apple-system, Segoe UI, Roboto, '
        f'Helvetica, Arial, sans-serif" font-size="{font}" font-weight="700" '
        f'text-anchor="middle">{tspans}</text>'
        f'<text x="{WIDTH / 2:g}" y="{HEIGHT - 44}" fill="#ffffff" fill-opacity="0.8" '
        f'font-family="system-ui, sans-serif" font-size="18" text-anchor="middle">'
        f"{escape(subtitle)}</text></svg>"
    )


def svg_data_uri(svg: str) -> str:
    """``data:image/svg+xml;base64,...`` for an ``<img src>`` (st.image takes it too)."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def placeholder_data_uri(
    title: Any, year: Any = None, genres: str | Iterable[str] | None = None
) -> str:
    """:func:`placeholder_svg` as a data URI."""
    return svg_data_uri(placeholder_svg(title, year, genres))


def poster_src(
    poster_url: str | None,
    title: Any,
    year: Any = None,
    genres: str | Iterable[str] | None = None,
) -> str:
    """What a card's image shows: the TMDb poster when there is one, else the placeholder."""
    return poster_url or placeholder_data_uri(title, year, genres)


__all__ = [
    "GENRE_PALETTE",
    "HEIGHT",
    "WIDTH",
    "clean_text",
    "display_width",
    "genre_colours",
    "placeholder_data_uri",
    "placeholder_svg",
    "poster_src",
    "svg_data_uri",
    "wrap_title",
]
