"""Movie night's stored member lists: each member's own ranked list, readable by every process.

One new table (``night_lists``); nothing existing is touched. Rows point at their user with
ON DELETE CASCADE, so deleting an account removes its lists.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "night_lists",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("history_key", sa.String(length=64), nullable=False),
        sa.Column("items", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_night_lists_user_id_users", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_night_lists"),
        sa.UniqueConstraint("user_id", "kind", name="uq_night_lists_user_kind"),
    )
    op.create_index("ix_night_lists_user_id", "night_lists", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_night_lists_user_id", table_name="night_lists")
    op.drop_table("night_lists")
