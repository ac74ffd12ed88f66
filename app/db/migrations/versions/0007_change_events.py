"""change events: the outbox every committed write adds its events to (issue 20)

Revision ID: 0007_change_events
Revises: 0006_terms_combination
Create Date: 2026-12-06 23:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

from app.db.column_types import UTCDateTime

revision = "0007_change_events"
down_revision = "0006_terms_combination"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "event",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("type", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=True),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("object_type", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("object_id", sa.Integer(), nullable=False),
        sa.Column("object_updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("occurred_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_event")),
        sa.UniqueConstraint("id", name=op.f("uq_event_id")),
    )
    op.create_index("ix_event_position", "event", ["position", "seq"])
    op.create_index("ix_event_site_position", "event", ["site_id", "position", "seq"])
    op.create_index(
        "ix_event_organisation_position", "event", ["organisation_id", "position", "seq"]
    )


def downgrade() -> None:
    op.drop_table("event")
