"""Initial schema: users (without favourite genres), titles, interactions, training data, caches.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    _accounts()
    _catalog()
    _interactions()
    _training_data()
    _runs_and_caches()


def _accounts() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("password_hash", sa.String(100), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("onboarded_at", TS, nullable=True),
        sa.Column("failed_logins", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("locked_until", TS, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.UniqueConstraint("username", name="uq_users_username"),
        sa.UniqueConstraint("email", name="uq_users_email"),
    )


def _catalog() -> None:
    op.create_table(
        "titles",
        sa.Column("tconst", sa.String(16), nullable=False),
        sa.Column("title_type", sa.String(16), nullable=False),
        sa.Column("primary_title", sa.Text(), nullable=False),
        sa.Column("original_title", sa.Text(), nullable=True),
        sa.Column("start_year", sa.Integer(), nullable=True),
        sa.Column("end_year", sa.Integer(), nullable=True),
        sa.Column("runtime_minutes", sa.Integer(), nullable=True),
        sa.Column("genres", sa.Text(), nullable=True),
        sa.Column("average_rating", sa.Float(), nullable=True),
        sa.Column("num_votes", sa.Integer(), nullable=False),
        sa.Column("directors", sa.Text(), nullable=True),
        sa.Column("writers", sa.Text(), nullable=True),
        sa.Column("top_cast", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("tconst", name="pk_titles"),
    )
    op.create_index("ix_titles_type_votes", "titles", ["title_type", "num_votes"])
    op.create_index("ix_titles_start_year", "titles", ["start_year"])


def _interactions() -> None:
    op.create_table(
        "interactions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("tconst", sa.String(16), nullable=False),
        sa.Column("liked", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(32), nullable=False, server_default="home"),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_interactions"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_interactions_user_id_users", ondelete="CASCADE"
        ),
        sa.UniqueConstraint("user_id", "tconst", name="uq_interactions_user_title"),
    )
    op.create_index("ix_interactions_user_id", "interactions", ["user_id"])
    op.create_index("ix_interactions_tconst", "interactions", ["tconst"])
    op.create_table(
        "impressions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("tconst", sa.String(16), nullable=False),
        sa.Column("section", sa.String(16), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("model_part", sa.String(32), nullable=False),
        sa.Column("shown_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_impressions"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_impressions_user_id_users", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_impressions_user_id", "impressions", ["user_id"])
    op.create_index("ix_impressions_tconst", "impressions", ["tconst"])
    op.create_index("ix_impressions_shown_at", "impressions", ["shown_at"])


def _training_data() -> None:
    op.create_table(
        "training_ratings",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("tconst", sa.String(16), nullable=False),
        sa.Column("rating", sa.Float(), nullable=False),
        sa.Column("timestamp", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_training_ratings"),
    )
    op.create_index("ix_training_ratings_user_id", "training_ratings", ["user_id"])
    op.create_index("ix_training_ratings_tconst", "training_ratings", ["tconst"])
    op.create_table(
        "title_tags",
        sa.Column("tconst", sa.String(16), nullable=False),
        sa.Column("tag", sa.String(200), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("tconst", "tag", name="pk_title_tags"),
    )


def _runs_and_caches() -> None:
    op.create_table(
        "ingest_runs",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("finished_at", TS, nullable=False),
        sa.Column("imdb_source", sa.Text(), nullable=False),
        sa.Column("movielens_source", sa.Text(), nullable=False),
        sa.Column("min_votes", sa.Integer(), nullable=False),
        sa.Column("summary_json", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_ingest_runs"),
    )
    op.create_table(
        "tmdb_cache",
        sa.Column("tconst", sa.String(16), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("fetched_at", TS, nullable=False),
        sa.Column("expires_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("tconst", name="pk_tmdb_cache"),
    )
    op.create_index("ix_tmdb_cache_expires_at", "tmdb_cache", ["expires_at"])


def downgrade() -> None:
    for table in (
        "impressions",
        "tmdb_cache",
        "ingest_runs",
        "title_tags",
        "training_ratings",
        "interactions",
        "titles",
        "users",
    ):
        op.drop_table(table)
