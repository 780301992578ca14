"""Downloads against a local HTTP server: progress, retries, resume, verification, skipping."""

from __future__ import annotations

import gzip
import os
import socket
from pathlib import Path

import pytest

from recsys.ingest.download import fetch, find_local, resolve_url, verify
from recsys.ingest.errors import CorruptFileError, DownloadError, SourceNotFoundError

BODY = gzip.compress(os.urandom(1 << 19) + b"tconst\ttitleType\n" * 50_000, mtime=0)
NAME = "title.basics.tsv.gz"


def _fetch(base: str, tmp_path: Path, **kw) -> Path:
    kw.setdefault("retries", 2)
    kw.setdefault("backoff", 0.0)
    kw.setdefault("timeout", 5.0)
    path = fetch(base, NAME, tmp_path / "dl", **kw)
    assert path is not None
    return path


def _gets(state) -> list[dict[str, str]]:
    return [headers for method, _, headers in state.requests if method == "GET"]


def test_download_with_progress(http_server, tmp_path: Path) -> None:
    base, state = http_server
    state.files["/" + NAME] = BODY
    calls: list[tuple[int, int | None]] = []
    path = _fetch(base, tmp_path, progress=lambda d, t: calls.append((d, t)))
    assert path.read_bytes() == BODY
    assert calls[-1] == (len(BODY), len(BODY))
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)
    assert sorted(p.name for p in path.parent.iterdir()) == [NAME, NAME + ".etag"]


def test_cut_off_resumes_with_range(http_server, tmp_path: Path) -> None:
    base, state = http_server
    state.files["/" + NAME] = BODY
    state.script["/" + NAME] = ["cut"]
    path = _fetch(base, tmp_path)
    assert path.read_bytes() == BODY
    gets = _gets(state)
    assert len(gets) == 2
    start = int(gets[1]["Range"].removeprefix("bytes=").removesuffix("-"))
    assert 0 < start <= len(BODY) // 2


def test_cut_off_restarts_when_server_ignores_range(http_server, tmp_path: Path) -> None:
    base, state = http_server
    state.files["/" + NAME] = BODY
    state.script["/" + NAME] = ["cut"]
    state.ranges = False
    path = _fetch(base, tmp_path)
    assert path.read_bytes() == BODY
    assert len(_gets(state)) == 2


def test_server_error_then_success(http_server, tmp_path: Path) -> None:
    base, state = http_server
    state.files["/" + NAME] = BODY
    state.script["/" + NAME] = ["500", "500"]
    assert _fetch(base, tmp_path).read_bytes() == BODY
    assert len(_gets(state)) == 3


def test_persistent_server_error_gives_up(http_server, tmp_path: Path) -> None:
    base, state = http_server
    state.files["/" + NAME] = BODY
    state.script["/" + NAME] = ["500"] * 5
    with pytest.raises(DownloadError, match=r"title\.basics\.tsv\.gz.*HTTP 500"):
        _fetch(base, tmp_path, retries=1)
    assert not (tmp_path / "dl" / NAME).exists()


def test_timeout_then_success(http_server, tmp_path: Path) -> None:
    base, state = http_server
    state.files["/" + NAME] = BODY
    state.script["/" + NAME] = ["slow"]
    assert _fetch(base, tmp_path, timeout=0.3).read_bytes() == BODY


def test_truncated_gzip_is_rejected_and_not_left(http_server, tmp_path: Path) -> None:
    base, state = http_server
    state.files["/" + NAME] = BODY[: len(BODY) - 100]  # whole transfer, damaged content
    with pytest.raises(CorruptFileError, match=r"title\.basics\.tsv\.gz.*truncated"):
        _fetch(base, tmp_path, retries=1)
    assert list((tmp_path / "dl").iterdir()) == []


def test_missing_file_is_not_found_or_none_when_optional(http_server, tmp_path: Path) -> None:
    base, _ = http_server
    with pytest.raises(SourceNotFoundError, match="404"):
        _fetch(base, tmp_path)
    assert fetch(base, NAME, tmp_path, optional=True, retries=0) is None


def test_unreachable_host_names_file_url_and_setting(tmp_path: Path) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    base = f"http://127.0.0.1:{port}/"
    with pytest.raises(DownloadError) as info:
        _fetch(base, tmp_path, retries=1)
    message = str(info.value)
    assert NAME in message and base + NAME in message
    assert "MARQUEE_IMDB_SOURCE" in message and "folder" in message
    with pytest.raises(DownloadError, match="MARQUEE_MOVIELENS_SOURCE"):
        fetch(base + "ml.zip", "ml.zip", tmp_path, retries=0)


def test_already_downloaded_is_skipped(http_server, tmp_path: Path) -> None:
    base, state = http_server
    state.files["/" + NAME] = BODY
    first = _fetch(base, tmp_path)
    second = _fetch(base, tmp_path)
    assert first == second
    assert len(_gets(state)) == 1  # the second call only asked HEAD


def test_changed_file_is_downloaded_again(http_server, tmp_path: Path) -> None:
    base, state = http_server
    state.files["/" + NAME] = BODY
    _fetch(base, tmp_path)
    newer = gzip.compress(b"newer dump\n" * 1000, mtime=0)
    state.files["/" + NAME] = newer
    assert _fetch(base, tmp_path).read_bytes() == newer


def test_same_size_without_etag_is_skipped(http_server, tmp_path: Path) -> None:
    base, state = http_server
    state.etag = False
    state.files["/" + NAME] = BODY
    _fetch(base, tmp_path)
    _fetch(base, tmp_path)
    assert len(_gets(state)) == 1


def test_offline_uses_verified_copy(http_server, tmp_path: Path) -> None:
    base, state = http_server
    state.files["/" + NAME] = BODY
    path = _fetch(base, tmp_path)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}/"
    assert _fetch(dead, tmp_path) == path


def test_local_folder_finds_tsv_or_gz(tmp_path: Path) -> None:
    (tmp_path / "title.basics.tsv").write_text("x")
    assert fetch(str(tmp_path), NAME, tmp_path) == tmp_path / "title.basics.tsv"
    (tmp_path / NAME).write_bytes(BODY)
    assert find_local(tmp_path, NAME) == tmp_path / NAME
    assert find_local(tmp_path, "title.crew.tsv.gz") is None
    assert find_local(tmp_path / NAME, NAME) == tmp_path / NAME  # the file itself
    assert find_local(tmp_path / NAME, "title.crew.tsv.gz") is None
    with pytest.raises(SourceNotFoundError, match=r"title\.crew.*MARQUEE_IMDB_SOURCE"):
        fetch(str(tmp_path), "title.crew.tsv.gz", tmp_path)


def test_resolve_url() -> None:
    assert resolve_url("https://x.org/", NAME) == "https://x.org/" + NAME
    assert resolve_url("https://x.org/data", NAME) == "https://x.org/data/" + NAME
    assert resolve_url("https://x.org/ml.zip", "ml.zip") == "https://x.org/ml.zip"


def test_verify_zip(tmp_path: Path) -> None:
    import zipfile

    good = tmp_path / "a.zip"
    with zipfile.ZipFile(good, "w") as zf:
        zf.writestr("ml/ratings.csv", "userId\n" * 1000)
    verify(good)
    bad = tmp_path / "b.zip"
    bad.write_bytes(good.read_bytes()[:-30])
    with pytest.raises(CorruptFileError, match=r"b\.zip"):
        verify(bad)
