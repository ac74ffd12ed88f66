"""Usage counters: the ledger's counts that the caps read, kept in the ledger's own transaction.

A check needs, for one owner (the coupon or discount code carrying the caps): its live uses
in total or in the usage-period bucket containing the attempt, by the customer, of the code,
of the code by the customer, and in the order. Counting those in the ledger costs time in
proportion to its length (1,000,000 earlier uses of a code made one redemption take 1.3 s),
so every key but the order's is a `usage_counter` row, read by primary key and moved by an
UPSERT wherever a ledger row is inserted or voided:

    total                       live uses of the owner, all time
    P1D:2026-12-06T00:00:00Z    live uses in the owner's usage-period bucket starting then
                                (its site's time zone: the bucket `usage_period_bounds` gives)
    customer:<id>               by one customer
    code:<id>                   of one code (a coupon code; for a discount code, itself)
    code:<id>:customer:<id>     of one code by one customer

The per-order count stays a count of the ledger, by its order_reference index: an order holds a
handful of redemptions, so that count is already bounded by one order's rows, while a
counter row per order would be kept forever for an unbounded number of orders.

Buckets follow the owner's current usage period and its site's current time zone: changing
either recounts the owner's counters from the ledger (`recount`, in the transaction making the
change, which holds the owner's row lock). `recount` is also what `scripts/check-ledger` runs,
reporting (or with `fix`, repairing) every counter, and `times_used`, that differs from the
ledger; `count_ledger_rows` moves every counter for a batch of ledger rows written by other
paths (imports, test factories).

Counters of one owner are only moved by a transaction holding that owner's row lock (the first
lock of app.services.engine_facts.counters_of), so a count read under it cannot change before
that transaction commits. On SQLite the writer lock serialises everything.
"""

from __future__ import annotations

import functools
from collections import Counter as Tally
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Row

from app.db.handles import Handle
from app.db.tables import (
    ASSIGNMENT,
    COUPON,
    COUPON_CODE,
    DISCOUNT_CODE,
    REDEMPTION,
    SITE,
    USAGE_COUNTER,
)
from app.domain.calendar import usage_period_bounds, usage_period_of_day
from app.domain.enums import UsagePeriod
from app.domain.rules import Usage

# The owner column of the ledger -> (the owner's table, the code column, the owner_type).
OWNERS: dict[str, tuple[sa.Table, str, str]] = {
    "coupon_id": (COUPON, "coupon_code_id", "coupon"),
    "discount_code_id": (DISCOUNT_CODE, "discount_code_id", "discount_code"),
}
TOTAL = "total"


def bucket_key(usage_period: UsagePeriod, start: datetime) -> str:
    """The key of the bucket of `usage_period` that starts at `start`; the period's name is
    part of it, so a bucket of another period is never read as this one's."""
    return f"{usage_period.value}:{start.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}"


def bucket_at(usage_period: UsagePeriod | None, at: datetime, time_zone: str) -> str | None:
    """The key of the usage-period bucket containing the instant `at`, None without a period."""
    if usage_period is None:
        return None
    return bucket_key(usage_period, usage_period_bounds(usage_period, at, time_zone)[0])


def customer_key(customer_id: int | None) -> str | None:
    return None if customer_id is None else f"customer:{customer_id}"


def code_key(code_id: int) -> str:
    return f"code:{code_id}"


def code_customer_key(code_id: int, customer_id: int | None) -> str | None:
    return None if customer_id is None else f"code:{code_id}:customer:{customer_id}"


@dataclass(frozen=True)
class Use:
    """What one live ledger row counts against: its owner, code, customer and bucket."""

    owner_column: str  # "coupon_id" or "discount_code_id", as the ledger names it
    owner_id: int
    code_id: int
    customer_id: int | None
    bucket: str | None  # bucket_at(the owner's usage period, redeemed_at, the site's zone)

    @property
    def owner_type(self) -> str:
        return OWNERS[self.owner_column][2]

    def keys(self) -> list[str]:
        keys = [TOTAL, code_key(self.code_id)]
        if self.bucket is not None:
            keys.append(self.bucket)
        if self.customer_id is not None:
            keys += [
                f"customer:{self.customer_id}",
                f"code:{self.code_id}:customer:{self.customer_id}",
            ]
        return keys


# -- reading ----------------------------------------------------------------------------------


@functools.cache
def _usage_statement(owner_column: str, in_order: bool) -> sa.Select[Any]:
    """The counts of one check in one statement, built once per kind of owner and whether
    the attempt names an order: four counter rows by primary key (a missing row is 0 uses)
    and, for an order, the order's uses by its index. A NULL key (no customer) matches
    nothing: 0."""
    c, r = USAGE_COUNTER, REDEMPTION
    owner_type: Any = sa.bindparam("owner_type")
    owner_id: Any = sa.bindparam("owner_id")

    def uses(key: str) -> Any:
        found = sa.select(c.c.uses).where(
            c.c.owner_type == owner_type, c.c.owner_id == owner_id, c.c.key == sa.bindparam(key)
        )
        return sa.func.coalesce(found.scalar_subquery(), 0)

    order_uses: Any = sa.literal(0)
    if in_order:
        # The owner is compared as an expression (id + 0) so that no plan, generic or not,
        # walks the owner's index (all its uses) instead of the order's (a handful of rows).
        order_uses = (
            sa.select(sa.func.count())
            .select_from(r)
            .where(
                r.c.order_reference == sa.bindparam("order_reference"),
                r.c[owner_column] + 0 == owner_id,
                r.c.voided_at.is_(None),
            )
            .scalar_subquery()
        )
    return sa.select(
        uses("total_key").label("total"),
        uses("customer_key").label("by_customer"),
        order_uses.label("in_order"),
        uses("code_key").label("of_code"),
        uses("code_customer_key").label("of_code_by_customer"),
    )


def usage_parameters(
    owner_column: str,
    owner_id: int,
    code_id: int,
    customer_id: int | None,
    order_reference: str | None,
    bucket: str | None,
) -> dict[str, Any]:
    """The values `_usage_statement` takes for one check; `bucket` (a usage period's) replaces
    the all-time total."""
    return {
        "owner_type": OWNERS[owner_column][2],
        "owner_id": owner_id,
        "total_key": TOTAL if bucket is None else bucket,
        "customer_key": customer_key(customer_id),
        "code_key": code_key(code_id),
        "code_customer_key": code_customer_key(code_id, customer_id),
        "order_reference": order_reference,
    }


async def read_usage(db: Handle, owner_column: str, **values: Any) -> Usage:
    """The uses one check weighs (see `usage_parameters` for `values`), in one statement whose
    cost does not depend on the length of the ledger."""
    parameters = usage_parameters(owner_column, **values)
    statement = _usage_statement(owner_column, parameters["order_reference"] is not None)
    if parameters["order_reference"] is None:
        del parameters["order_reference"]
    row = (await db.execute(statement, parameters)).one()
    return Usage(**{name: int(value) for name, value in row._mapping.items()})


# -- moving -----------------------------------------------------------------------------------


def dialect_name(db: Any) -> str:
    """The dialect of a Connection or AsyncConnection, or of a (sync or async) Session's bind."""
    if hasattr(db, "dialect"):
        return str(db.dialect.name)
    return str(db.get_bind().dialect.name)


@functools.cache
def _upsert(dialect: str, rows: int, absolute: bool) -> Any:
    """INSERT of `rows` counter rows that adds each row's `uses` to the row already there, or
    with `absolute` sets it. Built once per shape."""
    c = USAGE_COUNTER
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(c)
    values: list[dict[str, Any]] = [
        {
            name: sa.bindparam(f"{name}_{index}")
            for name in ("owner_type", "owner_id", "key", "uses")
        }
        for index in range(rows)
    ]
    statement = insert.values(values)
    new = statement.excluded.uses if absolute else c.c.uses + statement.excluded.uses
    return statement.on_conflict_do_update(
        index_elements=list(c.primary_key.columns), set_={"uses": new}
    )


def _give_back() -> Any:
    """Takes uses back from a counter, never below zero: a use given back that was never
    counted (an import that left the counters out) leaves 0, as a missing row is."""
    c = USAGE_COUNTER
    left = c.c.uses - sa.bindparam("n")
    return (
        sa.update(c)
        .where(
            c.c.owner_type == sa.bindparam("t"),
            c.c.owner_id == sa.bindparam("o"),
            c.c.key == sa.bindparam("k"),
        )
        .values(uses=sa.case((left < 0, 0), else_=left))
    )


_GIVE_BACK = _give_back()
# Rows per statement when many counters move at once (a recount, an import's batch).
_CHUNK = 500


def _upserts(
    dialect: str, rows: list[tuple[str, int, str, int]], absolute: bool
) -> Iterator[tuple[Any, dict[str, Any]]]:
    """The UPSERT statements (and their values) writing `rows`, `_CHUNK` rows a statement."""
    for start in range(0, len(rows), _CHUNK):
        chunk = rows[start : start + _CHUNK]
        values = {}
        for index, (owner_type, owner_id, key, uses) in enumerate(chunk):
            values.update({
                f"owner_type_{index}": owner_type, f"owner_id_{index}": owner_id,
                f"key_{index}": key, f"uses_{index}": uses,
            })  # fmt: skip
        yield _upsert(dialect, len(chunk), absolute), values


async def _write(db: Handle, rows: list[tuple[str, int, str, int]], absolute: bool) -> None:
    for statement, values in _upserts(dialect_name(db), rows, absolute):
        await db.execute(statement, values)


async def move(db: Handle, uses: Iterable[Use], delta: int) -> None:
    """Adds `delta` (+1 a use, -1 a use given back) to every counter of each of `uses`, in key
    order (the same order in every transaction): an UPSERT per 500 counters raised, one
    UPDATE (executed for each) for those lowered."""
    tally: Tally[tuple[str, int, str]] = Tally()
    for use in uses:
        for key in use.keys():  # noqa: SIM118 (Use.keys() names its counters; Use is no mapping)
            tally[(use.owner_type, use.owner_id, key)] += delta
    added = [(*name, n) for name, n in sorted(tally.items()) if n > 0]
    if added:
        await _write(db, added, absolute=False)
    taken = [{"t": t, "o": o, "k": k, "n": -n} for (t, o, k), n in sorted(tally.items()) if n < 0]
    if taken:
        await db.execute(_GIVE_BACK, taken)


# -- batches of ledger rows ---------------------------------------------------------------------


def _ledger_uses_statement(ids: Sequence[int]) -> sa.Select[Any]:
    r = REDEMPTION
    coupon_period = sa.select(COUPON.c.usage_period).where(COUPON.c.id == r.c.coupon_id)
    code_period = sa.select(DISCOUNT_CODE.c.usage_period).where(
        DISCOUNT_CODE.c.id == r.c.discount_code_id
    )
    period = sa.func.coalesce(coupon_period.scalar_subquery(), code_period.scalar_subquery())
    zone = sa.select(SITE.c.time_zone).where(SITE.c.id == r.c.site_id).scalar_subquery()
    return sa.select(
        r.c.coupon_id, r.c.coupon_code_id, r.c.discount_code_id, r.c.assignment_id,
        r.c.customer_id, r.c.redeemed_at, period.label("usage_period"), zone.label("time_zone"),
    ).where(r.c.id.in_(ids), r.c.voided_at.is_(None))  # fmt: skip


def use_of(row: Row[Any], usage_period: UsagePeriod | str | None, time_zone: str) -> Use:
    """The Use of a ledger row (anything with the redemption's columns)."""
    period = None if usage_period is None else UsagePeriod(usage_period)
    owner_column = "coupon_id" if row.coupon_code_id is not None else "discount_code_id"
    code_id = row.coupon_code_id if row.coupon_code_id is not None else row.discount_code_id
    return Use(
        owner_column,
        getattr(row, owner_column),
        code_id,
        row.customer_id,
        bucket_at(period, row.redeemed_at, time_zone),
    )


async def count_ledger_rows(db: Handle, redemption_ids: Sequence[int]) -> None:
    """Counts ledger rows written without the engine (an import, a test's factory): moves
    every counter their live rows count against, the usage counters and `times_used` on
    coupons, discount codes, coupon codes and assignments. Call it in the transaction that
    inserted the rows, once per row (a row counted twice is counted twice; voided rows count
    nothing). The owners' rows are updated first, in id order, then the codes, the
    assignments and the counters: the engine's lock order, so it cannot deadlock with
    redemptions of the same codes."""
    rows = []
    for start in range(0, len(redemption_ids), _CHUNK):
        chunk = list(redemption_ids[start : start + _CHUNK])
        rows += list((await db.execute(_ledger_uses_statement(chunk))).all())
    by_table: dict[str, Tally[int]] = {
        name: Tally() for name in ("coupon", "discount_code", "coupon_code", "assignment")
    }
    for row in rows:
        for name in by_table:
            db_id = getattr(row, f"{name}_id")
            if db_id is not None:
                by_table[name][db_id] += 1
    for table in (COUPON, DISCOUNT_CODE, COUPON_CODE, ASSIGNMENT):
        tally = by_table[table.name]
        if tally:
            statement = (
                sa.update(table)
                .where(table.c.id == sa.bindparam("row_id"))
                .values(times_used=table.c.times_used + sa.bindparam("n"))
            )
            await db.execute(statement, [{"row_id": i, "n": n} for i, n in sorted(tally.items())])
    await move(db, [use_of(row, row.usage_period, row.time_zone) for row in rows], +1)


# -- recounting -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Drift:
    """One stored count that differs from the ledger's."""

    table: str  # "usage_counter", "coupon", "discount_code", "coupon_code", "assignment"
    row: str  # the counter's "owner_type owner_id key", or the row's id
    stored: int
    counted: int

    def __str__(self) -> str:
        what = "uses" if self.table == "usage_counter" else "times_used"
        return f"{self.table} {self.row}: {what} {self.stored}, the ledger counts {self.counted}"


Owner = tuple[str, int]  # (owner column, owner id): ("coupon_id", 12)


class _Buckets:
    """Bucket keys by (usage period, zone, local day): most uses share a day with others."""

    def __init__(self) -> None:
        self._zones: dict[str, ZoneInfo] = {}
        self._keys: dict[tuple[str, str, date], str] = {}

    def key(self, usage_period: str, time_zone: str, at: datetime) -> str:
        zone = self._zones.get(time_zone) or self._zones.setdefault(time_zone, ZoneInfo(time_zone))
        day = at.astimezone(zone).date()
        found = self._keys.get((usage_period, time_zone, day))
        if found is None:
            period = UsagePeriod(usage_period)
            found = bucket_key(period, usage_period_of_day(period, day, zone)[0])
            self._keys[(usage_period, time_zone, day)] = found
        return found


# Ledger rows read at once by a recount: memory stays flat over any ledger.
_RECOUNT_PAGE = 10_000


def _expected_counters(
    connection: Any, owner_column: str, ids: list[int] | None
) -> dict[tuple[str, int, str], int]:
    """Every counter of the owners (all of this kind when `ids` is None), counted from the ledger."""
    owner_table, code_column, owner_type = OWNERS[owner_column]
    r = REDEMPTION
    owner, code, customer = r.c[owner_column], r.c[code_column], r.c.customer_id
    where = [r.c.voided_at.is_(None), owner.is_not(None)]
    if ids is not None:
        where.append(owner.in_(ids))
    expected: dict[tuple[str, int, str], int] = {}

    def grouped(columns: list[Any], key: Any, *extra: Any) -> None:
        statement = sa.select(*columns, sa.func.count()).where(*where, *extra).group_by(*columns)
        for row in connection.execute(statement):
            expected[(owner_type, row[0], key(*row[1:-1]))] = int(row[-1])

    grouped([owner], lambda: TOTAL)
    grouped([owner, customer], customer_key, customer.is_not(None))
    grouped([owner, code], code_key)
    grouped([owner, code, customer], code_customer_key, customer.is_not(None))
    # Buckets need the site's calendar, which SQLite cannot compute: the uses of owners with a
    # usage period are read one by one, a local day's bucket worked out once.
    # Pages in ledger order (keyset on the primary key), not a server-side cursor: asyncpg's
    # cursor stays open until the transaction ends whatever SQLAlchemy closes, and PostgreSQL
    # then refuses DDL on the tables it reads ("being used by active queries in this
    # session") to the migrations that follow 0004's recount in the same transaction.
    dated = (
        sa.select(r.c.id, owner, owner_table.c.usage_period, SITE.c.time_zone, r.c.redeemed_at)
        .join(owner_table, owner_table.c.id == owner)
        .join(SITE, SITE.c.id == owner_table.c.site_id)
        .where(*where, owner_table.c.usage_period.is_not(None))
        .order_by(r.c.id)
        .limit(_RECOUNT_PAGE)
    )
    buckets, tally = _Buckets(), Tally[tuple[str, int, str]]()
    last = 0
    while page := connection.execute(dated.where(r.c.id > last)).all():
        for _, owner_id, usage_period, time_zone, at in page:
            period = usage_period.value if isinstance(usage_period, UsagePeriod) else usage_period
            tally[(owner_type, owner_id, buckets.key(period, time_zone, at))] += 1
        last = page[-1][0]
    expected.update(tally)
    return expected


def _stored_counters(
    connection: Any, owner_type: str, ids: list[int] | None
) -> dict[tuple[str, int, str], int]:
    c = USAGE_COUNTER
    statement = sa.select(c.c.owner_id, c.c.key, c.c.uses).where(c.c.owner_type == owner_type)
    if ids is not None:
        statement = statement.where(c.c.owner_id.in_(ids))
    return {
        (owner_type, owner_id, key): uses for owner_id, key, uses in connection.execute(statement)
    }


def _times_used_drift(connection: Any, owner_column: str, ids: list[int] | None) -> list[Drift]:
    """Rows of the owners (and of their codes and assignments) whose `times_used` is not
    their live uses in the ledger."""
    owner_table = OWNERS[owner_column][0]
    r = REDEMPTION
    rows: list[tuple[sa.Table, str, Any]] = [(owner_table, owner_column, owner_table.c.id)]
    if owner_column == "coupon_id":
        rows.append((COUPON_CODE, "coupon_code_id", COUPON_CODE.c.coupon_id))
    codes = sa.select(COUPON_CODE.c.id).where(COUPON_CODE.c.coupon_id.in_(ids or []))
    if owner_column == "coupon_id":
        held = (
            ASSIGNMENT.c.coupon_code_id.in_(codes)
            if ids is not None
            else ASSIGNMENT.c.coupon_code_id.is_not(None)
        )
    else:
        held = (
            ASSIGNMENT.c.discount_code_id.in_(ids)
            if ids is not None
            else ASSIGNMENT.c.discount_code_id.is_not(None)
        )
    drift = []
    for table, ledger_column, scope in [*rows, (ASSIGNMENT, "assignment_id", None)]:
        counted = (
            sa.select(sa.func.count())
            .where(r.c[ledger_column] == table.c.id, r.c.voided_at.is_(None))
            .scalar_subquery()
        )
        statement = sa.select(table.c.id, table.c.times_used, counted)
        if scope is None:
            statement = statement.where(held)
        elif ids is not None:
            statement = statement.where(scope.in_(ids))
        statement = statement.where(table.c.times_used != counted).order_by(table.c.id)
        for db_id, stored, n in connection.execute(statement):
            drift.append(Drift(table.name, str(db_id), int(stored), int(n)))
    return drift


def _lock_owners(connection: Any, owner_column: str, ids: list[int] | None) -> None:
    """Takes the engine's first lock on every owner recounted, in id order, so that no
    redemption or void moves their counters between the count and the repair."""
    table = OWNERS[owner_column][0]
    statement = sa.select(table.c.id).order_by(table.c.id).with_for_update(key_share=True)
    if ids is not None:
        statement = statement.where(table.c.id.in_(ids))
    connection.execute(statement).all()


def recount_sync(
    connection: Any, owners: Iterable[Owner] | None = None, *, fix: bool = True
) -> list[Drift]:
    """Counts every counter of `owners` (all owners when None) from the ledger, and with
    `fix` writes the right value wherever a stored one differs; answers the differences
    found. A synchronous Connection or Session (the migration's); `recount` is the async one."""
    chosen: dict[str, list[int] | None] = {column: None for column in OWNERS}
    if owners is not None:
        chosen = {column: [] for column in OWNERS}
        for column, db_id in owners:
            chosen[column].append(db_id)  # type: ignore[union-attr]
    drift: list[Drift] = []
    for owner_column, ids in chosen.items():
        if ids == []:
            continue
        ids = None if ids is None else sorted(set(ids))
        if fix:
            _lock_owners(connection, owner_column, ids)
        owner_type = OWNERS[owner_column][2]
        expected = _expected_counters(connection, owner_column, ids)
        stored = _stored_counters(connection, owner_type, ids)
        wrong = sorted(
            (name, stored.get(name, 0), expected.get(name, 0))
            for name in expected.keys() | stored.keys()
            if stored.get(name, 0) != expected.get(name, 0)
        )
        drift += [Drift("usage_counter", " ".join(map(str, name)), s, e) for name, s, e in wrong]
        rows_drift = _times_used_drift(connection, owner_column, ids)
        drift += rows_drift
        if fix:
            _repair(connection, [(*name, e) for name, _, e in wrong], rows_drift)
    return drift


def _repair(connection: Any, counters: list[tuple[str, int, str, int]], rows: list[Drift]) -> None:
    for statement, values in _upserts(dialect_name(connection), counters, True):
        connection.execute(statement, values)
    tables = {table.name: table for table in (COUPON, DISCOUNT_CODE, COUPON_CODE, ASSIGNMENT)}
    for drift in rows:
        table = tables[drift.table]
        statement = (
            sa.update(table).where(table.c.id == int(drift.row)).values(times_used=drift.counted)
        )
        connection.execute(statement)


async def recount(
    db: Any, owners: Iterable[Owner] | None = None, *, fix: bool = True
) -> list[Drift]:
    """`recount_sync` on an AsyncSession or AsyncConnection."""
    chosen = None if owners is None else list(owners)
    return await db.run_sync(lambda sync: recount_sync(sync, chosen, fix=fix))  # type: ignore[no-any-return]


async def owners_of_site(db: Handle, site_id: int) -> list[Owner]:
    """The site's owners whose counters follow its time zone: those with a usage period."""
    owners: list[Owner] = []
    for owner_column, (table, _, _) in OWNERS.items():
        statement = sa.select(table.c.id).where(
            table.c.site_id == site_id, table.c.usage_period.is_not(None)
        )
        owners += [(owner_column, db_id) for db_id in (await db.execute(statement)).scalars()]
    return owners
