"""usage counters: the ledger's counts that the caps read, filled from the existing ledger

Revision ID: 0004_usage_counters
Revises: 0003_transfer
Create Date: 2026-12-06 14:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0004_usage_counters"
down_revision = "0003_transfer"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "usage_counter",
        sa.Column("owner_type", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("owner_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("uses", sa.Integer(), nullable=False),
        sa.CheckConstraint("uses >= 0", name=op.f("ck_usage_counter_uses")),
        sa.PrimaryKeyConstraint("owner_type", "owner_id", "key", name=op.f("pk_usage_counter")),
    )
    # The counters start equal to the ledger (and so do the times_used columns, which the
    # same recount checks): the code that scripts/check-ledger --fix runs.
    from app.db.usage_counters import recount_sync

    recount_sync(op.get_bind(), fix=True)


def downgrade() -> None:
    op.drop_table("usage_counter")
