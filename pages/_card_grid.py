"""A whole grid of poster cards as one element (issue 24): a ``st.components.v2`` component.

Drawn with Streamlit's own widgets, Home was about 150 elements: a container, a poster, four
buttons and a "Not for me" button a card, and every click made the browser re-render all of
them (Chrome's profiler: ~60 ms of React work a like) and the server build them again. Here a
section's cards are one element: the component draws them (DOM built with ``textContent`` and
attributes, so no title or URL is ever parsed as HTML) and sends each click back as a trigger
value; the section's fragment then reruns alone, stores it and redraws the cards from the
database's answer.

The keys users' scripts and the browser tests rely on stay: each card's root carries the class
``st-key-card_<tconst>``, each button sits in ``st-key-like_<t>`` / ``dislike_`` / ``save_`` /
``info_`` / ``notforme_`` / ``unhide_``, and an active button has Streamlit's
``data-testid="stBaseButton-primary"`` ("Liked", "Saved"), an inactive one ``…-secondary``.

What a click means is decided here, from what this visit has stored, never in the browser:
Like on a liked card takes the like back, Save on a saved one removes it, and so on.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

import streamlit as st

from pages._state import show_flashes, user_state
from pages._widgets import (
    card_meta,
    more_info_dialog,
    not_for_me_dialog,
    page_body,
    rate_title,
    save_title,
    unhide_title,
    visit_choices,
    visit_hidden,
    visit_saved,
)
from recsys.cards import TitleCard
from recsys.services.steering import REASON_LABELS

#: The buttons a card has, by the key prefix of each (``like_<tconst>`` …).
Button = Literal["like", "dislike", "save", "info", "notforme", "unhide"]
BUTTONS: tuple[Button, ...] = ("like", "dislike", "save", "info", "notforme", "unhide")
#: The component's trigger: ``{"button": <Button>, "tconst": <tconst>}``.
EVENT = "act"
COMPONENT_NAME = "marquee_card_grid"


@dataclass(frozen=True)
class CardView:
    """What the component draws for one card (all text is set as text, never as HTML)."""

    tconst: str
    title: str
    poster: str
    meta: str
    rating: str
    votes: str
    rank: int | None
    choice: bool | None
    saved: bool
    hidden: str | None
    steer: bool  # with "Not for me"
    note: str  # a line under the card ("" for none)


def card_view(
    card: TitleCard,
    choice: bool | None,
    saved: bool,
    hidden: str | None,
    *,
    steer: bool = True,
    note: str = "",
) -> CardView:
    return CardView(
        tconst=card.tconst,
        title=card.title,
        poster=card.poster_src,
        meta=card_meta(card),
        rating=f"★ {card.rating:.1f}" if card.rating is not None else "",
        votes=f"{card.votes:,} votes" if card.votes else "",
        rank=int(card.rank) if card.rank else None,
        choice=choice,
        saved=saved,
        hidden=REASON_LABELS.get(hidden, hidden) if hidden is not None else None,
        steer=steer,
        note=note,
    )


GRID_CSS = """
.mq-grid { display: grid; grid-template-columns: repeat(var(--mq-columns, 5), minmax(0, 1fr));
  gap: 1rem; }
@media (max-width: 640px) { .mq-grid { grid-template-columns: repeat(2, minmax(0, 1fr)); } }
.mq-cardbox { border: 1px solid rgba(250, 250, 250, 0.2); border-radius: 0.5rem;
  padding: calc(1rem - 1px); display: flex; flex-direction: column; gap: .5rem; min-width: 0; }
.mq-acts { display: flex; gap: .5rem; }
.mq-acts > div { flex: 1 1 0; min-width: 0; }
.mq-cardbox button { width: 100%; min-height: 2.1rem; padding: .25rem .2rem; cursor: pointer;
  display: inline-flex; align-items: center; justify-content: center; gap: .35rem;
  border-radius: .5rem; font: inherit; font-size: .9rem; line-height: 1.4;
  border: 1px solid rgba(250, 250, 250, 0.2); background: transparent; color: inherit; }
.mq-cardbox button:hover { border-color: #E8B04B; color: #E8B04B; }
.mq-cardbox button:focus-visible { outline: 2px solid #E8B04B; outline-offset: 1px; }
.mq-cardbox button[data-testid="stBaseButton-primary"] { background: #E8B04B;
  border-color: #E8B04B; color: #0F1115; }
.mq-cardbox button.mq-tertiary { border: none; color: #B5AEA3; }
.mq-cardbox button.mq-tertiary:hover { color: #E8B04B; }
.mq-icon { font-family: "Material Symbols Rounded"; font-size: 1.15rem; line-height: 1;
  font-weight: normal; font-style: normal; letter-spacing: normal; text-transform: none;
  white-space: nowrap; direction: ltr; -webkit-font-feature-settings: "liga";
  font-feature-settings: "liga"; user-select: none; }
.mq-acts .mq-label { position: absolute; width: 1px; height: 1px; overflow: hidden;
  clip: rect(0 0 0 0); white-space: nowrap; }
"""

#: Builds each card's DOM from ``data.cards``; a card is rebuilt only when its data changed
#: (``data-mq-sig``), so a like redraws that one card; a redrawn card that held the focus gives
#: it to its new button (Enter, then Space, on Like likes and takes back). One click listener
#: on the grid sends ``{button, tconst}`` as the ``act`` trigger.
GRID_JS = """
const ICONS = {like: 'thumb_up', dislike: 'thumb_down', save: 'bookmark', saved: 'bookmark_added',
  info: 'info', notforme: 'visibility_off', unhide: 'undo'};

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text) e.textContent = text;
  return e;
}

function button(kind, tconst, label, icon, primary, tertiary) {
  const wrap = el('div', `st-key-${kind}_${tconst}`);
  const b = el('button', tertiary ? 'mq-tertiary' : '');
  b.type = 'button';
  b.dataset.button = kind;
  b.dataset.tconst = tconst;
  b.title = label;
  b.setAttribute('kind', primary ? 'primary' : (tertiary ? 'tertiary' : 'secondary'));
  b.setAttribute('data-testid', primary ? 'stBaseButton-primary'
    : (tertiary ? 'stBaseButton-tertiary' : 'stBaseButton-secondary'));
  if (kind === 'like' || kind === 'dislike' || kind === 'save') {
    b.setAttribute('aria-pressed', primary ? 'true' : 'false');  // a toggle, for screen readers
  }
  const glyph = el('span', 'mq-icon', icon);
  glyph.setAttribute('aria-hidden', 'true');
  glyph.setAttribute('translate', 'no');
  b.appendChild(glyph);
  b.appendChild(el('span', 'mq-label', label));
  wrap.appendChild(b);
  return wrap;
}

function poster(c) {
  const box = el('div', 'mq-card');
  const frame = el('div', 'mq-poster');
  const img = el('img');
  img.src = c.poster; img.alt = c.title; img.loading = 'lazy';
  frame.appendChild(img);
  if (c.rank) frame.appendChild(el('span', 'mq-rank', `#${c.rank}`));
  if (c.choice === true) frame.appendChild(el('span', 'mq-badge mq-like', 'Liked'));
  if (c.choice === false) frame.appendChild(el('span', 'mq-badge mq-dislike', 'Disliked'));
  box.appendChild(frame);
  const title = el('div', 'mq-title', c.title);
  title.title = c.title;
  box.appendChild(title);
  box.appendChild(el('div', 'mq-meta', c.meta));
  const line = el('div', 'mq-meta');
  if (c.rating) line.appendChild(el('span', 'mq-rating', c.rating));
  line.appendChild(el('span', 'mq-votes', c.votes));
  box.appendChild(line);
  return box;
}

function card(c, actions) {
  const root = el('div', `mq-cardbox st-key-card_${c.tconst}`);
  if (c.hidden !== null) {
    root.appendChild(el('div', 'mq-title', c.title));
    root.appendChild(el('div', 'mq-meta', `Hidden: ${c.hidden}`));
    const undo = button('unhide', c.tconst, 'Undo', ICONS.unhide, false, false);
    undo.querySelector('.mq-label').style.position = 'static';
    root.appendChild(undo);
    return root;
  }
  root.appendChild(poster(c));
  if (!actions) return root;
  const row = el('div', 'mq-acts');
  row.appendChild(button('like', c.tconst, c.choice === true ? 'Liked' : 'Like', ICONS.like,
    c.choice === true));
  row.appendChild(button('dislike', c.tconst, c.choice === false ? 'Disliked' : 'Dislike',
    ICONS.dislike, c.choice === false));
  row.appendChild(button('save', c.tconst, c.saved ? 'Saved' : 'Save',
    c.saved ? ICONS.saved : ICONS.save, c.saved));
  row.appendChild(button('info', c.tconst, 'Info', ICONS.info, false));
  root.appendChild(row);
  if (c.note) root.appendChild(el('div', 'mq-meta mq-note', c.note));
  if (c.steer) {
    const nfm = button('notforme', c.tconst, 'Not for me', ICONS.notforme, false, true);
    nfm.querySelector('.mq-label').style.position = 'static';
    root.appendChild(nfm);
  }
  return root;
}

// Clicks wait in a queue, each with a number, until a redraw says the server stored them
// (``data.ack``): every trigger carries the whole queue, so two quick clicks are both stored,
// in order, even when the second trigger replaces the first one before a run takes it.
export default function ({ parentElement, data, setTriggerValue }) {
  let grid = parentElement.querySelector(':scope > .mq-grid');
  if (!grid) {
    grid = el('div', 'mq-grid');
    grid.__instance = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
    grid.__queue = [];
    grid.__seq = 0;
    grid.addEventListener('click', (event) => {
      const b = event.target.closest('button[data-button]');
      if (!b || !grid.contains(b)) return;
      grid.__seq += 1;
      grid.__queue.push({seq: grid.__seq, button: b.dataset.button, tconst: b.dataset.tconst});
      grid.__send({instance: grid.__instance, clicks: grid.__queue.slice()});
    });
    parentElement.appendChild(grid);
  }
  grid.__send = (value) => setTriggerValue('act', value);
  const ack = data.ack && data.ack.instance === grid.__instance ? data.ack.seq : 0;
  grid.__queue = grid.__queue.filter((click) => click.seq > ack);
  grid.style.setProperty('--mq-columns', String(data.columns));
  const old = new Map([...grid.children].map((n) => [n.dataset.tconst, n]));
  let at = 0;
  let refocus = null;
  for (const c of data.cards) {
    const sig = JSON.stringify(c) + (data.actions ? '1' : '0');
    let node = old.get(c.tconst);
    if (!node || node.dataset.mqSig !== sig) {
      const fresh = card(c, data.actions);
      fresh.dataset.tconst = c.tconst;
      fresh.dataset.mqSig = sig;
      const focused = node && node.contains(document.activeElement)
        ? document.activeElement.dataset.button : null;
      if (focused) refocus = [fresh, focused];
      if (node) node.replaceWith(fresh);
      node = fresh;
    }
    old.delete(c.tconst);
    if (grid.children[at] !== node) grid.insertBefore(node, grid.children[at] || null);
    at += 1;
  }
  for (const node of old.values()) node.remove();
  if (refocus && refocus[0].isConnected) {  // the button pressed, or the card's first one
    const [node, kind] = refocus;
    const again = node.querySelector(`button[data-button="${kind}"]`)
      || node.querySelector('button');
    if (again) again.focus({preventScroll: true});
  }
}
"""


@st.cache_resource(show_spinner=False)
def _component() -> Any:
    return st.components.v2.component(
        COMPONENT_NAME, css=GRID_CSS, js=GRID_JS, isolate_styles=False
    )


@dataclass(frozen=True)
class GridClick:
    """One click the browser queued on a grid: its number in that browser's queue."""

    seq: int
    button: Button
    tconst: str


def new_clicks(key: str, value: object) -> list[GridClick]:
    """The clicks of a trigger ``value`` not stored yet (a trigger repeats the queue), and
    records them as stored. Malformed entries are dropped: the value comes from a browser."""
    if not isinstance(value, dict) or not isinstance(value.get("clicks"), list):
        return []
    instance = str(value.get("instance") or "")
    state = user_state()
    held, last = state.grid_acks.get(key, ("", 0))
    if held != instance:  # a new page load: its own numbering
        last = 0
    clicks: list[GridClick] = []
    for entry in value["clicks"]:
        if not isinstance(entry, dict):
            continue
        seq, button, tconst = entry.get("seq"), entry.get("button"), entry.get("tconst")
        if isinstance(seq, int) and seq > last and button in BUTTONS and isinstance(tconst, str):
            clicks.append(GridClick(seq, button, tconst))
    clicks.sort(key=lambda c: c.seq)
    if clicks:
        state.grid_acks[key] = (instance, clicks[-1].seq)
    return clicks


def card_grid(
    cards: Sequence[TitleCard],
    *,
    key: str,
    columns: int = 5,
    actions: bool = True,
    steer: bool = True,
    notes: Mapping[str, str] | None = None,
) -> None:
    """``cards`` as one grid element (key ``key``); with ``actions`` each card has Like /
    Dislike / Save / Info and, with ``steer``, "Not for me"; ``notes`` adds a line under a
    card. Call it inside a fragment: a click reruns that fragment, whose callback has stored
    it, and the grid is drawn again from the stored state."""
    choices, saved, hidden = visit_choices(), visit_saved(), visit_hidden()
    views = []
    for card in cards:
        reason = hidden.get(card.tconst)
        shown = reason if reason is not None and reason != "no_seed" else None
        note = (notes or {}).get(card.tconst, "")
        view = card_view(
            card, choices.get(card.tconst), card.tconst in saved, shown, steer=steer, note=note
        )
        views.append(asdict(view))
    state = user_state()
    instance, seq = state.grid_acks.get(key, ("", 0))
    _component()(
        key=key,
        data={
            "cards": views,
            "columns": columns,
            "actions": actions,
            "ack": {"instance": instance, "seq": seq},
        },
        on_act_change=functools.partial(_on_click, key, {c.tconst: c for c in cards}),
    )
    asked, state.grid_dialog = state.grid_dialog, None
    if asked is not None and asked[0] == key:
        _, button, tconst = asked
        card = next((c for c in cards if c.tconst == tconst), None)
        if card is not None and button == "info":
            more_info_dialog(tconst)
        elif card is not None:
            not_for_me_dialog(tconst, card.title)


def _on_click(key: str, cards: dict[str, TitleCard]) -> None:
    """The grid's callback (before its fragment reruns): store each new like, dislike,
    take-back, save, unsave or undo, in the order clicked. Info and "Not for me" open their
    dialog in the rerun (a callback must not draw)."""
    for click in new_clicks(key, st.session_state[key].get(EVENT)):
        card = cards.get(click.tconst)
        if card is None:
            continue
        t = card.tconst
        if click.button in ("like", "dislike"):
            current = visit_choices().get(t)
            rate_title(t, card.title, None if current is (click.button == "like") else click.button)
        elif click.button == "save":
            save_title(t, card.title, t not in visit_saved())
        elif click.button == "unhide":
            unhide_title(t, card.title)
        else:  # info, notforme: the last one asked for
            user_state().grid_dialog = (key, click.button, t)


@st.fragment
def card_section(cards: Sequence[TitleCard], key: str) -> None:
    """:func:`card_grid` as a fragment: a click on one of its cards reruns this grid alone."""
    with page_body("these titles"):
        card_grid(cards, key=key)
        show_flashes()
