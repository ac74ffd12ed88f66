"""webhooks: a rolled signing secret stays valid for a while (rotateWebhookSecret)

`previous_secret` is the secret a rotation replaced, and `previous_secret_expires_at` when
deliveries stop being signed with it too: until then each delivery carries a `v1` signature
under both secrets, so a receiver can switch to the new one without a window in which it
refuses genuine deliveries (Stripe's "roll secret").

Revision ID: 0011_webhook_secret_roll
Revises: 0010_claim_lock
Create Date: 2026-12-07 11:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

from app.db.column_types import UTCDateTime

revision = "0011_webhook_secret_roll"
down_revision = "0010_claim_lock"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("webhook_endpoint") as table:
        table.add_column(
            sa.Column(
                "previous_secret", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True
            )
        )
        table.add_column(
            sa.Column("previous_secret_expires_at", UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("webhook_endpoint") as table:
        table.drop_column("previous_secret_expires_at")
        table.drop_column("previous_secret")
