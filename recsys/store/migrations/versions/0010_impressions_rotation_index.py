"""An index for Home's rotation: a user's last showings of a section, newest first.

``recent_visits`` reads them on every Home render; with only the single-column indexes it
scanned all of the user's impressions, a number that grows by 20 a visit. Nothing existing is
changed; the index is built from the rows already there.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06
"""

from __future__ import annotations

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_impressions_user_section_shown", "impressions", ["user_id", "section", "shown_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_impressions_user_section_shown", table_name="impressions")
