"""coupon codes: one foreign key (coupon, site, organisation) -> coupon instead of three

A coupon code's site and organisation are its coupon's. Three foreign keys (coupon, site,
organisation) made PostgreSQL run three RI triggers per inserted row, each a lookup and a
FOR KEY SHARE lock of the same parent row, every time: about a quarter of the insert of
100,000 generated codes (2026-12-07). One composite key (coupon_id, site_id, organisation_id)
-> coupon (id, site_id, organisation_id) is one check per row and guarantees more: the code's
site and organisation are its coupon's, and they exist (the coupon's own foreign keys). The
target is the unique index on coupon (id, site_id, organisation_id) that 0016 made for the
ledger's key to its code's owner.

SQLite has no ALTER for a table's foreign keys, and rebuilding coupon_code (alembic's batch
mode) is refused inside the migrations' one transaction: dropping the old table counts as
deleting the parents of every assignment and redemption of a code. The change does not touch
how rows are stored, so the table's schema text is rewritten in place, as SQLite's ALTER TABLE
documentation describes for such changes (writable_schema, then a new schema_version so that
every connection reloads it), and `PRAGMA foreign_key_check` proves every existing row keeps
the new key before the transaction commits.

Revision ID: 0017_coupon_code_one_foreign_key
Revises: 0016_ledger_keys
Create Date: 2026-12-07 20:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0017_coupon_code_one_foreign_key"
down_revision = "0016_ledger_keys"
branch_labels = None
depends_on = None

KEY = "fk_coupon_code_coupon_id_coupon"  # the naming convention's name, as the old key's
PARENT_KEY = ["id", "site_id", "organisation_id"]
COLUMNS = ["coupon_id", "site_id", "organisation_id"]
SINGLE = {
    "fk_coupon_code_coupon_id_coupon": ("coupon_id", "coupon"),
    "fk_coupon_code_site_id_site": ("site_id", "site"),
    "fk_coupon_code_organisation_id_organisation": ("organisation_id", "organisation"),
}
# How SQLite's schema text spells them (as migration 0001 created the table).
SQLITE_SINGLE = [
    f"CONSTRAINT {name} FOREIGN KEY({column}) REFERENCES {parent} (id)"
    for name, (column, parent) in SINGLE.items()
]
SQLITE_COMPOSITE = f"CONSTRAINT {KEY} FOREIGN KEY({', '.join(COLUMNS)}) REFERENCES coupon ({', '.join(PARENT_KEY)})"


def _sqlite_foreign_keys(old: list[str], new: list[str]) -> None:
    """coupon_code's schema text with the constraints `old` replaced by `new` (see above)."""
    bind = op.get_bind()
    sql: str = bind.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'coupon_code'"
    ).scalar_one()
    lines = sql.split("\n")
    kept = [line for line in lines if line.strip().rstrip(",") not in old]
    if len(lines) - len(kept) != len(old):
        raise RuntimeError(f"coupon_code's foreign keys are not the expected ones: {sql}")
    at = max(i for i, line in enumerate(kept) if "CONSTRAINT" in line)
    kept[at:at] = [f"\t{constraint}, " for constraint in new]
    version: int = bind.exec_driver_sql("PRAGMA schema_version").scalar_one()
    bind.exec_driver_sql("PRAGMA writable_schema = ON")
    bind.exec_driver_sql(
        "UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = 'coupon_code'",
        ("\n".join(kept),),
    )
    bind.exec_driver_sql(f"PRAGMA schema_version = {int(version) + 1}")
    bind.exec_driver_sql("PRAGMA writable_schema = OFF")
    broken = bind.exec_driver_sql("PRAGMA foreign_key_check(coupon_code)").all()
    if broken:
        raise RuntimeError(f"{len(broken)} coupon codes break the new key, e.g. {broken[:3]}")


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_foreign_keys(SQLITE_SINGLE, [SQLITE_COMPOSITE])
        return
    for name in SINGLE:
        op.drop_constraint(name, "coupon_code", type_="foreignkey")
    op.create_foreign_key(KEY, "coupon_code", "coupon", COLUMNS, PARENT_KEY)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_foreign_keys([SQLITE_COMPOSITE], SQLITE_SINGLE)
    else:
        op.drop_constraint(KEY, "coupon_code", type_="foreignkey")
        for name, (column, parent) in SINGLE.items():
            op.create_foreign_key(name, "coupon_code", parent, [column], ["id"])
