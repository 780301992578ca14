"""Why these picks (``/explain``): the engine's explanation of a recommendation, for people.

``?title=tt...`` opens one title directly; otherwise the user chooses among the current picks.
"""

from __future__ import annotations

from dataclasses import asdict, is_dataclass

import plotly.express as px
import streamlit as st

from pages import _auth
from pages._widgets import esc, md_escape, page_body, poster_html
from recsys.service import SECTION_LABELS

ctx = _auth.require_user()
service, user_id = ctx.service, ctx.user_id
PART_LABELS = {
    "content": "Content (genres, people, tags)",
    "collaborative": "Collaborative (people with your taste)",
    "cold_start": "Popular in your genres",
    "popularity": "Popularity",
}
CHART_LAYOUT = {
    "template": "plotly_dark",
    "paper_bgcolor": "rgba(0,0,0,0)",
    "plot_bgcolor": "rgba(0,0,0,0)",
    "margin": {"l": 10, "r": 10, "t": 40, "b": 10},
}


def _rows(items) -> list[dict]:  # type: ignore[no-untyped-def]
    return [asdict(i) if is_dataclass(i) else dict(i) for i in items]


def _current_picks() -> list:
    cached = st.session_state.get("_marquee_home_recs")
    if cached and cached.get("_user") == user_id:
        return [c for s in SECTION_LABELS for c in cached.get(s, [])]
    return [
        c
        for s in SECTION_LABELS
        for c in service.recommendations(user_id, s, k=10, log_impressions=False)
    ]


with page_body("the explanations"):
    st.title("Why these picks")
    st.html(
        '<p class="mq-hero">How the recommender arrived at each title: which of its parts '
        "ranked it, how they were weighted, and which of your likes pulled it up.</p>"
    )
    picks = _current_picks()
    options = {c.tconst: c for c in picks}
    wanted = st.query_params.get("title")
    if wanted and wanted not in options:
        card = service.title_details(wanted, user_id)
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
    exp = service.explain(user_id, chosen)

    left, right = st.columns([1, 3], gap="large")
    with left:
        st.html(poster_html(card, compact=True))
    with right:
        st.subheader(card.title)
        if getattr(exp, "reason", ""):
            st.info(md_escape(exp.reason), icon=":material/lightbulb:")
        if getattr(exp, "summary", "") and exp.summary != getattr(exp, "reason", ""):
            st.caption(md_escape(exp.summary))
        if getattr(exp, "cold_start_reason", None):
            st.caption(exp.cold_start_reason)
        weights = dict(getattr(exp, "weights", {}) or {})
        lists = _rows(getattr(exp, "lists", ()))
        if lists:
            parts = [PART_LABELS.get(r["part"], r["part"]) for r in lists]
            contribution = [r["weight"] * r["rank_score"] for r in lists]
            fig = px.bar(
                x=contribution,
                y=parts,
                orientation="h",
                text=[f"rank {r['rank'] or '—'} · weight {r['weight']:.2f}" for r in lists],
                labels={"x": "weight × rank score (its share of the final score)", "y": ""},
                title="Model parts and weights",
            )
            fig.update_layout(**CHART_LAYOUT, height=90 + 60 * len(lists))
            st.plotly_chart(fig, key="explain_parts")
        elif weights:
            fig = px.bar(
                x=list(weights.values()),
                y=[PART_LABELS.get(k, k) for k in weights],
                orientation="h",
                labels={"x": "weight", "y": ""},
                title="Model weights",
            )
            fig.update_layout(**CHART_LAYOUT, height=220)
            st.plotly_chart(fig, key="explain_weights")
        else:
            st.caption(f"Served by: {md_escape(getattr(exp, 'source', 'the recommender'))}")

    contributors = _rows(getattr(exp, "contributors", ()))
    st.subheader("Your likes that drove it")
    if contributors:
        top = sorted(contributors, key=lambda r: -abs(r["contribution"]))[:10]
        fig = px.bar(
            x=[r["contribution"] for r in top],
            y=[r["title"] for r in top],
            color=[PART_LABELS.get(r["part"], r["part"]) for r in top],
            orientation="h",
            labels={"x": "contribution", "y": "", "color": "part"},
        )
        fig.update_layout(**CHART_LAYOUT, height=120 + 36 * len(top))
        fig.update_yaxes(autorange="reversed")
        st.plotly_chart(fig, key="explain_contributors")
        for r in top:
            shared = [
                ("genres", r.get("shared_genres")),
                ("people", r.get("shared_people")),
                ("tags", r.get("shared_tags")),
            ]
            detail = "; ".join(f"{k}: {', '.join(v)}" for k, v in shared if v)
            st.html(
                f'<div class="mq-meta" style="white-space:normal"><b>{esc(r["title"])}</b>'
                + (f" — shares {esc(detail)}" if detail else "")
                + "</div>"
            )
    else:
        st.caption("None of your likes is close to this title; it comes from the other parts.")

    neighbours = _rows(getattr(exp, "neighbours", ()))
    if neighbours:
        st.subheader("Collaborative neighbours")
        st.caption("Titles you liked that people rate in a similar way.")
        st.dataframe(
            {
                "Title": [n["title"] for n in neighbours],
                "Similarity": [round(n["similarity"], 3) for n in neighbours],
            },
            hide_index=True,
            width="stretch",
        )

    st.subheader("Your taste map")
    st.caption("Your likes, dislikes and current picks, placed by what they have in common.")
    points = service.taste_map(user_id, [c.tconst for c in picks])
    rows = points.to_dict("records") if hasattr(points, "to_dict") else _rows(points)
    if rows:
        fig = px.scatter(
            x=[p["x"] for p in rows],
            y=[p["y"] for p in rows],
            color=[p["kind"] for p in rows],
            hover_name=[p["title"] for p in rows],
            symbol=[("selected" if p["tconst"] == chosen else p["kind"]) for p in rows],
            labels={"x": "", "y": "", "color": "", "symbol": ""},
        )
        fig.update_traces(marker={"size": 11, "opacity": 0.85})
        fig.update_layout(**CHART_LAYOUT, height=460)
        fig.update_xaxes(showticklabels=False)
        fig.update_yaxes(showticklabels=False)
        st.plotly_chart(fig, key="explain_map")
    else:
        st.caption("The map appears once you have liked a few titles.")
