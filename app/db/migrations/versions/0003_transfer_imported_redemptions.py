"""redemptions imported from another system are marked with the time of their import

Revision ID: 0003_transfer
Revises: 0002
Create Date: 2026-12-06 14:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import app.db.column_types

revision = "0003_transfer"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "redemption",
        sa.Column("imported_at", app.db.column_types.UTCDateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    # Plain ALTER TABLE (SQLite >= 3.35 drops columns): a batch copy of the table would
    # reflect its neighbours' expression indexes, which SQLAlchemy cannot.
    op.drop_column("redemption", "imported_at")
