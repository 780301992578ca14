"""The deployment fits the host it is made for (issue 19): Streamlit Community Cloud's ~1 GB.

``streamlit run app.py`` on a fresh data dir and the shared catalog (``imdb-derived`` +
ml-latest-small: the memory is the point, and the small fake world needs none) inside a 1 GiB
cgroup v1 memory group, as the host runs it: the first start (ingest, training), a new user's
log-in -> onboarding -> Home in Chromium, then the Quality page shows the background
evaluation's measured report, the whole protocol (not a budget's sample), and the kernel killed
nothing. The harness and the figures are ``benchmarks/cgroup_deploy.py``'s.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks import cgroup_deploy
from testkit.chromium import CHROMIUM

DATA = cgroup_deploy.DATA
LIMIT_MB = 1024

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.slow,
    pytest.mark.integration,
    pytest.mark.skipif(not (DATA / "imdb-derived").is_dir(), reason="../shared/data is absent"),
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed"),
    pytest.mark.skipif(
        cgroup_deploy.unavailable() is not None, reason=str(cgroup_deploy.unavailable())
    ),
]
pytest.importorskip("playwright.sync_api", reason="playwright is not installed")


#: Limits for a busy machine, not the time a step takes: this is a memory test. Quiet, the
#: whole journey and report take about 150 s; under a CPU hog several times that (the report
#: wait goes on while the evaluation runs).
FIRST_START_S = 900
TEST_LIMIT_S = 1800
#: The evaluation child's priority here: the app's. At its own nice 10 it got 7 % of a core
#: beside a CPU hog and other tests (37 % of the protocol in 16 minutes); its priority is the
#: deployment's CPU policy, not what this test measures.
CHILD_NICE = 0


@pytest.mark.timeout(TEST_LIMIT_S)
def test_first_start_journey_and_measured_report_in_1_gib(tmp_path: Path) -> None:
    result = cgroup_deploy.run(
        tmp_path,
        DATA / "imdb-derived",
        DATA / "movielens-small",
        LIMIT_MB,
        first_start_s=FIRST_START_S,
        report_timeout_s=300,
        child_nice=CHILD_NICE,
    )
    print(result)  # the figures, for the log (-s)
    assert result["oom_kill"] == 0
    assert "the model being served" in result["quality_stamp"]
    assert result["sample_note"] == ""  # the full protocol fitted beside the app
    assert result["children_seen"] >= 1  # the evaluation child ran in the group
    assert result["group_peak_mb"] < LIMIT_MB
