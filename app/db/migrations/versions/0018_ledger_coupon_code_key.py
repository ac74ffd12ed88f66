"""the ledger: a coupon code's use names that code of that coupon

A ledger row of a coupon code names the code (`coupon_code_id`) and its coupon (`coupon_id`,
since 0016 the key to the owner's site and organisation); nothing made them agree, so a row
could name one coupon's code and another coupon. The key on `coupon_code_id` alone becomes
(coupon_code_id, coupon_id) -> (id, coupon_id) of coupon_code, under the unique index
`uq_coupon_code_id_coupon_id`: the use's code is its coupon's. It costs a redemption no
lock: the claim already holds the coupon code's row (it moves its `times_used`), so the
key's share lock is the transaction's own, as 0016's owner key is. A database whose ledger
disagrees with its codes refuses this migration.

Revision ID: 0018_ledger_coupon_code_key
Revises: 0017_coupon_code_one_foreign_key
Create Date: 2026-12-07 23:00:00
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0018_ledger_coupon_code_key"
down_revision = "0017_coupon_code_one_foreign_key"
branch_labels = None
depends_on = None

KEY = "fk_redemption_coupon_code_id_coupon_code"  # the naming convention's, as the old key's
PARENT = "uq_coupon_code_id_coupon_id"


@contextmanager
def _ledger() -> Iterator[Any]:
    """The ledger's batch of changes: plain ALTERs on PostgreSQL, a copy of the table on
    SQLite (as in 0016: the expression indexes of the tables its keys name are skipped by
    reflection with a warning, and only the ledger is rebuilt)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Skipped unsupported reflection", sa.exc.SAWarning)
        with op.batch_alter_table("redemption") as table:
            yield table


def upgrade() -> None:
    op.create_index(PARENT, "coupon_code", ["id", "coupon_id"], unique=True)
    with _ledger() as table:
        table.drop_constraint(KEY, type_="foreignkey")
        table.create_foreign_key(
            KEY, "coupon_code", ["coupon_code_id", "coupon_id"], ["id", "coupon_id"]
        )


def downgrade() -> None:
    with _ledger() as table:
        table.drop_constraint(KEY, type_="foreignkey")
        table.create_foreign_key(KEY, "coupon_code", ["coupon_code_id"], ["id"])
    op.drop_index(PARENT, table_name="coupon_code")
