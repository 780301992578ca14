"""Where to watch a title and its trailer: typed values and TMDb's answers read into them.

Pure functions, no network and no Streamlit: :mod:`recsys.tmdb.extras` fetches and caches,
the More-info dialog draws. TMDb's ``watch/providers`` data comes from JustWatch, and TMDb's
terms ask that it is attributed to JustWatch with TMDb's link for the title
(:data:`JUSTWATCH_ATTRIBUTION`, :attr:`WatchProviders.link`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

JUSTWATCH_ATTRIBUTION = "Availability data from JustWatch"
DEFAULT_REGION = "US"
LOGO_SIZE = "w92"
YOUTUBE_WATCH = "https://www.youtube.com/watch?v="

OfferKind = Literal["flatrate", "free", "ads", "rent", "buy"]
#: TMDb's offer lists, in the order they are read; the first three are all "Stream".
OFFER_KINDS: tuple[OfferKind, ...] = ("flatrate", "free", "ads", "rent", "buy")

_REGION_RE = re.compile(r"[A-Z]{2}")
_YOUTUBE_KEY_RE = re.compile(r"[A-Za-z0-9_-]{10,20}")  # what st.video takes for YouTube
_LOGO_PATH_RE = re.compile(r"/[A-Za-z0-9_.-]{1,200}")
_LINK_RE = re.compile(r"https?://[^\s\"'<>\\]{1,500}")


# ------------------------------------------------------------------------------ region
def normalize_region(value: str | None) -> str | None:
    """An ISO 3166-1 alpha-2 code in upper case (``"gb"`` -> ``"GB"``), or None if it is not one."""
    code = (value or "").strip().upper()
    return code if _REGION_RE.fullmatch(code) else None


def region_from_locale(locale: str | None) -> str | None:
    """The country of a browser locale (``en-GB`` -> ``GB``, ``zh-Hant-TW`` -> ``TW``,
    ``pt_BR`` -> ``BR``); None when it names no country (``fr``, ``es-419``)."""
    parts = re.split(r"[-_]", (locale or "").strip())
    for part in parts[1:]:
        if len(part) == 2 and part.isalpha():
            return part.upper()
    return None


def choose_region(setting: str | None, locale: str | None) -> str:
    """The configured region when it is valid, else the browser's country, else ``US``."""
    return normalize_region(setting) or region_from_locale(locale) or DEFAULT_REGION


# ------------------------------------------------------------------------------ providers
@dataclass(frozen=True)
class ProviderOffer:
    """One service offering the title (Netflix, Apple TV, ...), as TMDb lists it."""

    provider_id: int
    name: str
    logo_url: str | None
    kind: OfferKind
    priority: int = 0  # TMDb's display_priority: lower first


@dataclass(frozen=True)
class WatchProviders:
    """The offers for one title in one region, grouped the way the dialog shows them.

    ``stream`` holds subscription offers first, then free and with-ads ones (a provider once).
    ``found=False`` means TMDb does not know the title; ``error`` says why there is no answer
    (never cached: "timeout", "http_500", "breaker_open", ...).
    """

    region: str
    link: str | None = None
    stream: tuple[ProviderOffer, ...] = ()
    rent: tuple[ProviderOffer, ...] = ()
    buy: tuple[ProviderOffer, ...] = ()
    found: bool = True
    error: str | None = field(default=None, compare=False)

    @property
    def empty(self) -> bool:
        return not (self.stream or self.rent or self.buy)

    @property
    def groups(self) -> list[tuple[str, tuple[ProviderOffer, ...]]]:
        """("Stream" | "Rent" | "Buy", offers) for the groups that have offers."""
        named = [("Stream", self.stream), ("Rent", self.rent), ("Buy", self.buy)]
        return [(name, offers) for name, offers in named if offers]

    def to_json(self) -> str:
        data = asdict(self)
        data.pop("error")
        return json.dumps(data, ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, payload: str) -> WatchProviders:
        """Inverse of :meth:`to_json`; ``ValueError`` (or ``TypeError``) on anything else."""
        data = json.loads(payload)
        if not isinstance(data, dict) or normalize_region(data.get("region")) is None:
            raise ValueError("not a WatchProviders payload")

        def offers(name: str) -> tuple[ProviderOffer, ...]:
            return tuple(ProviderOffer(**item) for item in data.get(name) or ())

        link = data.get("link")
        return cls(
            region=data["region"],
            link=link if isinstance(link, str) and _LINK_RE.fullmatch(link) else None,
            stream=offers("stream"),
            rent=offers("rent"),
            buy=offers("buy"),
            found=bool(data.get("found", True)),
        )


def parse_watch_providers(payload: Any, region: str, image_base: str) -> WatchProviders:
    """TMDb's ``/3/{movie|tv}/{id}/watch/providers`` answer for ``region``.

    Raises ``ValueError`` when the answer is not the documented shape (a failure, not cached);
    malformed single offers are skipped.
    """
    if not isinstance(payload, dict) or not isinstance(payload.get("results", {}), dict):
        raise ValueError("TMDb watch/providers answer is not an object with results")
    entry = payload.get("results", {}).get(region) or {}
    if not isinstance(entry, dict):
        raise ValueError(f"TMDb watch/providers entry for {region} is not an object")
    by_kind = {kind: _offers(entry.get(kind), kind, image_base) for kind in OFFER_KINDS}
    stream: dict[int, ProviderOffer] = {}
    for kind in ("flatrate", "free", "ads"):
        for offer in by_kind[kind]:
            stream.setdefault(offer.provider_id, offer)
    link = entry.get("link")
    return WatchProviders(
        region=region,
        link=link if isinstance(link, str) and _LINK_RE.fullmatch(link) else None,
        stream=tuple(stream.values()),
        rent=by_kind["rent"],
        buy=by_kind["buy"],
    )


def _offers(items: Any, kind: OfferKind, image_base: str) -> tuple[ProviderOffer, ...]:
    if not isinstance(items, list):
        return ()
    out: dict[int, ProviderOffer] = {}
    for item in items:
        if not isinstance(item, dict):
            continue
        pid, name = item.get("provider_id"), item.get("provider_name")
        if not isinstance(pid, int) or isinstance(pid, bool) or not isinstance(name, str):
            continue
        name = " ".join(name.split())[:80]
        if not name or pid in out:
            continue
        priority = item.get("display_priority")
        logo = item.get("logo_path")
        out[pid] = ProviderOffer(
            provider_id=pid,
            name=name,
            logo_url=_logo_url(logo, image_base),
            kind=kind,
            priority=priority if isinstance(priority, int) else 10_000,
        )
    return tuple(sorted(out.values(), key=lambda o: (o.priority, o.name.lower())))


def _logo_url(path: Any, image_base: str) -> str | None:
    if not isinstance(path, str) or not _LOGO_PATH_RE.fullmatch(path):
        return None
    return f"{image_base if image_base.endswith('/') else image_base + '/'}{LOGO_SIZE}{path}"


# ------------------------------------------------------------------------------ trailer
@dataclass(frozen=True)
class Trailer:
    """A YouTube trailer from TMDb's ``videos``."""

    key: str
    name: str = "Trailer"
    official: bool = False
    published_at: str = ""  # ISO 8601 as TMDb gives it; compared as text (same format)
    size: int = 0  # 360, 480, 720, 1080, 2160

    @property
    def url(self) -> str:
        return f"{YOUTUBE_WATCH}{self.key}"


def parse_videos(payload: Any) -> list[Trailer]:
    """The YouTube trailers of a ``/3/{movie|tv}/{id}/videos`` answer (``ValueError`` on a bad
    shape; other sites, teasers, clips and malformed keys are left out)."""
    if not isinstance(payload, dict) or not isinstance(payload.get("results", []), list):
        raise ValueError("TMDb videos answer is not an object with a results list")
    out = []
    for item in payload.get("results", []):
        if not isinstance(item, dict):
            continue
        key, site, kind = item.get("key"), item.get("site"), item.get("type")
        if not (isinstance(site, str) and site.lower() == "youtube" and kind == "Trailer"):
            continue
        if not isinstance(key, str) or not _YOUTUBE_KEY_RE.fullmatch(key):
            continue
        name, published, size = item.get("name"), item.get("published_at"), item.get("size")
        out.append(
            Trailer(
                key=key,
                name=" ".join(name.split())[:120] if isinstance(name, str) and name else "Trailer",
                official=item.get("official") is True,
                published_at=published if isinstance(published, str) else "",
                size=size if isinstance(size, int) and not isinstance(size, bool) else 0,
            )
        )
    return out


def choose_trailer(trailers: Iterable[Trailer]) -> Trailer | None:
    """Official first, then the most recent, then the largest; None when there is none."""
    ranked = sorted(trailers, key=lambda t: (t.official, t.published_at, t.size), reverse=True)
    return ranked[0] if ranked else None


def trailer_to_json(trailer: Trailer | None) -> str:
    """The cache payload (``{"trailer": null}`` when the title has none: a cached miss)."""
    return json.dumps({"trailer": asdict(trailer) if trailer else None}, sort_keys=True)


def trailer_from_json(payload: str) -> Trailer | None:
    data = json.loads(payload)
    if not isinstance(data, dict) or "trailer" not in data:
        raise ValueError("not a trailer payload")
    item: Mapping[str, Any] | None = data["trailer"]
    if item is None:
        return None
    trailer = Trailer(**item)
    if not _YOUTUBE_KEY_RE.fullmatch(trailer.key):
        raise ValueError("bad trailer key")
    return trailer


__all__ = [
    "DEFAULT_REGION",
    "JUSTWATCH_ATTRIBUTION",
    "LOGO_SIZE",
    "OFFER_KINDS",
    "ProviderOffer",
    "Trailer",
    "WatchProviders",
    "choose_region",
    "choose_trailer",
    "normalize_region",
    "parse_videos",
    "parse_watch_providers",
    "region_from_locale",
    "trailer_from_json",
    "trailer_to_json",
]
