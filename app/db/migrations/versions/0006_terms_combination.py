"""terms say how a discount combines with others on one order (issue 21, stacking)

Revision ID: 0006_terms_combination
Revises: 0005_partial_value_indexes
Create Date: 2026-12-06 21:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_terms_combination"
down_revision = "0005_partial_value_indexes"
branch_labels = None
depends_on = None

_TABLES = ("coupon", "discount_code")
# Every existing discount keeps what it did: exclusive (one code per order), combining with
# no kind, at priority 0. The server defaults fill the existing rows.
_COLUMNS = (
    ("exclusive", sa.Boolean(), sa.true()),
    ("combines_with_percentage", sa.Boolean(), sa.false()),
    ("combines_with_fixed", sa.Boolean(), sa.false()),
    ("priority", sa.Integer(), sa.text("0")),
)


def upgrade() -> None:
    for table in _TABLES:
        for name, type_, default in _COLUMNS:
            op.add_column(table, sa.Column(name, type_, nullable=False, server_default=default))


def downgrade() -> None:
    # Plain ALTER TABLE (SQLite >= 3.35 drops columns), as 0003 does: a batch copy would
    # reflect the tables' expression indexes, which SQLAlchemy cannot.
    for table in _TABLES:
        for name, _, _ in reversed(_COLUMNS):
            op.drop_column(table, name)
