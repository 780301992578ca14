"""Shared Streamlit widgets: poster cards, grids, the More-info dialog, progress, footer.

Titles, names and overviews are data. Every value that ends up in HTML goes through
``html.escape`` (and ``st.html`` sanitises again); values shown through Markdown go through
:func:`md_escape`.
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import streamlit as st

from pages._auth import context
from pages._more_info import more_info_extras
from pages._state import flash, user_state
from recsys.cards import TitleCard
from recsys.config import Settings
from recsys.services import SteeringError, StorageError, WatchlistError
from recsys.services.ratings import Choice
from recsys.services.steering import NOT_FOR_ME, REASON_LABELS

log = logging.getLogger(__name__)

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")

TMDB_NOTICE = "This product uses the TMDB API but is not endorsed or certified by TMDB."


def md_escape(text: Any) -> str:
    """Text safe to embed in Markdown: no formatting, links, HTML or LaTeX from data."""
    return _MD_SPECIAL.sub(r"\\\1", str(text or ""))


def esc(value: Any) -> str:
    return html.escape(str(value if value is not None else ""), quote=True)


# ------------------------------------------------------------------------------ error boundary
@contextmanager
def page_body(what: str = "this page") -> Iterator[None]:
    """Turn any error in a page into a clear message (never a traceback)."""
    try:
        yield
    except Exception as exc:  # Streamlit's rerun/stop are BaseExceptions and pass through
        log.exception("error while showing %s", what)
        st.error(
            f"Sorry, something went wrong while showing {what}. "
            "Please try again in a moment; if it keeps happening, tell the team. "
            f"({type(exc).__name__})",
            icon=":material/error:",
        )


def page_title(title: str, hero: str) -> None:
    """A page's title and the line under it that says what the page is for (``hero`` is
    HTML: the caller escapes any data in it)."""
    st.title(title)
    st.html(f'<p class="mq-hero">{hero}</p>')


def listed(entries: Sequence[Any], empty: str, icon: str, after: str = "") -> bool:
    """A list page's count of ``entries`` ("3 titles" + ``after``), or, with none, what would
    fill it (``empty``, Markdown, with ``icon``); True when there is something to list."""
    if not entries:
        st.info(empty, icon=icon)
        return False
    st.caption(f"{len(entries)} title{'s' if len(entries) != 1 else ''}{after}")
    return True


# ------------------------------------------------------------------------------ card pieces
def card_meta(card: TitleCard) -> str:
    """One line: year · genres · ★ rating."""
    bits = []
    if card.years_label:
        bits.append(card.years_label)
    if card.genres:
        bits.append(", ".join(card.genres[:3]))
    return " · ".join(bits)


def rating_text(card: TitleCard) -> str:
    if card.rating is None:
        return "No IMDb rating"
    return f"★ {card.rating:.1f}  ({card.votes:,} votes)"


def poster_html(card: TitleCard, choice: bool | None = None, *, compact: bool = False) -> str:
    """Poster and caption of a card as escaped HTML."""
    badge = ""
    if choice is True:
        badge = '<span class="mq-badge mq-like">Liked</span>'
    elif choice is False:
        badge = '<span class="mq-badge mq-dislike">Disliked</span>'
    rank = ""
    if card.rank and not compact:
        rank = f'<span class="mq-rank">#{int(card.rank)}</span>'
    rating = (
        f'<span class="mq-rating">★ {card.rating:.1f}</span>' if card.rating is not None else ""
    )
    return (
        f'<div class="mq-card">'
        f'<div class="mq-poster"><img src="{esc(card.poster_src)}" alt="{esc(card.title)}"'
        f' loading="lazy"/>{rank}{badge}</div>'
        f'<div class="mq-title" title="{esc(card.title)}">{esc(card.title)}</div>'
        f'<div class="mq-meta">{esc(card_meta(card))}</div>'
        f'<div class="mq-meta">{rating}'
        f'<span class="mq-votes">{esc(f"{card.votes:,} votes") if card.votes else ""}</span></div>'
        f"</div>"
    )


CARD_CSS = """
<style>
.mq-card { display: flex; flex-direction: column; gap: 0.2rem; }
.mq-poster { position: relative; width: 100%; aspect-ratio: 2 / 3; border-radius: 0.5rem;
  overflow: hidden; background: #1A1D24; box-shadow: 0 6px 18px rgba(0,0,0,.45); }
.mq-poster img { width: 100%; height: 100%; object-fit: cover; display: block; }
.mq-rank { position: absolute; top: .4rem; left: .4rem; background: rgba(15,17,21,.82);
  color: #E8B04B; font-weight: 700; font-size: .78rem; padding: .1rem .45rem; border-radius: 1rem; }
.mq-badge { position: absolute; top: .4rem; right: .4rem; font-size: .75rem; font-weight: 700;
  padding: .12rem .5rem; border-radius: 1rem; }
.mq-like { background: #E8B04B; color: #0F1115; }
.mq-dislike { background: #3A3F4B; color: #ECE7DF; }
.mq-title { font-weight: 650; font-size: .98rem; line-height: 1.25; margin-top: .35rem;
  overflow: hidden; display: -webkit-box; -webkit-line-clamp: 2; -webkit-box-orient: vertical;
  min-height: 2.5em; }
.mq-meta { color: #B5AEA3; font-size: .8rem; line-height: 1.3; white-space: nowrap;
  overflow: hidden; text-overflow: ellipsis; min-height: 1.05rem; }
.mq-rating { color: #E8B04B; font-weight: 600; margin-right: .45rem; }
.mq-votes { color: #8E887F; }
.mq-hero { color: #B5AEA3; margin-top: -0.6rem; }
</style>
"""


def inject_css() -> None:
    st.html(CARD_CSS)


# ------------------------------------------------------------------------------ rating actions
# This visit's choices, watchlist and hidden titles, as stored (in the user's state): the full
# page run reads them from the database once, and every like / dislike / save / hide refreshes
# them from the database, so a card fragment rerun shows the stored state without other reads.
def visit_choices(refresh: bool = False) -> dict[str, bool]:
    """The stored choices of the logged-in user, tconst -> liked (read from the database when
    ``refresh``; the watchlist and hidden titles are then read again too, when next needed)."""
    state = user_state()
    if refresh or state.choices is None:
        ctx = context()
        state.choices = ctx.service.ratings.choices(ctx.user_id)
        state.saved = state.hidden = None
    return state.choices


def visit_saved(refresh: bool = False) -> set[str]:
    """The logged-in user's saved titles (read from the database when ``refresh``)."""
    state = user_state()
    if refresh or state.saved is None:
        ctx = context()
        state.saved = ctx.service.watchlist.tconsts(ctx.user_id)
    return state.saved


def visit_hidden(refresh: bool = False) -> dict[str, str]:
    """The logged-in user's hidden titles and their reasons (read when ``refresh``)."""
    state = user_state()
    if refresh or state.hidden is None:
        ctx = context()
        state.hidden = ctx.service.steering.reasons(ctx.user_id)
    return state.hidden


def rate_title(tconst: str, title: str, choice: Choice) -> None:
    """The buttons' callback: write, record what was stored in the visit's choices and return
    (the card's fragment then reruns alone, draws the stored choice and shows the toast left
    here; a callback of a widget in a fragment must not draw anything itself).

    The write's own result updates the visit's choices and watchlist: re-reading them (and the
    hidden titles) cost three more database round trips a click, for values the write has
    just fixed. Another tab's clicks show on this tab's next page run, which reads them all."""
    ctx = context()
    try:
        # A like or dislike also takes the title off the watchlist (it is no longer "to watch").
        unsaved = ctx.service.watchlist.rate(ctx.user_id, tconst, choice)
    except StorageError as exc:  # e.g. the database restarting: say so, keep the card as stored
        log.warning("rating not saved: %s", exc)
        flash(f"Not saved: {exc}", ":material/error:", toast=True)
        return
    _record(tconst, choice, unsaved)
    if choice is None:
        toast = (f"Took back your rating of {title}", ":material/undo:")
    else:
        word = "Liked" if choice == "like" else "Disliked"
        done = " and took it off your watchlist" if unsaved else ""
        toast = (f"{word} {title}{done}", ":material/check:")
    flash(*toast, toast=True)


def _record(tconst: str, choice: Choice, unsaved: bool) -> None:
    """The visit's choices (and watchlist) after ``choice`` on ``tconst`` was stored."""
    state = user_state()
    choices = visit_choices()
    if choice is None:
        choices.pop(tconst, None)
    else:
        choices[tconst] = choice == "like"
    if unsaved and state.saved is not None:
        state.saved.discard(tconst)


def save_title(tconst: str, title: str, save: bool) -> None:
    """The Save toggle's callback: add to or remove from the watchlist, then refresh this
    visit's saved set (the card's fragment reruns alone and draws it)."""
    ctx = context()
    try:
        if save:
            ctx.service.watchlist.add(ctx.user_id, tconst)
        else:
            ctx.service.watchlist.remove(ctx.user_id, tconst)
    except (StorageError, WatchlistError) as exc:
        log.warning("watchlist not changed: %s", exc)
        flash(f"Not saved: {exc}", ":material/error:", toast=True)
        return
    visit_saved(refresh=True)
    toast = (
        (f"Saved {title} for later", ":material/bookmark_added:")
        if save
        else (f"Removed {title} from your watchlist", ":material/bookmark_remove:")
    )
    flash(*toast, toast=True)


def _pick_reason(tconst: str, title: str) -> None:
    """The "Not for me" pills' callback: the chosen reason, stored at once (the pills are
    reset, so the dialog offers a fresh choice after an Undo)."""
    key = f"notforme_{tconst}_pick"
    reason = st.session_state.get(key)
    st.session_state[key] = None
    if reason in NOT_FOR_ME:
        _steer(tconst, title, reason)


def unhide_title(tconst: str, title: str) -> None:
    """Undo's callback (``unhide_<tconst>``): the title comes back as it was."""
    _steer(tconst, title, None)


def _steer(tconst: str, title: str, reason: str | None) -> None:
    """Hide with ``reason`` or (None) undo, then refresh this visit's hidden titles, choices
    and watchlist (a reason may store or remove a rating); the card's fragment reruns alone
    and draws the result (a callback must not draw)."""
    ctx = context()
    try:
        if reason is None:
            ctx.service.steering.unhide(ctx.user_id, tconst)
        else:
            ctx.service.steering.hide(ctx.user_id, tconst, reason)
    except (StorageError, SteeringError) as exc:
        log.warning("not-for-me not stored: %s", exc)
        flash(f"Not saved: {exc}", ":material/error:", toast=True)
        return
    visit_choices(refresh=True)
    visit_hidden(refresh=True)
    visit_saved(refresh=True)
    toast = (
        (f"Brought back {title}", ":material/undo:")
        if reason is None
        else (f"Hidden: {title} ({REASON_LABELS[reason].lower()})", ":material/visibility_off:")
    )
    flash(*toast, toast=True)


@st.dialog("Not for me")
def not_for_me_dialog(tconst: str, title: str) -> None:
    """The reasons (pills, key ``notforme_<tconst>_pick``), one choice stored at once; the
    choice closes the dialog and redraws the page, the card in its hidden form."""
    if tconst in visit_hidden():  # the choice is stored (its callback ran): close, redraw
        st.rerun()
    st.markdown(f"**{md_escape(title)}**")
    st.pills(
        "Hide it because…",
        NOT_FOR_ME,
        format_func=REASON_LABELS.__getitem__,
        key=f"notforme_{tconst}_pick",
        on_change=_pick_reason,
        args=(tconst, title),
    )


# ------------------------------------------------------------------------------ More info
@st.dialog("More info", width="large")
def more_info_dialog(tconst: str) -> None:
    ctx = context()
    with page_body("this title"):
        card = ctx.service.picks.title_details(tconst, ctx.user_id if ctx.user else None)
        if card is None:
            st.warning("That title is no longer in the catalog.")
            return
        left, right = st.columns([1, 2], gap="large")
        with left:
            st.html(
                f'<div class="mq-poster"><img src="{esc(card.poster_src)}" '
                f'alt="{esc(card.title)}"/></div>'
            )
        with right:
            st.html(
                f'<h3 style="margin:0">{esc(card.title)}</h3>'
                f'<div class="mq-meta" style="white-space:normal">{esc(details_line(card))}</div>'
            )
            if card.why:
                st.info(md_escape(card.why), icon=":material/lightbulb:")
            st.text(card.overview or "No overview available yet.")
            rows = [
                ("Directors", ", ".join(card.directors) or "—"),
                ("Cast", ", ".join(card.cast[:8]) or "—"),
                ("IMDb rating", rating_text(card)),
            ]
            for label, value in rows:
                st.html(
                    f'<div class="mq-meta" style="white-space:normal"><b>{esc(label)}:</b> '
                    f"{esc(value)}</div>"
                )
            st.link_button("Open on IMDb", card.imdb_url, icon=":material/open_in_new:")
            more_info_extras(tconst)  # where to watch and trailer (TMDb, only with a key)


def details_line(card: TitleCard) -> str:
    bits = [card.years_label]
    if card.runtime_minutes:
        bits.append(f"{card.runtime_minutes} min")
    bits.append({"movie": "Movie"}.get(card.title_type, "TV"))
    if card.genres:
        bits.append(", ".join(card.genres))
    return " · ".join(b for b in bits if b)


# ------------------------------------------------------------------------------ progress
class StepProgress:
    """``progress(step, fraction)`` rendered as one progress bar per step."""

    def __init__(self, container: Any | None = None) -> None:
        self.container = container or st.container()
        self.bars: dict[str, Any] = {}

    def __call__(self, step: str, fraction: float | None = None) -> None:
        bar = self.bars.get(step)
        if bar is None:
            bar = self.bars[step] = self.container.progress(0.0, text=step)
        if fraction is None:
            bar.progress(0.0, text=f"{step} …")
        else:
            value = min(1.0, max(0.0, float(fraction)))
            bar.progress(value, text=f"{step} — {value:.0%}")


# ------------------------------------------------------------------------------ footer
def footer(settings: Settings) -> None:
    st.divider()
    notice = (
        "Title data: IMDb non-commercial datasets. Ratings for training: MovieLens (GroupLens)."
    )
    if settings.tmdb_enabled:
        notice = f"{TMDB_NOTICE} Posters and overviews: TMDB. {notice}"
    st.caption(notice)
