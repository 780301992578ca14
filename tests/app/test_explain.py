"""Why these picks through AppTest: one title through ``?title=``, the charts, the picks."""

from __future__ import annotations

from tests.app.conftest import add_user, kept, logged_in, no_error


def _charts(at) -> list[str]:  # type: ignore[no-untyped-def]
    return [str(c.key) for c in at.get("plotly_chart")]


def test_explain_a_title_from_the_query(make_app, engine_service) -> None:
    service = engine_service
    uid = add_user(service, onboarded=True)
    tconst = service.picks.recommendations(uid, "movie", k=3, log_impressions=False)[-1].tconst
    card = service.picks.title_details(tconst)
    at = logged_in(make_app)
    at.query_params["title"] = tconst
    at.switch_page("pages/explain.py").run()
    no_error(at)
    assert "Why these picks" in [t.value for t in at.title]
    assert at.selectbox(key="explain_title").value == tconst
    assert card.title in [s.value for s in at.subheader]
    # the app retrains on its own database (with this user's likes), so check that the
    # engine's explanation is shown, not its exact wording or numbers
    assert service.picks.explain(uid, tconst).summary
    shown = [str(i.value) for i in at.info]
    assert len(shown) == 1 and shown[0].strip()
    charts = _charts(at)
    assert charts[0] in ("explain_parts", "explain_weights"), charts
    assert "explain_map" in charts  # the taste map: likes and picks
    assert "Your likes that drove it" in [s.value for s in at.subheader]
    chart = at.get("plotly_chart")[0].proto.spec
    assert "Model" in chart  # the figure's title is in its JSON spec


def test_explain_without_query_lists_the_picks_and_switches(make_app, service) -> None:
    add_user(service, onboarded=True)
    at = logged_in(make_app)  # Home computes this visit's picks
    recs = kept(at).home.sections  # the sections, not "Because you liked"
    picks = [c.tconst for s in ("movie", "tv") for c in recs[s]]
    at.switch_page("pages/explain.py").run()
    no_error(at)
    box = at.selectbox(key="explain_title")
    assert list(box.options) and len(box.options) == len(picks)
    assert box.value == picks[0]
    assert at.query_params["title"] == [picks[0]] or at.query_params["title"] == picks[0]
    box.set_value(picks[3]).run()
    no_error(at)
    assert service.picks.cards([picks[3]])[0].title in [s.value for s in at.subheader]
    assert at.get("plotly_chart")


def test_explain_unknown_title_falls_back(make_app, service) -> None:
    add_user(service, onboarded=True)
    at = logged_in(make_app)
    at.query_params["title"] = "tt0000000"
    at.switch_page("pages/explain.py").run()
    no_error(at)
    assert any("not in the catalog" in str(w.value) for w in at.warning)
    assert at.selectbox(key="explain_title").value != "tt0000000"
