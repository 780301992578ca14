"""Shared fixtures: settings in a temp dir, and a migrated database on SQLite and PostgreSQL.

Every test that takes ``db`` runs twice, once per backend. PostgreSQL runs come from a private
server this test run starts itself; where the binaries are missing they are skipped with the
reason.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from recsys.config import Settings  # noqa: E402
from recsys.store.db import Database  # noqa: E402
from tests.pg_server import PostgresServer, find_bindir  # noqa: E402

SHARED_DATA = ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    bindir = find_bindir()
    if bindir is None:
        pytest.skip("PostgreSQL server binaries not installed (Debian package 'postgresql')")
    server = PostgresServer(bindir)
    try:
        server.start()
    except Exception as exc:  # pragma: no cover - depends on the machine
        server.stop()
        pytest.skip(f"could not start a private PostgreSQL server: {exc}")
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _fast_bcrypt(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cost 4 instead of 12 in tests: same code path, a hundred times faster."""
    from recsys import accounts

    monkeypatch.setattr(accounts, "BCRYPT_ROUNDS", 4)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.db'}"
    server: PostgresServer = request.getfixturevalue("pg_server")
    return server.create_database()


@pytest.fixture
def db(database_url: str, settings: Settings) -> Iterator[Database]:
    database = Database.from_settings(settings.with_overrides(database_url=database_url))
    yield database
    database.dispose()


def shared_data(*parts: str) -> Path:
    """A folder of the real data beside the repo, or skip the test when it is absent."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"real data folder {path} not present")
    return path
