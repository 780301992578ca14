"""Movie night (issue 23): nights, their members and vetoes, and titles watched together.

Four new tables; nothing existing is touched. Every row points at its user with ON DELETE
CASCADE, so deleting an account removes its nights (as host), seats, vetoes and watched marks.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def _user_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["user_id"], ["users.id"], name=f"fk_{table}_user_id_users", ondelete="CASCADE"
    )


def _night_fk(table: str, ondelete: str = "CASCADE") -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["night_id"], ["nights.id"], name=f"fk_{table}_night_id_nights", ondelete=ondelete
    )


def upgrade() -> None:
    op.create_table(
        "nights",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=12), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kept", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("strategy", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=8), server_default="movie", nullable=False),
        sa.Column("max_runtime", sa.Integer(), nullable=True),
        sa.Column("streamable_only", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        _user_fk("nights"),
        sa.PrimaryKeyConstraint("id", name="pk_nights"),
        sa.UniqueConstraint("code", name="uq_nights_code"),
    )
    op.create_index("ix_nights_user_id", "nights", ["user_id"])
    op.create_index("ix_nights_expires_at", "nights", ["expires_at"])
    op.create_table(
        "night_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("night_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("seat", sa.Integer(), nullable=True),
        sa.Column("first_name", sa.String(length=40), nullable=False),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "seat IS NULL OR (seat >= 1 AND seat <= 6)", name="ck_night_members_seat_range"
        ),
        _night_fk("night_members"),
        _user_fk("night_members"),
        sa.PrimaryKeyConstraint("id", name="pk_night_members"),
        sa.UniqueConstraint("night_id", "user_id", name="uq_night_members_night_user"),
        sa.UniqueConstraint("night_id", "seat", name="uq_night_members_night_seat"),
    )
    op.create_index("ix_night_members_night_id", "night_members", ["night_id"])
    op.create_index("ix_night_members_user_id", "night_members", ["user_id"])
    op.create_table(
        "night_vetoes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("night_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("tconst", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        _night_fk("night_vetoes"),
        _user_fk("night_vetoes"),
        sa.PrimaryKeyConstraint("id", name="pk_night_vetoes"),
        sa.UniqueConstraint(
            "night_id", "user_id", "tconst", name="uq_night_vetoes_night_user_title"
        ),
    )
    op.create_index("ix_night_vetoes_night_id", "night_vetoes", ["night_id"])
    op.create_index("ix_night_vetoes_user_id", "night_vetoes", ["user_id"])
    op.create_table(
        "watched_together",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("night_id", sa.Integer(), nullable=True),
        sa.Column("tconst", sa.String(length=16), nullable=False),
        sa.Column("watched_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        _night_fk("watched_together", "SET NULL"),
        _user_fk("watched_together"),
        sa.PrimaryKeyConstraint("id", name="pk_watched_together"),
        sa.UniqueConstraint("user_id", "tconst", name="uq_watched_together_user_title"),
    )
    op.create_index("ix_watched_together_user_id", "watched_together", ["user_id"])
    op.create_index("ix_watched_together_night_id", "watched_together", ["night_id"])


def downgrade() -> None:
    for table, columns in (
        ("watched_together", ("user_id", "night_id")),
        ("night_vetoes", ("night_id", "user_id")),
        ("night_members", ("night_id", "user_id")),
        ("nights", ("user_id", "expires_at")),
    ):
        for column in columns:
            op.drop_index(f"ix_{table}_{column}", table_name=table)
        op.drop_table(table)
