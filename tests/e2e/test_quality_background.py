"""The Quality page in Chromium while the background evaluation runs and once it is done.

The served model has no report yet (as after ``python -m recsys train``): the first visit
starts the evaluation child, the page shows its progress at once, refreshes itself every 2 s
(``st.fragment(run_every=2)``) and shows the figures, stamped with the date and the model's
fingerprint, without a reload. The server, data and log-in are ``benchmarks/like_latency.py``'s;
screenshots go to ``test-output/e2e/40-quality-*.png``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from benchmarks import like_latency
from testkit.app_server import running
from testkit.chromium import new_page, shot_path, sync_api_or_skip

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

sync_api = sync_api_or_skip()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    bench = like_latency
    root = tmp_path_factory.mktemp("quality")
    secrets, _uid = bench.prepare(root, 0)
    with running(secrets, root / "app") as base:
        yield base, secrets


def _shot(page: Any, name: str) -> None:
    page.screenshot(path=str(shot_path(name)), full_page=True)


def test_quality_shows_progress_then_the_stamped_report(server: tuple[str, dict[str, str]]) -> None:
    from recsys.quality_jobs import read_status, served_model
    from testkit import factories

    base, secrets = server
    settings = factories.settings_from_secrets(secrets)
    model = served_model(settings.models_dir)
    assert model is not None and read_status(settings).measured is None
    bench = like_latency
    with new_page(sync_api, height=1000) as page:
        bench.log_in(page, base)
        page.goto(base + "/quality")
        running = page.get_by_text("running in the background")
        running.wait_for(timeout=60_000)
        assert page.locator('[data-testid="stProgress"]').count() == 1
        _shot(page, "40-quality-running")
        # no reload: the fragment polls the job and the page reruns once it is done
        page.get_by_text(f"for model {model.short}").wait_for(timeout=120_000)
        assert running.count() == 0
        assert page.locator('[data-testid="stProgress"]').count() == 0
        assert page.get_by_text("Measured on").count() >= 1
        page.get_by_text("Hybrid weight sweep").first.wait_for(timeout=30_000)
        _shot(page, "41-quality-measured")
    status = read_status(settings)
    assert status.current and status.measured is not None and status.measured.model == model
