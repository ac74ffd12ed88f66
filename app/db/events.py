"""The change events: the outbox rows every committed write adds in its own transaction.

A write names what it changed with `record` (app.db.row_statements' `insert_row` and
`update_row` do for every CRUD write, assignment, void and directory change; the claim of a
redemption, app.db.claim, and the bulk writes of imports and code generation do for theirs).
The events wait on the write's session and go to the `event` table in one statement just
before it commits (`OutboxSession`, the class of every write session): a write refused or
rolled back never sends them, and a committed one cannot lose them. The one exception is
PostgreSQL's claim, which is already one statement: there the event row is one more CTE of
it, so a redemption costs no extra round trip (`claim_event_columns`).

Order. A sequence is handed out when a row is inserted, not when its transaction commits: on
PostgreSQL a reader could see event 6 committed while 5's transaction still runs, move past
6, and never see 5. So each event also stores its writing transaction's id (`position`,
`pg_current_xact_id()`), the feed is ordered by (position, seq), and a reader is only handed
events of transactions older than every transaction still running on this database
(`_OLDEST_RUNNING`): everything before its cursor is then final. A
long transaction holds the feed back until it ends (an import of minutes: minutes), never
longer. SQLite serialises its writers (every write transaction begins IMMEDIATE), so its
sequence is commit order: `position` is 0 there.

The payload is the object as it was written, in the shape docs/events.md documents (version
`PAYLOAD_VERSION`); its `id` (global id) is added when the event is read (`object`).
"""

from __future__ import annotations

import enum
import functools
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol

import orjson
import sqlalchemy as sa
from sqlalchemy import event as sa_event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session as SyncSession
from sqlalchemy.sql import ColumnElement
from sqlalchemy.sql.selectable import CTE, NamedFromClause

from app.clock import utcnow
from app.db.handles import Clause, Columns, Handle, Record
from app.db.tables import EVENT, REDEMPTION, SITE
from app.db.tenancy import ScopeLike
from app.domain.global_ids import REFERENCES, TYPE_NAMES, to_global_id
from app.domain.wire_forms import camel

if TYPE_CHECKING:  # app.db.session imports this module (`OutboxSession`)
    from app.db.session import RequestDatabase

PAYLOAD_VERSION = 1
_PENDING = "discounts_pending_events"
# Set in a write session's `info` when events are not written (DISCOUNTS_EVENTS=false: a
# switch for measuring what they cost, app.db.session.write_sessions).
EVENTS_OFF = "discounts_events_off"
# Set in a write session's info when its transaction wrote event rows: its commit then tells
# the process's notifier (app.db.event_notify), which wakes subscribers everywhere.
WROTE = "discounts_wrote_events"

_MONEY = frozenset({"amounts", "minimum_spend", "maximum_discount"})
# Stored for the service's own bookkeeping, not part of the object the API answers.
_INTERNAL = frozenset({"id", "request_fingerprint"})
_CENTS = Decimal("0.01")
# The columns `payload` treats apart, for app.db.event_batches' SQL of the same payload.
MONEY, INTERNAL = _MONEY, _INTERNAL


class Verb(enum.Enum):
    CREATED = "created"
    UPDATED = "updated"
    DELETED = "deleted"
    RESTORED = "restored"
    DISABLED = "disabled"
    ENABLED = "enabled"
    VOIDED = "voided"


def event_type(table_name: str, verb: Verb) -> str:
    """`couponCode.created`: the API type, lower camel case, and what happened to it."""
    name = TYPE_NAMES[table_name]
    return f"{name[0].lower()}{name[1:]}.{verb.value}"


# Every type an event can have (the feed's `types` argument is checked against them).
EVENT_TYPES = frozenset(event_type(table, verb) for table in TYPE_NAMES for verb in Verb)


def update_verb(values: Mapping[str, object]) -> Verb:
    """What an update setting `values` does: the state columns say, else it is an update."""
    for column, sets, unsets in (
        ("deleted_at", Verb.DELETED, Verb.RESTORED),
        ("disabled_at", Verb.DISABLED, Verb.ENABLED),
        ("voided_at", Verb.VOIDED, Verb.UPDATED),
    ):
        if column in values:
            return sets if values[column] is not None else unsets
    return Verb.UPDATED


def _json_value(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.name
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def payload(table: sa.Table, values: Columns) -> dict[str, object]:
    """The object of a row (or of the values about to be one), version `PAYLOAD_VERSION`:
    every column under its API name (docs/events.md), references as global ids."""
    out: dict[str, object] = {"version": PAYLOAD_VERSION, "type": TYPE_NAMES[table.name]}
    for name, field, form, type_name in _payload_plan(table):
        value = values.get(name)
        if form is _Form.REFERENCE:
            out[field] = None if value is None else {"id": to_global_id(type_name, value)}
        elif form is _Form.PERCENTAGE:
            out[field] = None if value is None else str((Decimal(value) / 100).quantize(_CENTS))
        elif form is _Form.MONEY:
            out[field] = [
                {"currency": currency, "amount": amount}
                for currency, amount in sorted((value or {}).items())
            ]
        else:
            out[field] = _json_value(value)
    return out


class _Form(enum.Enum):
    REFERENCE = "reference"
    PERCENTAGE = "percentage"
    MONEY = "money"
    PLAIN = "plain"


@functools.cache
def _payload_plan(table: sa.Table) -> tuple[tuple[str, str, _Form, str], ...]:
    """`payload`'s columns of `table`, in order: (column, API name, form, referenced type),
    worked out once per table (a redemption's claim makes one payload per request)."""
    plan = []
    for column in table.c:
        name = column.name
        if name in _INTERNAL or (table.name == "site" and name == "site_id"):
            continue
        if name in REFERENCES:
            field, type_name = REFERENCES[name]
            plan.append((name, field, _Form.REFERENCE, type_name))
        elif name == "percentage_bp":
            plan.append((name, "percentage", _Form.PERCENTAGE, ""))
        elif name in _MONEY:
            plan.append((name, camel(name), _Form.MONEY, ""))
        else:
            plan.append((name, camel(name), _Form.PLAIN, ""))
    return tuple(plan)


def _owners(table_name: str, values: Columns, db_id: int) -> tuple[int | None, int]:
    """(site, organisation) an event is filed under: a customer's and an organisation's belong
    to the organisation only."""
    if table_name == "organisation":
        return None, db_id
    if table_name == "site":
        return db_id, values["organisation_id"]
    return values.get("site_id"), values["organisation_id"]


def event_row(
    table: sa.Table, verb: Verb, db_id: int, values: Columns, now: datetime
) -> dict[str, object]:
    """The `event` columns (but `position` and `seq`) of one write of the row `values`."""
    site_id, organisation_id = _owners(table.name, values, db_id)
    return {
        "id": uuid.uuid4(),
        "type": event_type(table.name, verb),
        "site_id": site_id,
        "organisation_id": organisation_id,
        "object_type": TYPE_NAMES[table.name],
        "object_id": db_id,
        "object_updated_at": values["updated_at"],
        "payload": payload(table, values),
        "occurred_at": now,
    }


def _pending(db: AsyncSession) -> list[dict[str, object]]:
    # An AsyncSession (every write's handle); a plain connection has no transaction-scoped
    # place to keep them and fails here rather than dropping events.
    info: dict[str, Any] = db.sync_session.info
    found: list[dict[str, object]] = info.setdefault(_PENDING, [])
    return found


def wrote(db: AsyncSession) -> None:
    """Notes that `db`'s transaction wrote event rows by a statement of its own (a bulk
    write's, the claim's), for its commit (`WROTE`)."""
    db.sync_session.info[WROTE] = True


def writing(db: AsyncSession) -> bool:
    """Whether the write session `db` writes events (all do but with DISCOUNTS_EVENTS=false)."""
    return not db.sync_session.info.get(EVENTS_OFF)


def record(db: Handle, table: sa.Table, verb: Verb, row: Record) -> None:
    """Files the event of one write of `row` (as stored) with the write's transaction; tables
    that are no object of the API have none. `db` is a write session (`_pending`)."""
    assert isinstance(db, AsyncSession), "events are recorded on a write session"
    if table.name in TYPE_NAMES and writing(db):
        _pending(db).append(event_row(table, verb, row.id, row._mapping, utcnow()))


def record_many(
    db: AsyncSession, table: sa.Table, verb: Verb, rows: Sequence[tuple[int, Columns]]
) -> None:
    """`record` for many writes of one table: (id, values as stored) each."""
    if not writing(db):
        return
    now = utcnow()
    _pending(db).extend(event_row(table, verb, db_id, values, now) for db_id, values in rows)


async def send_pending(db: AsyncSession) -> None:
    """Sends the events recorded so far now (before a bulk write's, so the feed keeps order)."""
    if pending := _pending(db):
        await db.execute(_insert(db.get_bind().dialect.name), pending)
        pending.clear()
        wrote(db)


def position(dialect_name: str) -> ColumnElement[int]:
    """The writing transaction's place in the feed's order (see the module's docstring)."""
    if dialect_name == "postgresql":
        return sa.cast(sa.cast(sa.func.pg_current_xact_id(), sa.Text), sa.BigInteger)
    return sa.literal(0, sa.BigInteger)


@functools.cache  # built once: coercing its values and keying it cost a redemption ~0.1 ms
def _insert(dialect_name: str) -> sa.Insert:
    return sa.insert(EVENT).values(position=position(dialect_name))


class OutboxSession(SyncSession):
    """The session class of every write (app.db.session.write_sessions): sends the events its
    transaction recorded just before it commits, and drops them when it rolls back."""


@sa_event.listens_for(OutboxSession, "before_commit")
def _send_pending(session: SyncSession) -> None:
    pending = session.info.pop(_PENDING, None)
    if pending:
        # Runs inside the AsyncSession's greenlet: the sync API awaits the driver.
        session.execute(_insert(session.get_bind().dialect.name), pending)
        session.info[WROTE] = True


@sa_event.listens_for(OutboxSession, "after_rollback")
def _drop_pending(session: SyncSession) -> None:
    session.info.pop(_PENDING, None)
    session.info.pop(WROTE, None)


def claim_parameters(values: Columns) -> dict[str, object]:
    """The parameters of `claim_event` for the redemption `values` about to be claimed. The
    payload goes as its JSON text, written by orjson: the standard library's encoder (through
    the payload column's type) cost ~15-30 µs of a redemption's CPU, orjson ~2 µs. Readers
    parse the text (the column is text on PostgreSQL, migration 0012; the bulk writes'
    payloads are spelled by the database), so only its spacing differs, never its value."""
    return {
        "e_id": uuid.uuid4(),
        "e_payload": orjson.dumps(payload(REDEMPTION, values)).decode(),
        "e_occurred_at": utcnow(),
    }


def claim_event(inserted: NamedFromClause) -> CTE:
    """The CTE that adds `redemption.created` beside PostgreSQL's claim, for the row its CTE
    `inserted` returned (none when the claim wrote none)."""
    c = EVENT.c
    row = sa.select(
        sa.bindparam("e_id", type_=c.id.type),
        position("postgresql"),
        sa.literal(event_type("redemption", Verb.CREATED), sa.String),
        inserted.c.site_id,
        inserted.c.organisation_id,
        sa.literal("Redemption", sa.String),
        inserted.c.id,
        inserted.c.updated_at,
        sa.bindparam("e_payload", type_=sa.Text()),  # JSON text (`claim_parameters`)
        sa.bindparam("e_occurred_at", type_=c.occurred_at.type),
    ).select_from(inserted)
    columns = [
        "id", "position", "type", "site_id", "organisation_id", "object_type", "object_id",
        "object_updated_at", "payload", "occurred_at",
    ]  # fmt: skip
    return sa.insert(EVENT).from_select(columns, row).cte("evented")


def _in_scope(object_type: str, scope: ScopeLike) -> ColumnElement[bool]:
    """Events of `object_type` objects inside `scope` (as app.db.tenancy says of the objects):
    a customer's and an organisation's by their organisation, seen from any of its sites."""
    c = EVENT.c
    if scope.everything:
        return c.object_type == object_type
    sites, organisations = sorted(scope.site_ids), sorted(scope.organisation_ids)
    if object_type in ("Customer", "Organisation"):
        of_sites = sa.select(SITE.c.organisation_id).where(SITE.c.id.in_(sites))
        where = sa.or_(c.organisation_id.in_(organisations), c.organisation_id.in_(of_sites))
    else:
        where = sa.or_(c.site_id.in_(sites), c.organisation_id.in_(organisations))
    return sa.and_(c.object_type == object_type, where)


class FeedScope(ScopeLike, Protocol):
    @property
    def is_empty(self) -> bool: ...


def feed_condition(scopes: Mapping[str, FeedScope]) -> ColumnElement[bool]:
    """The events a caller may read: of each object type, those its scope of that type covers
    (`scopes`: type name to scope; an empty scope sees none of that type)."""
    parts = [_in_scope(name, scope) for name, scope in sorted(scopes.items()) if not scope.is_empty]
    return sa.or_(*parts) if parts else sa.false()


# The oldest transaction still running that may write this database's events: xids are the
# cluster's, so one running in another database (another service, a long report) must not
# hold this feed back. It is found by elimination: of the transactions running when the
# statement's snapshot was taken, those that pg_stat_activity shows working in another
# database are left out. One that ended meanwhile, or whose row the role may not read, is
# kept: the feed then waits a little longer, but never skips (pg_stat_activity names the
# 32-bit xid: compared with the low bits of the 64-bit one).
_OLDEST_RUNNING = sa.text(
    """coalesce(
      (SELECT min(x::text::bigint) FROM pg_snapshot_xip(pg_current_snapshot()) AS x
       WHERE x::text::bigint % 4294967296 NOT IN (
         SELECT backend_xid::text::bigint FROM pg_stat_activity
         WHERE backend_xid IS NOT NULL AND datname IS DISTINCT FROM current_database())),
      pg_snapshot_xmax(pg_current_snapshot())::text::bigint)"""
)


def settled(dialect_name: str) -> ColumnElement[bool]:
    """Events no transaction still running could come before (the module's docstring)."""
    if dialect_name != "postgresql":
        return sa.true()
    return EVENT.c.position < sa.literal_column(f"({_OLDEST_RUNNING.text})", sa.BigInteger)


async def feed_page(
    db: RequestDatabase,
    visible: Clause,
    *,
    site_id: int | None,
    types: Sequence[str] | None,
    after: tuple[int, int] | None,
    limit: int,
) -> list[Record]:
    """Up to `limit` events after the (position, seq) `after`, in feed order, that `visible`
    lets the caller read: one statement, by the (site, position, seq) index with a site."""
    c = EVENT.c
    conditions = [*feed_conditions(visible, site_id, types, after), settled(db.dialect_name)]
    statement = sa.select(EVENT).where(*conditions).order_by(c.position, c.seq).limit(limit)
    return await db.fetch(None, lambda: statement, {})


def feed_conditions(
    visible: Clause,
    site_id: int | None,
    types: Sequence[str] | None,
    after: tuple[int, int] | None,
) -> list[Clause]:
    """What one reader of the feed takes: the events `visible` lets it read, of `site_id`
    and of `types` when given, after the (position, seq) `after` (None: from the start)."""
    c = EVENT.c
    conditions: list[Clause] = [visible]
    if site_id is not None:
        conditions.append(c.site_id == site_id)
    if types is not None:
        conditions.append(c.type.in_(list(types)))
    if after is not None:
        conditions.append(sa.tuple_(c.position, c.seq) > sa.tuple_(*after))
    return conditions


async def feed_head(db: RequestDatabase) -> tuple[int, int] | None:
    """Where the feed stands now: the (position, seq) of its last settled event (None: none
    yet). A subscription reads on from here; whatever is not settled yet comes after it."""
    c = EVENT.c
    statement = (
        sa.select(c.position, c.seq)
        .where(settled(db.dialect_name))
        .order_by(c.position.desc(), c.seq.desc())
        .limit(1)
    )
    rows = await db.fetch(None, lambda: statement, {})
    return None if not rows else (rows[0].position, rows[0].seq)
