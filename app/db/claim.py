"""A redemption's decision under the lock and its write: the counts, the ledger row and every
counter it moves, in one statement on PostgreSQL.

Once a redemption holds its owner's row lock, what is left is to read the counts the caps
weigh and, when each is below its limit (app.domain.rules.cap_limits: the rules stay in the
domain), to write: the ledger row, `times_used` on the owner, the coupon code and the
assignment, and the usage counters. On PostgreSQL that is one statement: a CTE reading the
counts (its snapshot is taken after the lock, so they are current), the INSERT of the ledger
row only when they are within the limits, with ON CONFLICT on the (site, idempotency key)
unique key doing nothing, and data-modifying CTEs that move the counters and add its change event (app.db.events)
only when that INSERT returned a row. It answers the counts beside the row: a cap found full costs no extra
round trip to name (`Claimed.refused`, the caller evaluates the counts), nor does a key
already taken (a retry, or a duplicate that committed meanwhile: no row, not refused).
`claim_at_once` is the same statement sent on its own in autocommit, after a first look
made without locks: its CTE `locked` calls discounts_claim_lock (migration 0010), which takes
the locks (owner, coupon code, the customer's assignments: the engine's one order), compares
the rows with what the first look decided on (`FirstLook`; a change answers `stale` and
writes nothing) and reads the counts in a statement of its own, so with a snapshot taken
after the locks: the statement's own is taken before it waits, and would miss a use the
transaction it waited for committed on a counter row that did not exist (a first use by a
customer). Every write depends on the function's answer, so none runs before it; an UPDATE
of a row the function locked follows its update chain, ON CONFLICT sees committed rows.
SQLite cannot put an INSERT or UPDATE in a CTE; there the same writes are separate
statements, under its writer lock, which its transaction holds from BEGIN, each built once per
shape with every value a parameter (`_steps`), so SQLAlchemy compiles them once.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Row
from sqlalchemy.sql.expression import CTE, ColumnElement, Update

from app.clock import utcnow
from app.db import (
    event_notify,
    events,
    ledger,
    sqlite_steps,
    transaction_statements,
    usage_counters,
)
from app.db.engine import read_engine
from app.db.handles import Handle, Session, Sessions
from app.db.session import RequestDatabase
from app.db.tables import ASSIGNMENT, COUPON, COUPON_CODE, EVENT, REDEMPTION, USAGE_COUNTER
from app.domain.rules import Usage, within

_KEY = ["site_id", "idempotency_key"]
_COLUMNS = tuple(name for name in REDEMPTION.c.keys() if name != "id")  # noqa: SIM118 (a ColumnCollection iterates columns)
USES = ("total", "by_customer", "in_order", "of_code", "of_code_by_customer")


@dataclass(frozen=True)
class Claimed:
    """What a claim answers: the redemption inserted (None when nothing was written), the
    counts it decided on (read under the owner's lock), and whether the caps refused it
    (`refused`); nothing written and not refused means the key was taken."""

    row: Row[Any] | None
    usage: Usage
    refused: bool = False
    # `claim_at_once` only: the rows the first look decided on changed; nothing was written.
    stale: bool = False


@dataclass(frozen=True)
class FirstLook:
    """What a redemption's first look decided on, as `claim_at_once` checks it under the
    lock: the owner's stamp, state and caps; the coupon code's columns the rules read (None
    for a discount code, its own owner); the customer's live assignment the code is used
    under, if any (the first by id, as the first look chose it)."""

    owner_updated_at: datetime
    owner_deleted_at: datetime | None
    owner_disabled_at: datetime | None
    max_uses: int | None
    max_uses_per_customer: int | None
    max_uses_per_order: int | None
    code_id: int | None = None
    code_deleted_at: datetime | None = None
    code_valid_from: datetime | None = None
    code_valid_to: datetime | None = None
    code_multi_use: bool | None = None
    code_customer_id: int | None = None
    customer_id: int | None = None
    assignment_id: int | None = None
    assignment_valid_from: datetime | None = None
    assignment_expires_on: datetime | None = None


def _uses(
    owner_type: ColumnElement[str], owner_id: ColumnElement[int], key: ColumnElement[str]
) -> ColumnElement[int]:
    c = USAGE_COUNTER
    found = sa.select(c.c.uses).where(
        c.c.owner_type == owner_type, c.c.owner_id == owner_id, c.c.key == key
    )
    return sa.func.coalesce(found.scalar_subquery(), 0)


def _counts(owner_column: str, in_order: bool) -> CTE:
    """The counts the caps weigh, read by the claim itself (keys and order as parameters)."""
    owner_type = sa.bindparam("use_owner_type", type_=sa.String)
    owner_id = sa.bindparam("use_owner_id", type_=sa.Integer)

    def uses(name: str) -> ColumnElement[int]:
        return _uses(owner_type, owner_id, sa.bindparam(name, type_=sa.String))

    order: ColumnElement[int] = sa.literal_column("0", sa.Integer)
    if in_order:
        r = REDEMPTION
        order = (
            sa.select(sa.func.count())
            .select_from(r)
            .where(
                r.c.order_reference == sa.bindparam("order_reference", type_=sa.String),
                r.c[owner_column] + 0 == owner_id,
                r.c.voided_at.is_(None),
            )
            .scalar_subquery()
        )
    return sa.select(
        uses("k_total").label("total"),
        uses("k_customer").label("by_customer"),
        order.label("in_order"),
        uses("k_code").label("of_code"),
        uses("k_code_customer").label("of_code_by_customer"),
    ).cte("counts")


@functools.cache
def _statement(
    columns: tuple[str, ...],
    tables: tuple[str, ...],
    owner_column: str,
    in_order: bool,
    with_event: bool = True,
) -> sa.Select[Any]:
    """The PostgreSQL statement for one shape (the redemption's columns, the tables whose
    `times_used` move, the owner's kind, whether the attempt names an order), built once:
    every value a parameter. It reads the counts (its snapshot is taken after the owner's
    lock, so they are current), inserts only when each is below its limit (`l_*`), and
    answers the counts with the row. No parameter is named as a column of a table the
    statement writes: SQLAlchemy would take it for a value to SET."""
    counts = _counts(owner_column, in_order)
    return _writing(columns, tables, counts, [], with_event=with_event)


# The arguments of discounts_claim_lock (migration 0010), in order: the expected values of
# the first look (`e_*`) and the counters' keys (`claim_at_once`).
_LOCK_ARGUMENTS: tuple[tuple[str, Any], ...] = (
    ("use_owner_type", sa.String),
    ("use_owner_id", sa.Integer),
    ("e_owner_updated_at", COUPON.c.updated_at.type),
    ("e_owner_deleted_at", COUPON.c.deleted_at.type),
    ("e_owner_disabled_at", COUPON.c.disabled_at.type),
    ("e_max_uses", sa.Integer),
    ("e_max_uses_per_customer", sa.Integer),
    ("e_max_uses_per_order", sa.Integer),
    ("e_code_id", sa.Integer),
    ("e_code_deleted_at", COUPON_CODE.c.deleted_at.type),
    ("e_code_valid_from", COUPON_CODE.c.valid_from.type),
    ("e_code_valid_to", COUPON_CODE.c.valid_to.type),
    ("e_code_multi_use", sa.Boolean),
    ("e_code_customer_id", sa.Integer),
    ("e_customer_id", sa.Integer),
    ("e_assignment_id", sa.Integer),
    ("e_assignment_valid_from", ASSIGNMENT.c.valid_from.type),
    ("e_assignment_expires_on", ASSIGNMENT.c.expires_on.type),
    ("k_total", sa.String),
    ("k_customer", sa.String),
    ("k_code", sa.String),
    ("k_code_customer", sa.String),
    ("order_reference", sa.String),
)
_LOCKED = ("fresh", *USES)


@functools.cache
def _statement_at_once(
    columns: tuple[str, ...], tables: tuple[str, ...], with_event: bool = True
) -> sa.Select[Any]:
    """`_statement` sent on its own in autocommit: the lock, the check that the first look
    is still true, the decision and the write in one statement. Its counts are not read by
    its own snapshot (taken before it waits for the lock: a use committed by the transaction
    it waited for, on a counter row that did not exist, would be missed) but by
    discounts_claim_lock (migration 0010), a VOLATILE function whose statements each take a
    snapshot of their own: the locks first, then the counts. Every write of the statement
    depends on the function's answer (`fresh`, the counts), so none runs before it."""
    arguments = [sa.bindparam(name, type_=kind) for name, kind in _LOCK_ARGUMENTS]
    lock = sa.func.discounts_claim_lock(*arguments).table_valued(*_LOCKED)
    locked = sa.select(lock).cte("locked").prefix_with("MATERIALIZED")
    return _writing(columns, tables, locked, [locked.c.fresh], with_event=with_event)


def _writing(
    columns: tuple[str, ...],
    tables: tuple[str, ...],
    counts: CTE,
    conditions: list[ColumnElement[bool]],
    *,
    with_event: bool,
) -> sa.Select[Any]:
    """The claim on `counts` (a CTE with the columns of `USES`): the ledger row inserted
    when each count is below its limit and every one of `conditions` holds, the counters
    moved and the event added only when it was; the counts answered with the row."""
    allowed = sa.exists(
        sa.select(sa.literal_column("1"))
        .select_from(counts)
        .where(
            *conditions,
            *(counts.c[name] < sa.bindparam(f"l_{name}", type_=sa.Integer) for name in USES),
        )
    )
    values = sa.select(
        *(sa.bindparam(f"r_{name}", type_=REDEMPTION.c[name].type) for name in columns)
    ).where(allowed)
    inserted = (
        postgresql.insert(REDEMPTION)
        .from_select(list(columns), values)
        .on_conflict_do_nothing(index_elements=_KEY)
        .returning(*REDEMPTION.c)
        .cte("inserted")
    )
    one = sa.literal_column("1", sa.Integer)
    written = sa.exists(sa.select(one).select_from(inserted))
    moves = []
    for index, name in enumerate(tables):
        table = ledger.TABLES[name]
        moves.append(
            sa.update(table)
            .where(table.c.id == sa.bindparam(f"row_{index}"), written)
            .values(times_used=table.c.times_used + one)
            .cte(f"moved_{index}")
        )
    c = USAGE_COUNTER
    # Every counter of one use belongs to one owner: its keys go as one array parameter.
    keys = sa.func.unnest(sa.bindparam("use_keys", type_=postgresql.ARRAY(sa.String)))
    counting = postgresql.insert(c).from_select(
        ["owner_type", "owner_id", "key", "uses"],
        sa.select(
            sa.bindparam("use_owner_type", type_=sa.String),
            sa.bindparam("use_owner_id", type_=sa.Integer),
            keys,
            one,
        ).where(written),
    )
    counted = counting.on_conflict_do_update(
        index_elements=list(c.primary_key.columns), set_={"uses": c.c.uses + counting.excluded.uses}
    ).cte("counted_uses")
    return (
        sa.select(counts, allowed.label("allowed"), inserted)
        .select_from(counts.outerjoin(inserted, sa.true()))
        .add_cte(*moves, counted, *([events.claim_event(inserted)] if with_event else []))
    )


def _usage(row: Row[Any]) -> Usage:
    return Usage(*(int(getattr(row, name)) for name in USES))


def _keys(use: usage_counters.Use) -> dict[str, str | None]:
    """The counters `Use` reads, as the statement's parameters (NULL keys match nothing)."""
    return {
        "k_total": usage_counters.TOTAL if use.bucket is None else use.bucket,
        "k_customer": usage_counters.customer_key(use.customer_id),
        "k_code": usage_counters.code_key(use.code_id),
        "k_code_customer": usage_counters.code_customer_key(use.code_id, use.customer_id),
    }


async def claim(
    db: Session,
    values: Mapping[str, Any],
    counters: Sequence[ledger.Counter],
    use: usage_counters.Use,
    limits: Usage,
    usage: Usage,
) -> Claimed:
    """Under the owner's lock: inserts the redemption `values` and moves `counters` (in lock
    order) and `use`'s usage counters by one, when every count is below its limit in
    `limits` (app.domain.rules.cap_limits); nothing is written when one is not (`refused`,
    with the counts), or when the site already has a redemption with the key.

    On PostgreSQL the counts are read by the claim's own statement. On SQLite `usage` (the
    counts the caller read in this transaction) is taken as current: the transaction holds
    the writer lock since its BEGIN."""
    if usage_counters.dialect_name(db) != "postgresql":
        return await _claim_in_steps(db, values, counters, use, limits, usage)
    tables = tuple(table.name for table, _ in counters)
    order = values.get("order_reference")
    with_event = events.writing(db)
    parameters = _parameters(values, counters, use, limits, with_event)
    if order is not None:
        parameters["order_reference"] = order
    shape = ("claim", tables, use.owner_column, order is not None, with_event)
    statement = functools.partial(_statement, _COLUMNS, *shape[1:])
    (row,) = await transaction_statements.rows(db, shape, statement, parameters)
    counted = _usage(row)
    if row.id is None:
        return Claimed(None, counted, refused=not row.allowed)
    if with_event:
        events.wrote(db)  # its commit wakes the subscribers (app.db.event_notify)
    return Claimed(row, counted)


def _parameters(
    values: Mapping[str, Any],
    counters: Sequence[ledger.Counter],
    use: usage_counters.Use,
    limits: Usage,
    with_event: bool,
) -> dict[str, Any]:
    # Every column is given (None where `values` leaves it out): one shape for every call.
    parameters = {f"r_{name}": values.get(name) for name in _COLUMNS}
    for index, (_, db_id) in enumerate(counters):
        parameters[f"row_{index}"] = db_id
    parameters.update(
        use_owner_type=use.owner_type, use_owner_id=use.owner_id, use_keys=sorted(use.keys())
    )
    parameters.update(_keys(use))
    parameters.update({f"l_{name}": getattr(limits, name) for name in USES})
    if with_event:
        parameters.update(events.claim_parameters(values))
    return parameters


def at_once_on(db: Handle) -> bool:
    """Whether `db`, a request's reads, may send `claim_at_once`: on PostgreSQL where they
    run in autocommit (app.db.engine.read_engine), so that each statement commits as it ends.
    There the redemption's two statements go where the request's reads go (with the fast path
    on, an asyncpg connection lent outside SQLAlchemy's pool, app.fast.readers): a write
    session costs ~0.2 ms of CPU a redemption in its checkout, autocommit switch, greenlet
    hops and return to the pool, for two statements that need no transaction."""
    if not isinstance(db, RequestDatabase) or db.dialect_name != "postgresql":
        return False
    return read_engine(db.engine) is not db.engine


def writes_events(sessions: Sessions) -> bool:
    """Whether the use cases' write sessions write change events (app.db.events), for a
    claim sent outside them."""
    return not sessions.kw.get("info", {}).get(events.EVENTS_OFF)


async def claim_at_once(
    db: Session | Handle,
    values: Mapping[str, Any],
    counters: Sequence[ledger.Counter],
    use: usage_counters.Use,
    limits: Usage,
    first: FirstLook,
    with_event: bool,
) -> Claimed:
    """The lock, the decision and the write of a redemption in one statement, which `db`
    (PostgreSQL, in autocommit: a session, or a request's reads where `at_once_on`) sends on
    its own: its implicit transaction commits when it ends, so no lock is held across a round
    trip or while Python runs. `with_event`: the claim writes its change event too. `claim`'s answers,
    and one more: `stale` when a row `first` describes changed since the first look (then
    nothing is written, and the caller decides again in a transaction)."""
    tables = tuple(table.name for table, _ in counters)
    parameters = _parameters(values, counters, use, limits, with_event)
    parameters.update(
        {f"e_{name}": getattr(first, name) for name in FirstLook.__dataclass_fields__}
    )
    parameters["order_reference"] = values.get("order_reference")
    shape = ("claim_at_once", tables, with_event)
    statement = functools.partial(_statement_at_once, _COLUMNS, tables, with_event)
    if isinstance(db, RequestDatabase):  # `at_once_on`: prepared once per shape, and a
        # statement that writes is never sent again on a lost connection (the client retries)
        (row,) = await db.fetch(shape, statement, parameters, writes=True)
    else:
        assert isinstance(db, Session), "a write session, or a request's reads"
        (row,) = await transaction_statements.rows(db, shape, statement, parameters)
    counted = _usage(row)
    if not row.fresh:
        return Claimed(None, counted, stale=True)
    if row.id is None:
        return Claimed(None, counted, refused=not row.allowed)
    if with_event:  # committed as it ended: wakes the subscribers (app.db.event_notify)
        event_notify.committed(
            db.engine.sync_engine if isinstance(db, RequestDatabase) else db.get_bind()
        )
    return Claimed(row, counted)


async def _claim_in_steps(
    db: Session,
    values: Mapping[str, Any],
    counters: Sequence[ledger.Counter],
    use: usage_counters.Use,
    limits: Usage,
    usage: Usage,
) -> Claimed:
    if not within(usage, limits):
        return Claimed(None, usage, refused=True)
    # Each step through app.db.sqlite_steps: with the fast path on, compiled once and sent
    # in one call on aiosqlite's thread.
    inserted = await sqlite_steps.execute(
        db, "claim_insert", _insert_step, {f"r_{name}": values.get(name) for name in _COLUMNS}
    )
    if not inserted:
        return Claimed(None, usage)
    row = inserted[0]
    await _claim_event(db, row)
    for table, db_id in counters:
        step = functools.partial(_times_used_step, table.name)
        await sqlite_steps.execute(db, ("times_used", table.name), step, {"row_id": db_id})
    owner = {"owner_type": use.owner_type, "owner_id": use.owner_id}
    # In key order, as usage_counters.move writes them; one call, executed for each key.
    keys = [{**owner, "key": key} for key in sorted(use.keys())]
    await sqlite_steps.execute(db, "claim_counters", _counter_step, keys)
    return Claimed(row, usage)


async def _claim_event(db: Session, row: Row[Any]) -> None:
    """The redemption's change event, written as one of the claim's steps rather than with
    the events the session sends as it commits (`events.record`): the same row, in the
    same place of the feed (the events recorded before it are sent first), and with the fast
    path compiled once and sent with the COMMIT (app.fast.sqlite_writes)."""
    if not events.writing(db):
        return
    await events.send_pending(db)
    values = events.event_row(REDEMPTION, events.Verb.CREATED, row.id, row._mapping, utcnow())
    await sqlite_steps.execute(db, "claim_event", _event_step, values)
    events.wrote(db)


# SQLite's steps, built once: `values()` with literal values would coerce each of the row's
# ~20 values on every claim, and usage_counters' multi-row UPSERT has no cache key (a
# multi-VALUES INSERT is compiled on every execution).
@functools.cache
def _insert_step() -> Any:
    """The ledger row (every column given, None where the values leave it out, as the
    PostgreSQL statement does), nothing when the site already has the key."""
    row = {name: sa.bindparam(f"r_{name}", type_=REDEMPTION.c[name].type) for name in _COLUMNS}
    return (
        sqlite.insert(REDEMPTION)
        .values(row)
        .on_conflict_do_nothing(index_elements=_KEY)
        .returning(*REDEMPTION.c)
    )


@functools.cache
def _times_used_step(table_name: str) -> Update:
    table = ledger.TABLES[table_name]
    return (
        sa.update(table)
        .where(table.c.id == sa.bindparam("row_id"))
        .values(times_used=table.c.times_used + 1)
    )


@functools.cache
def _counter_step() -> Any:
    """One use more on a usage counter (a missing row is 0 uses)."""
    c = USAGE_COUNTER
    insert = sqlite.insert(c).values(
        owner_type=sa.bindparam("owner_type"),
        owner_id=sa.bindparam("owner_id"),
        key=sa.bindparam("key"),
        uses=1,
    )
    return insert.on_conflict_do_update(
        index_elements=list(c.primary_key.columns), set_={"uses": c.c.uses + 1}
    )


@functools.cache
def _event_step() -> Any:
    """One change event (`events.event_row`'s columns, each a parameter)."""
    e = EVENT
    names = [name for name in e.c.keys() if name not in ("seq", "position")]  # noqa: SIM118 (a ColumnCollection iterates columns)
    row = {name: sa.bindparam(name, type_=e.c[name].type) for name in names}
    return sa.insert(e).values({**row, "position": events.position("sqlite")})
