"""the code tables' indexes of nullable columns hold only the rows with a value

Revision ID: 0005_partial_value_indexes
Revises: 0004_usage_counters
Create Date: 2026-12-06 21:00:00

Coupons, discount codes and coupon codes are what bulk writes fill (code generation, imports),
and most of their nullable columns are empty on most rows: each index of one such column now
leaves those rows out (`WHERE col IS NOT NULL`), so inserting them costs nothing there. Every
filter that can use one of these indexes implies a value, and no sort used them (why, and the
figures: app.db.tables._index_only_values, docs/performance.md).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_partial_value_indexes"
down_revision = "0004_usage_counters"
branch_labels = None
depends_on = None

_TERMS = (
    "deleted_at",
    "disabled_at",
    "expires_in",
    "external_id",
    "max_uses",
    "max_uses_per_customer",
    "max_uses_per_order",
    "percentage_bp",
    "publish_from",
    "publish_to",
    "valid_from",
    "valid_to",
)
PARTIAL = {
    "coupon": _TERMS,
    "discount_code": _TERMS,
    "coupon_code": (
        "customer_credit_id",
        "customer_id",
        "deleted_at",
        "external_id",
        "revenue",
        "valid_from",
        "valid_to",
    ),
}


def _recreate(*, partial: bool) -> None:
    for table, columns in PARTIAL.items():
        for column in columns:
            name = f"ix_{table}_{column}"
            op.drop_index(name, table_name=table)
            where = sa.text(f"{column} IS NOT NULL") if partial else None
            op.create_index(name, table, [column], postgresql_where=where, sqlite_where=where)


def upgrade() -> None:
    _recreate(partial=True)


def downgrade() -> None:
    _recreate(partial=False)
