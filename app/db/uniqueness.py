"""Uniqueness among live rows: the partial unique indexes that enforce it, and the check a write
makes first.

The check lets a use case give the usual case a precise user error; the index settles two
writes that both passed the check at once, the loser's statement raising UniqueViolation
(app.db.errors), which `LiveUniqueIndex.broken_by` recognises as a violation of this index.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import sqlalchemy as sa

from app.db import tables as t
from app.db.errors import UniqueViolation
from app.db.handles import Handle
from app.db.keyed_reads import code_key_condition


@dataclass(frozen=True)
class LiveUniqueIndex:
    """A partial unique index over live rows (deleted_at IS NULL)."""

    table: sa.Table
    columns: tuple[str, ...]  # equal values (NULL equal to NULL) ...
    by_code: bool  # ... and the same code string in any letter case
    # How each database names a violation: the index name (PostgreSQL, and SQLite for an
    # expression index) or, for SQLite on plain columns, "table.column, table.column".
    markers: tuple[str, ...]

    def broken_by(self, violation: UniqueViolation) -> bool:
        return any(marker in violation.detail for marker in self.markers)


DISCOUNT_CODE_LIVE = LiveUniqueIndex(
    t.DISCOUNT_CODE,
    columns=("site_id",),
    by_code=True,
    markers=("uq_discount_code_site_code_live",),
)
COUPON_CODE_LIVE = LiveUniqueIndex(
    t.COUPON_CODE,
    columns=("coupon_id",),
    by_code=True,
    markers=("uq_coupon_code_coupon_code_live",),
)


CUSTOMER_EXTERNAL_ID_LIVE = LiveUniqueIndex(
    t.CUSTOMER,
    columns=("organisation_id", "external_id"),
    by_code=False,
    markers=(
        "uq_customer_organisation_external_id_live",
        "customer.organisation_id, customer.external_id",
    ),
)


def _held(code: str) -> LiveUniqueIndex:
    """One live assignment of a code to a customer: uq_assignment_customer_<code>_live over
    (customer_id, <code>_id), which SQLite names by its plain columns."""
    column = f"{code}_id"
    return LiveUniqueIndex(
        t.ASSIGNMENT,
        columns=("customer_id", column),
        by_code=False,
        markers=(
            f"uq_assignment_customer_{code}_live",
            f"assignment.customer_id, assignment.{column}",
        ),
    )


DISCOUNT_CODE_ASSIGNMENT_LIVE = _held("discount_code")
COUPON_CODE_ASSIGNMENT_LIVE = _held("coupon_code")


async def live_duplicate_exists(
    db: Handle,
    index: LiveUniqueIndex,
    values: Mapping[str, object],
    *,
    exclude_id: int | None = None,
) -> bool:
    """Whether a live row other than `exclude_id` already has `values` under `index`."""
    table = index.table
    where = [table.c[name].is_not_distinct_from(values[name]) for name in index.columns]
    if index.by_code:
        code = values["code"]
        assert isinstance(code, str), "a code index is searched by a code string"
        where.append(code_key_condition(table, code))
    if exclude_id is not None:
        where.append(table.c.id != exclude_id)
    statement = sa.select(table.c.id).where(table.c.deleted_at.is_(None), *where).limit(1)
    return (await db.execute(statement)).first() is not None
