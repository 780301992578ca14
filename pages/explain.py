"""Why these picks (``/explain``): the engine's explanation of a recommendation, for people.

``?title=tt...`` opens one title directly; otherwise the user chooses among the current picks.
"""

from __future__ import annotations

import plotly.express as px
import streamlit as st

from pages import _auth
from pages._state import user_state
from pages._widgets import esc, md_escape, page_body, page_title, poster_html
from recsys.cards import SECTION_LABELS, TitleCard
from recsys.explain import Explanation
from recsys.services.discovery import DEPTH_FACTOR

ctx = _auth.require_user()
service, user_id = ctx.service, ctx.user_id
PART_LABELS = {
    "content": "Content (genres, people, tags)",
    "collaborative": "Collaborative (people with your taste)",
    "cold_start": "Popular in your genres",
    "prior": "Popular in your genres",
    "taste": "Near your picks (genres, era)",
    "tv": "Shows: people and co-likes",
    "popularity": "Popularity",
}
CHART_LAYOUT = {
    "template": "plotly_dark",
    "paper_bgcolor": "rgba(0,0,0,0)",
    "plot_bgcolor": "rgba(0,0,0,0)",
    "margin": {"l": 10, "r": 10, "t": 40, "b": 10},
}


def _home_lists() -> dict[str, list[TitleCard]]:
    """Home's lists of this visit, else freshly computed ones (not logged: not shown on Home)."""
    home = user_state().home
    if home is not None:
        return {s: list(home.sections.get(s, [])) for s in SECTION_LABELS}
    fresh = service.picks.home_sections(
        user_id,
        k=10,
        log_impressions=False,
        filters=service.discovery.filters(user_id),
        dials=service.discovery.dials(user_id),
    )
    return {s: list(fresh.get(s, [])) for s in SECTION_LABELS}


def _current_picks() -> list[TitleCard]:
    return [c for cards in _home_lists().values() for c in cards]


def _what_drove_the_lists() -> None:
    """Each Home section's caption: the picks and genres its list owes most to."""
    lines = [
        f"**{label}**: {md_escape(cards[0].why)}"
        for section, label in SECTION_LABELS.items()
        if (cards := _home_lists().get(section)) and cards[0].why
    ]
    if lines:
        st.markdown("  \n".join(lines))


def _dials_line() -> None:
    """Where the user's dials stand (Home's Filters): they re-order the model's list."""
    dials = service.discovery.dials(user_id)
    if dials.active:
        st.markdown(
            f"**Your dials**: {md_escape(dials.summary())}. They re-order the model's own top "
            f"{DEPTH_FACTOR * 10} titles per list (nothing is refitted); move them back to the "
            "middle in Home's Filters to see the model's order."
        )
    else:
        st.caption(
            "Your dials (popular ↔ niche, older ↔ newer, familiar ↔ adventurous, in Home's "
            "Filters) are in the middle: the lists are in the model's own order."
        )


def _parts(exp: Explanation) -> None:
    """Which parts ranked the title and how much each weighed in its final score."""
    if exp.lists:
        fig = px.bar(
            x=[e.weight * e.rank_score for e in exp.lists],
            y=[PART_LABELS.get(e.part, e.part) for e in exp.lists],
            orientation="h",
            text=[f"rank {e.rank or '—'} · weight {e.weight:.2f}" for e in exp.lists],
            labels={"x": "weight × rank score (its share of the final score)", "y": ""},
            title="Model parts and weights",
        )
        fig.update_layout(**CHART_LAYOUT, height=90 + 60 * len(exp.lists))
        st.plotly_chart(fig, key="explain_parts")
    elif exp.weights:
        fig = px.bar(
            x=list(exp.weights.values()),
            y=[PART_LABELS.get(k, k) for k in exp.weights],
            orientation="h",
            labels={"x": "weight", "y": ""},
            title="Model weights",
        )
        fig.update_layout(**CHART_LAYOUT, height=220)
        st.plotly_chart(fig, key="explain_weights")
    else:
        st.caption(f"Served by: {md_escape(exp.source)}")


def _contributors(exp: Explanation) -> None:
    """The user's likes that pulled the title up, and what each shares with it."""
    st.subheader("Your likes that drove it")
    if not exp.contributors:
        st.caption("None of your likes is close to this title; it comes from the other parts.")
        return
    top = sorted(exp.contributors, key=lambda c: -abs(c.contribution))[:10]
    fig = px.bar(
        x=[c.contribution for c in top],
        y=[c.title for c in top],
        color=[PART_LABELS.get(c.part, c.part) for c in top],
        orientation="h",
        labels={"x": "contribution", "y": "", "color": "part"},
    )
    fig.update_layout(**CHART_LAYOUT, height=120 + 36 * len(top))
    fig.update_yaxes(autorange="reversed")
    st.plotly_chart(fig, key="explain_contributors")
    for c in top:
        shared = [("genres", c.shared_genres), ("people", c.shared_people), ("tags", c.shared_tags)]
        detail = "; ".join(f"{k}: {', '.join(v)}" for k, v in shared if v)
        st.html(
            f'<div class="mq-meta" style="white-space:normal"><b>{esc(c.title)}</b>'
            + (f" — shares {esc(detail)}" if detail else "")
            + "</div>"
        )


def _neighbours(exp: Explanation) -> None:
    if not exp.neighbours:
        return
    st.subheader("Collaborative neighbours")
    st.caption("Titles you liked that people rate in a similar way.")
    st.dataframe(
        {
            "Title": [n.title for n in exp.neighbours],
            "Similarity": [round(n.similarity, 3) for n in exp.neighbours],
        },
        hide_index=True,
        width="stretch",
    )


def _taste_map(picks: list[TitleCard], chosen: str) -> None:
    st.subheader("Your taste map")
    st.caption("Your likes, dislikes and current picks, placed by what they have in common.")
    points = service.picks.taste_map(user_id, [c.tconst for c in picks])
    if points.empty:
        st.caption("The map appears once you have liked a few titles.")
        return
    kinds = points["kind"].tolist()
    fig = px.scatter(
        x=points["x"].tolist(),
        y=points["y"].tolist(),
        color=kinds,
        hover_name=points["title"].tolist(),
        symbol=[
            "selected" if t == chosen else kind
            for t, kind in zip(points["tconst"], kinds, strict=True)
        ],
        labels={"x": "", "y": "", "color": "", "symbol": ""},
    )
    fig.update_traces(marker={"size": 11, "opacity": 0.85})
    fig.update_layout(**CHART_LAYOUT, height=460)
    fig.update_xaxes(showticklabels=False)
    fig.update_yaxes(showticklabels=False)
    st.plotly_chart(fig, key="explain_map")


with page_body("the explanations"):
    page_title(
        "Why these picks",
        "How the recommender arrived at each title: which of its parts "
        "ranked it, how they were weighted, and which of your likes pulled it up.",
    )
    _what_drove_the_lists()
    _dials_line()
    picks = _current_picks()
    options = {c.tconst: c for c in picks}
    wanted = st.query_params.get("title")
    if wanted and wanted not in options:
        card = service.picks.title_details(wanted, user_id)
        if card is not None:
            options = {wanted: card, **options}
        else:
            st.warning("That title is not in the catalog; showing your picks instead.")
            wanted = None
    if not options:
        st.info("No recommendations yet. Like a few titles on Home first.")
        st.stop()
    keys = list(options)
    chosen = st.selectbox(
        "Recommendation",
        keys,
        index=keys.index(wanted) if wanted in options else 0,
        format_func=lambda t: f"{options[t].title} ({options[t].year or '—'})",
        key="explain_title",
    )
    if chosen != st.query_params.get("title"):
        st.query_params["title"] = chosen
    card = options[chosen]
    exp = service.picks.explain(user_id, chosen)

    left, right = st.columns([1, 3], gap="large")
    with left:
        st.html(poster_html(card, compact=True))
    with right:
        st.subheader(card.title)
        if exp.reason:
            st.info(md_escape(exp.reason), icon=":material/lightbulb:")
        if exp.summary and exp.summary != exp.reason:
            st.caption(md_escape(exp.summary))
        if exp.cold_start_reason:
            st.caption(exp.cold_start_reason)
        _parts(exp)
    _contributors(exp)
    _neighbours(exp)
    _taste_map(picks, chosen)
