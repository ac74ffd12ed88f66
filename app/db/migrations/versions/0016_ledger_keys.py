"""the ledger: nine indexes fewer, and its site and organisation checked through its code's owner

Every redemption inserts one entry into each index of `redemption` and runs one foreign-key
check per key, all inside the claim's transaction (app/db/claim.py).

Indexes (25 before, 16 after). Dropped:
- `site_id`, `coupon_id`, `discount_code_id`: each leads a wider index that serves the same
  lookups (the idempotency key's (site_id, idempotency_key), the period indexes
  (coupon_id | discount_code_id, redeemed_at)); EXPLAIN on the benchmark's database picks
  those for a site's, a coupon's and a discount code's ledger.
- `channel`, `currency`: filters of a handful of values, never sorted; no query reads them
  alone.
- `deleted_at`: a ledger row is voided, never deleted, so it is null on every row.
- the three partial `live_<owner>_customer` indexes: the cap counts read usage counters
  since 0004; only a recount (check-ledger, an import's repair) reads the ledger by owner,
  which the period indexes and `coupon_code_id`'s serve.

Foreign keys. The row's `site_id` and `organisation_id` are copies of its code's; their
own keys to `site` and `organisation` made every redemption take FOR KEY SHARE on those few
rows, which every concurrent redemption of a site shares, so PostgreSQL built a MultiXact
of the lockers nearly every time (pgbench doing a redemption's writes: 1.5-2.2 MultiXacts a
transaction). They are replaced by one key to the code's owner, (discount_code_id |
coupon_id, site_id, organisation_id) -> (id, site_id, organisation_id) of discount_code or
coupon, whose row the redemption already holds (it moves its `times_used`), so its key-share
lock is the transaction's own and makes no MultiXact. The owner's own keys prove the site
and organisation exist, and this one proves they are the code's, which nothing did before.
`coupon_owner` makes a coupon code's use name its coupon, so one of the two keys holds on
every row. A database whose ledger disagrees with its codes refuses this migration.

Revision ID: 0016_ledger_keys
Revises: 0015_notify_coalesced
Create Date: 2026-12-07 20:00:00
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0016_ledger_keys"
down_revision = "0015_notify_coalesced"
branch_labels = None
depends_on = None

OWNERS = ("discount_code", "coupon")
KEY = ["site_id", "organisation_id"]

# Plain one-column indexes dropped (ix_redemption_<column>).
PLAIN = ("site_id", "coupon_id", "discount_code_id", "channel", "currency", "deleted_at")
# The partial cap-count indexes dropped: ix_redemption_live_<column>_customer.
LIVE = ("coupon_id", "discount_code_id", "coupon_code_id")


@contextmanager
def _ledger() -> Iterator[Any]:
    """The ledger's batch of changes: plain ALTERs on PostgreSQL, a copy of the table on
    SQLite, whose reflection of the tables its keys name meets their expression indexes
    (lower(code)), which SQLAlchemy skips with a warning: only the ledger is rebuilt, so
    nothing of theirs is lost."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Skipped unsupported reflection", sa.exc.SAWarning)
        with op.batch_alter_table("redemption") as table:
            yield table


def upgrade() -> None:
    for owner in OWNERS:
        op.create_index(f"uq_{owner}_id_site_id_organisation_id", owner, ["id", *KEY], unique=True)
    with _ledger() as table:
        for column, referred in (("site_id", "site"), ("organisation_id", "organisation")):
            table.drop_constraint(f"fk_redemption_{column}_{referred}", type_="foreignkey")
        for owner in OWNERS:
            name = f"fk_redemption_{owner}_id_{owner}"
            table.drop_constraint(name, type_="foreignkey")
            table.create_foreign_key(name, owner, [f"{owner}_id", *KEY], ["id", *KEY])
        table.create_check_constraint(
            op.f("ck_redemption_coupon_owner"),
            sa.text("(coupon_id IS NULL) = (coupon_code_id IS NULL)"),
        )
        for column in PLAIN:
            table.drop_index(f"ix_redemption_{column}")
        for column in LIVE:
            table.drop_index(f"ix_redemption_live_{column}_customer")


def downgrade() -> None:
    live = sa.text("voided_at IS NULL")
    with _ledger() as table:
        for column in LIVE:
            table.create_index(
                f"ix_redemption_live_{column}_customer",
                [column, "customer_id"],
                sqlite_where=live,
                postgresql_where=live,
            )
        for column in PLAIN:
            table.create_index(f"ix_redemption_{column}", [column])
        table.drop_constraint(op.f("ck_redemption_coupon_owner"), type_="check")
        for owner in OWNERS:
            name = f"fk_redemption_{owner}_id_{owner}"
            table.drop_constraint(name, type_="foreignkey")
            table.create_foreign_key(name, owner, [f"{owner}_id"], ["id"])
        for column, referred in (("site_id", "site"), ("organisation_id", "organisation")):
            table.create_foreign_key(
                f"fk_redemption_{column}_{referred}", referred, [column], ["id"]
            )
    for owner in OWNERS:
        op.drop_index(f"uq_{owner}_id_site_id_organisation_id", table_name=owner)
