"""Add throttle_counters: failed log-ins and registrations counted per client (issue 21).

A new table only; users, sessions and everything else are untouched. The per-user lockout
columns (``users.failed_logins``, ``users.locked_until``) are no longer read or written: the
lockout let strangers keep an owner out. They stay in place (dropping them would gain nothing
and would rewrite the users table on SQLite).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "throttle_counters",
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("last_failure_at", TS, nullable=True),
        sa.Column("blocked_until", TS, nullable=True),
        sa.Column("known_until", TS, nullable=True),
        sa.Column("updated_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_throttle_counters"),
    )
    op.create_index("ix_throttle_counters_updated_at", "throttle_counters", ["updated_at"])


def downgrade() -> None:
    op.drop_index("ix_throttle_counters_updated_at", table_name="throttle_counters")
    op.drop_table("throttle_counters")
