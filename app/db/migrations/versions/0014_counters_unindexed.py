"""times_used: no index, so a redemption's counter moves are HOT updates

Every redemption moves `times_used` on the rows it uses: the owner (coupon or discount code),
its coupon code, its assignment (app/db/claim.py, the function of migration 0010 locks them).
While `times_used` was indexed, PostgreSQL could never update those rows in place (a HOT
update needs no indexed column to change): each claim wrote a new entry into every index of
the row (23 on discount_code) while holding the code's row lock. Measured on 2026-12-07
(pgredeem, 24,668 updates of discount_code, 0 HOT; pgbench making a redemption's writes on the
hot code: 1.8-3.6x the rate without `ix_discount_code_times_used`).

After it (bench run, the hot code and 200 codes): discount_code 5,649 of 5,754 updates HOT
(98 %), before 0 of 5,754; no fillfactor needed for that.

Sorting a list by timesUsed stays available and now sorts the list's rows in memory (top-N
heapsort). EXPLAIN ANALYZE on the benchmark's database (median of 5, busy machine): a page
of a site's 25,000 coupon codes by timesUsed 25 ms either direction (before: 37 ms ascending,
where the old index's ties at 0 were sorted anyway, 0.7 ms descending); of all 100,000,
39-71 ms (before 29 ms / 0.4 ms); a site's 2,500 discount codes 8 ms (0.6 ms). The
exception is named in tests/db/test_schema.py, UNINDEXED_COUNTERS.

Revision ID: 0014_counters_unindexed
Revises: 0013_assignment_site_created
Create Date: 2026-12-07 17:40:00
"""

from __future__ import annotations

from alembic import op

revision = "0014_counters_unindexed"
down_revision = "0013_assignment_site_created"
branch_labels = None
depends_on = None

# The tables whose `times_used` a redemption moves (app.db.ledger.TABLES).
TABLES = ("coupon", "discount_code", "coupon_code", "assignment")


def upgrade() -> None:
    for table in TABLES:
        op.drop_index(f"ix_{table}_times_used", table_name=table)


def downgrade() -> None:
    for table in TABLES:
        op.create_index(f"ix_{table}_times_used", table, ["times_used"])
