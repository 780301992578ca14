"""Alembic environment: runs against the connection handed over by ``recsys.store.db``.

The URL never comes from alembic.ini or the environment here; ``recsys.store.db.migrate`` passes
a live connection in ``config.attributes["connection"]`` (one settings object rules everything).
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from recsys.store.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is None:  # `alembic upgrade head` from the command line
        from recsys.config import Settings

        url = config.get_main_option("sqlalchemy.url") or Settings.from_env().resolved_database_url
        with create_engine(url).connect() as conn:
            _run(conn)
        return
    _run(connection)


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite cannot ALTER most things; batch mode copies the table
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
