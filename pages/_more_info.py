"""The More-info dialog's TMDb extras: "Where to watch" and the trailer.

Both come from one service call (``service.picks.more_info_extras``) made only when the dialog
opens, so Home never waits for them. Without a TMDb key nothing here is drawn; when TMDb fails
the trailer is left out and "Where to watch" says it is not available right now. Provider names
and links are data: they go through ``html.escape``.
"""

from __future__ import annotations

import html
from typing import Any

import streamlit as st

from pages._auth import context
from recsys.config import Settings
from recsys.tmdb.extras import MoreInfoExtras
from recsys.tmdb.watch import (
    JUSTWATCH_ATTRIBUTION,
    ProviderOffer,
    Trailer,
    WatchProviders,
    choose_region,
)

WATCH_CSS = """
<style>
.mq-watch { display: flex; flex-direction: column; gap: .55rem; margin-top: .25rem; }
.mq-watch-group { display: flex; align-items: flex-start; gap: .6rem; }
.mq-watch-label { flex: 0 0 4rem; color: #E8B04B; font-weight: 650; font-size: .85rem;
  padding-top: .55rem; }
.mq-watch-row { display: flex; flex-wrap: wrap; gap: .45rem; }
.mq-provider { display: flex; flex-direction: column; align-items: center; width: 4.4rem;
  gap: .2rem; font-size: .72rem; color: #ECE7DF; text-align: center; line-height: 1.15; }
.mq-provider img { width: 2.6rem; height: 2.6rem; border-radius: .5rem; object-fit: cover;
  background: #1A1D24; }
.mq-offer-kind { color: #8E887F; font-size: .66rem; }
.mq-watch-credit { color: #8E887F; font-size: .75rem; }
.mq-watch-credit a { color: #B5AEA3; }
</style>
"""

_KIND_NOTE = {"free": "free", "ads": "with ads"}


def esc(value: Any) -> str:
    return html.escape(str(value if value is not None else ""), quote=True)


def watch_region(settings: Settings) -> str:
    """The configured region, else the browser's country (``en-GB`` -> ``GB``), else US."""
    try:
        locale = st.context.locale
    except Exception:  # no browser (AppTest, scripts): the setting or US
        locale = None
    return choose_region(settings.watch_region, locale)


def more_info_extras(tconst: str) -> None:
    """Where to watch and the trailer for ``tconst`` (nothing at all without a TMDb key)."""
    ctx = context()
    if not ctx.settings.tmdb_enabled:
        return
    region = watch_region(ctx.settings)
    with st.spinner("Looking up where to watch…"):
        extras: MoreInfoExtras | None = ctx.service.picks.more_info_extras(tconst, region)
    if extras is None:
        return
    watch_section(extras.providers)
    if extras.trailer is not None:
        trailer_section(extras.trailer)


def trailer_section(trailer: Trailer) -> None:
    with st.container(key="more_info_trailer"):
        st.video(trailer.url)
        st.caption(trailer.name)


def watch_section(providers: WatchProviders) -> None:
    """Stream / Rent / Buy with logos, attributed to JustWatch with TMDb's link."""
    if not providers.found and providers.error is None:
        return  # TMDb does not know the title: nothing to say
    with st.container(key="more_info_watch"):
        st.markdown(f"**Where to watch** · {providers.region}")  # a checked 2-letter code
        if providers.error is not None:
            st.caption("Where to watch is not available right now.")
            return
        if providers.empty:
            st.caption(f"No streaming, rental or purchase offers in {esc(providers.region)}.")
        else:
            st.html(WATCH_CSS + providers_html(providers))
        st.html(credit_html(providers.link))


def providers_html(providers: WatchProviders) -> str:
    groups = "".join(
        f'<div class="mq-watch-group" data-group="{esc(name.lower())}">'
        f'<div class="mq-watch-label">{esc(name)}</div>'
        f'<div class="mq-watch-row">{"".join(_offer_html(o) for o in offers)}</div></div>'
        for name, offers in providers.groups
    )
    return f'<div class="mq-watch">{groups}</div>'


def _offer_html(offer: ProviderOffer) -> str:
    logo = (
        f'<img src="{esc(offer.logo_url)}" alt="{esc(offer.name)}" loading="lazy"/>'
        if offer.logo_url
        else ""
    )
    note = _KIND_NOTE.get(offer.kind)
    kind = f'<span class="mq-offer-kind">{esc(note)}</span>' if note else ""
    return (
        f'<div class="mq-provider" title="{esc(offer.name)}">{logo}'
        f"<span>{esc(offer.name)}</span>{kind}</div>"
    )


def credit_html(link: str | None) -> str:
    """JustWatch's credit and TMDb's page for the title, as TMDb's terms ask."""
    more = (
        f' · <a href="{esc(link)}" target="_blank" rel="noopener noreferrer">All offers on TMDb</a>'
        if link
        else ""
    )
    return f'<div class="mq-watch-credit">{esc(JUSTWATCH_ATTRIBUTION)}{more}</div>'
