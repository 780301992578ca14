"""Steering (issue 22): hidden titles with a reason, and the dials and streaming services
remembered per user.

A new table (``hidden_titles``) and two nullable columns on ``user_preferences`` (``dials``,
``services``); every existing row keeps its values (NULL in the new columns means "dials in
the middle" and "no services"), and nothing else is touched.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "hidden_titles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("tconst", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=24), nullable=False),
        sa.Column("previous", sa.Boolean(), nullable=True),
        sa.Column("services", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name="fk_hidden_titles_user_id_users",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_hidden_titles"),
        sa.UniqueConstraint("user_id", "tconst", name="uq_hidden_titles_user_title"),
    )
    op.create_index("ix_hidden_titles_user_id", "hidden_titles", ["user_id"])
    with op.batch_alter_table("user_preferences") as batch:
        batch.add_column(sa.Column("dials", sa.Text(), nullable=True))
        batch.add_column(sa.Column("services", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("user_preferences") as batch:
        batch.drop_column("services")
        batch.drop_column("dials")
    op.drop_index("ix_hidden_titles_user_id", table_name="hidden_titles")
    op.drop_table("hidden_titles")
