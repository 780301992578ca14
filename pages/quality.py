"""Quality (``/quality``): offline evaluation and what our own users did with their picks."""

from __future__ import annotations

import plotly.express as px
import streamlit as st

from pages import _auth
from pages._counts import count_metrics
from pages._widgets import md_escape, page_body, page_title
from recsys.evaluation.report import SWEEP_METRIC, EvaluationReport
from recsys.quality_jobs import ModelStamp, QualityStatus, RunningEvaluation

ctx = _auth.require_user()
quality = ctx.service.quality
CHART_LAYOUT = {
    "template": "plotly_dark",
    "paper_bgcolor": "rgba(0,0,0,0)",
    "plot_bgcolor": "rgba(0,0,0,0)",
    "margin": {"l": 10, "r": 10, "t": 40, "b": 10},
}
HEADLINE = ["precision@10", "recall@10", "ndcg@10", "hit@10", "map@10"]
BEYOND = ["coverage", "novelty", "diversity"]


def _offline(report: EvaluationReport) -> None:
    protocol = report.protocol
    if protocol.n_users_evaluated is not None:
        st.caption(
            f"{_or_unknown(protocol.n_users_evaluated)} users, "
            f"{_or_unknown(protocol.n_test_ratings)} held-out ratings, "
            f"{_or_unknown(protocol.n_items)} titles. Split: {protocol.split or '—'}. "
            f"Relevant: {protocol.relevant or '—'}."
        )
    if report.models:
        _model_table_and_charts(report)
    if report.sweep:
        fig = px.line(
            x=[p.w1 for p in report.sweep],
            y=[p.ndcg for p in report.sweep],
            markers=True,
            labels={"x": "w1 (content weight; collaborative = 1 − w1)", "y": SWEEP_METRIC},
            title="Hybrid weight sweep",
        )
        tuned = protocol.tuned.w1
        if tuned is not None:
            fig.add_vline(x=tuned, line_dash="dash", annotation_text=f"chosen w1={tuned}")
        fig.update_layout(**CHART_LAYOUT, height=360)
        st.plotly_chart(fig, key="quality_sweep")
    if report.svd is not None:
        a, b = st.columns(2)
        a.metric("SVD rating RMSE", f"{report.svd.rmse:.3f}")
        b.metric("SVD rating MAE", f"{report.svd.mae:.3f}")
    if report.new_users:
        _new_users(report)
    if report.tv:
        _tv(report)
    if report.groups:
        _groups(report)


NEW_USER_COLUMNS = {
    "next_ndcg@10": "NDCG@10 next likes",
    "ndcg@10": "NDCG@10 every other rating",
    "overlap_cold@10": "same as cold start",
    "jaccard@10": "overlap between users",
    "distinct@10": "distinct titles",
    "median_pop_rank": "median popularity rank",
    "genre_kl": "genre miscalibration",
    "onboard_years_share": "from the picks' years",
}


def _new_users(report: EvaluationReport) -> None:
    """The new-user protocol: what a brand-new account gets after onboarding."""
    st.subheader("New users")
    st.caption(
        "MovieLens users held out of training, onboarding as Marquee's users do; the recent "
        "titles they pick have no training ratings. The primary figure counts as relevant "
        "what each user liked *after* onboarding (what Home should find next); every other "
        "rating ≥ 4 is a floor only, because it is dominated by the popular classics people "
        "rated before they joined. “×” compares a list with the popular-in-your-genres list "
        "the same user saw before onboarding, with a 95 % bootstrap interval."
    )
    _personalisation(report)
    for table in report.new_users:
        st.markdown(
            f"**{table.scenario.capitalize()} onboarding** — {table.n_users} users "
            f"{md_escape(table.description)}"
        )
        names = list(table.models)
        columns = [m for m in NEW_USER_COLUMNS if any(m in table.models[n] for n in names)]
        st.dataframe(
            {
                "list": names,
                **{NEW_USER_COLUMNS[m]: [table.models[n].get(m) for n in names] for m in columns},
                "× cold start (next likes)": [table.ratio(n, "next_ndcg@10") for n in names],
                "× cold start (every other)": [table.ratio(n, "ndcg@10") for n in names],
            },
            hide_index=True,
            width="stretch",
            key=f"quality_new_users_{table.scenario}",
        )


def _personalisation(report: EvaluationReport) -> None:
    """Four figures a stakeholder can read at a glance, per scenario: is the first Home
    personal (and better), or IMDb's top list again?"""
    st.markdown("**Personalisation**: is a new user's first Home theirs?")
    for table in report.new_users:
        served = table.models.get("served", {})
        cols = st.columns(4)
        ratio = table.ratio("served", "next_ndcg@10")
        interval = table.interval("served", "next_ndcg@10")
        cols[0].metric(
            f"{table.scenario.capitalize()}: finds next likes",
            "—" if ratio is None else f"{ratio:.2f}× cold start",
            help="NDCG@10 on what users liked after onboarding, over the cold-start list's"
            + (f"; 95 % interval {interval[0]:.2f}–{interval[1]:.2f}" if interval else ""),
        )
        cols[1].metric(
            "Same as the cold-start list",
            _percent(served.get("overlap_cold@10")),
            help="Share of the top 10 the user already saw before onboarding",
        )
        cols[2].metric(
            "Overlap between two users",
            _percent(served.get("jaccard@10")),
            help="Mean Jaccard similarity of two different users' top 10 (lower: more personal)",
        )
        cols[3].metric(
            "Distinct titles shown",
            "—" if served.get("distinct@10") is None else f"{served['distinct@10']:.0f}",
            help=f"Across the {table.n_users} users' top 10 lists",
        )


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.0f} %"


TV_COLUMNS = ["ndcg@10", "hit@10", "coverage"]


def _tv(report: EvaluationReport) -> None:
    """The TV list's proxy figure, with what it measures and what it cannot."""
    st.subheader("TV shows (a proxy)")
    st.caption(
        "No public ratings of TV shows exist, so this is not measured on people: viewers are "
        "simulated from IMDb credits (each follows one director, writer or actor across their "
        "shows and movies) and the list must find a liked show they have not told us about. "
        "Half the viewers stand in for our users, whose likes the co-likes signal learns from. "
        "Limits: the people signal is scored on the structure it reads, so its rows are an "
        "upper bound; co-likes come from simulated users; a catalog without credits gives no "
        "figure."
    )
    for table in report.tv:
        ratio = table.ratio("tv")
        st.markdown(
            f"**{md_escape(table.scenario.capitalize())}**: {table.n_users} viewers "
            f"{md_escape(table.description)}"
            + (f"; the TV list **{ratio:.1f}×** popular-in-your-genres" if ratio else "")
        )
        names = list(table.models)
        st.dataframe(
            {
                "list": names,
                **{m: [table.models[n].get(m) for n in names] for m in TV_COLUMNS},
                "× popular in genres": [table.ratio(n) for n in names],
            },
            hide_index=True,
            width="stretch",
            key=f"quality_tv_{table.scenario.replace(' ', '_')}",
        )


GROUP_LISTS = {
    "average": "Average",
    "least_misery": "Least misery",
    "most_pleasure": "Most pleasure without misery",
    "best_member": "Best single member's list (hindsight)",
    "popular_in_shared_genres": "Popular in shared genres",
}


def _groups(report: EvaluationReport) -> None:
    """Movie night: each way of making one list for a group, per size and kind of group."""
    st.subheader("Groups (movie night)")
    first = report.groups[0]
    st.caption(
        f"Simulated groups of {first.n_users} held-out MovieLens users (each onboarded with "
        "their first 10 liked movies): random groups and groups of similar taste, up to "
        f"{first.n_groups} of each size. Truth: what each member liked afterwards. Mean: "
        "NDCG@10 averaged over the members; worst: the least served member's. The best "
        "single member's list is chosen in hindsight, so no strategy can know it in advance."
    )
    st.dataframe(
        {
            "group": [f"{g.size} · {g.kind}" for g in report.groups],
            "list": [GROUP_LISTS.get(g.row, g.row) for g in report.groups],
            "mean NDCG@10": [round(g.mean_ndcg, 4) for g in report.groups],
            "worst member NDCG@10": [round(g.worst_ndcg, 4) for g in report.groups],
            "groups": [g.n_groups for g in report.groups],
        },
        hide_index=True,
        width="stretch",
        key="quality_groups",
    )


def _or_unknown(value: int | None) -> str:
    return "?" if value is None else str(value)


def _model_table_and_charts(report: EvaluationReport) -> None:
    """Every model side by side: the metric table, ranking quality, beyond-accuracy metrics."""
    models, names = report.models, report.model_names
    metrics = sorted({m for row in models.values() for m in row})
    ordered = [m for m in HEADLINE + BEYOND if m in metrics] + [
        m for m in metrics if m not in HEADLINE + BEYOND
    ]
    st.dataframe(
        {"metric": ordered, **{n: [report.metric(n, m) for m in ordered] for n in names}},
        hide_index=True,
        width="stretch",
        key="quality_models",
    )
    present = [m for m in HEADLINE if m in metrics]
    if present:
        fig = px.bar(
            x=[m for n in names for m in present],
            y=[models[n].get(m, 0) for n in names for m in present],
            color=[n for n in names for _ in present],
            barmode="group",
            labels={"x": "", "y": "", "color": "model"},
            title="Ranking quality at 10 (higher is better)",
        )
        fig.update_layout(**CHART_LAYOUT, height=380)
        st.plotly_chart(fig, key="quality_ranking")
    beyond = [m for m in BEYOND if m in metrics]
    if beyond:
        cols = st.columns(len(beyond))
        for col, metric in zip(cols, beyond, strict=True):
            fig = px.bar(
                x=names,
                y=[models[n].get(metric, 0) for n in names],
                labels={"x": "", "y": ""},
                title=metric.capitalize(),
            )
            fig.update_layout(**CHART_LAYOUT, height=300)
            col.plotly_chart(fig, key=f"quality_{metric}")


def _offline_tab() -> None:
    """The served model's figures, or where their measurement stands (never a blank tab)."""
    status = quality.evaluation_status(start=True)  # the first visit starts a missing one
    if status.running is not None:
        _watch_progress()
    _state_message(status)
    if status.model is not None and status.model.engine_sentence:
        st.caption(status.model.engine_sentence)
    report = status.measured.report if status.measured else None
    if report is None:
        report = quality.offline_report()  # written by `python -m recsys evaluate`
        if report is not None:
            st.caption("Measured with `python -m recsys evaluate`; the model was not recorded.")
    if report is not None:
        _offline(report)
    elif status.running is None and not status.failure:
        st.info(
            "No evaluation has been run yet for the current model: start it below."
            if status.model
            else "There is no trained model to measure yet.",
            icon=":material/science:",
        )
    if st.button(
        "Run the evaluation" if report is None else "Run the evaluation again",
        key="quality_run",
        icon=":material/play_arrow:",
        disabled=status.running is not None or status.model is None,
    ):
        quality.measure_again()
        st.rerun()


def _model_label(model: ModelStamp) -> str:
    return f"model `{model.short}`" + (f" ({model.version})" if model.version else "")


def _state_message(status: QualityStatus) -> None:
    """When and for which model the figures below were measured, and what is going on."""
    measured = status.measured
    if status.failure is not None:
        st.error(
            f"The last evaluation failed: {md_escape(status.failure.message)}"
            + (" The figures below are the last good ones." if measured else ""),
            icon=":material/error:",
        )
    if measured is None:
        return
    when = f"{measured.measured_at:%Y-%m-%d %H:%M} UTC"
    if status.current:
        st.caption(
            f"Measured on {when} for {_model_label(measured.model)}, the model being served "
            f"(took {measured.seconds:.0f} s)."
        )
        if measured.note:  # the memory budget's smaller sample, said where the figures are
            st.caption(md_escape(measured.note))
        return
    now = "is being measured now" if status.running else "has not been measured yet"
    st.warning(
        f"Measured on {when} for an older model (`{measured.model.short}`); the current model "
        f"{now}.",
        icon=":material/history:",
    )


@st.fragment(run_every=2)
def _watch_progress() -> None:
    """The running job's step and fraction, every 2 s; the whole page reruns once it ends."""
    running = quality.evaluation_status().running
    if running is None:
        st.rerun()
    _progress_bar(running)


def _progress_bar(running: RunningEvaluation) -> None:
    model = f" of {_model_label(running.model)}" if running.model else ""
    fraction = running.fraction or 0.0
    st.info(
        f"The offline evaluation{model} is running in the background (started "
        f"{running.started_at:%H:%M:%S} UTC). This page shows its figures when it is done.",
        icon=":material/hourglass_top:",
    )
    st.progress(min(1.0, max(0.0, fraction)), text=f"{running.step}: {fraction:.0%}")


def _rates(frame, by: str, title: str, key: str) -> None:  # type: ignore[no-untyped-def]
    if frame is None or len(frame) == 0:
        st.caption(f"{title}: nothing shown yet.")
        return
    records = frame.to_dict("records")
    fig = px.bar(
        x=[str(r[by]) for r in records for _ in (0, 1)],
        y=[r[k] for r in records for k in ("like_rate", "dislike_rate")],
        color=[k.replace("_", " ") for _ in records for k in ("like_rate", "dislike_rate")],
        barmode="group",
        labels={"x": "", "y": "share of shown titles", "color": ""},
        title=title,
    )
    fig.update_layout(**CHART_LAYOUT, height=320)
    fig.update_yaxes(tickformat=".0%")
    st.plotly_chart(fig, key=key)
    st.dataframe(frame, hide_index=True, width="stretch", key=f"{key}_table")


with page_body("the quality report"):
    page_title(
        "Quality",
        "How good the recommendations are: measured offline on MovieLens, "
        "and online from what our users like and dislike.",
    )
    offline_tab, online_tab = st.tabs(["Offline evaluation", "Online (our users)"])
    with offline_tab:
        _offline_tab()
    with online_tab:
        online = quality.online_report()
        count_metrics(
            {
                "Users": online.users,
                "Likes + dislikes": online.interactions,
                "Likes": online.likes,
                "Dislikes": online.dislikes,
                "Recommendations shown": online.impressions,
            }
        )
        _rates(online.by_section, "section", "Like and dislike rate by section", "online_section")
        _rates(online.by_model_part, "model_part", "By model part", "online_part")
        _rates(online.by_week, "week", "By week", "online_week")
