"""The change events of many rows at once, made by the database: one INSERT ... SELECT.

A bulk write (code generation, an import's batch of creates) adds one event per row it wrote,
in its transaction, like every write (app.db.events). Made in Python, an event cost more than
the row it describes: a dict of every column, a UUID and a JSON text per row (100,000
generated codes spent ~12 s of 18 s on them, 2026-12-07), all held until the commit (the
RSS growth of a large import). Here the database reads the rows just written and writes each
event itself, in one statement: nothing per row crosses to Python and nothing waits in memory.

The payload is the one `app.db.events.payload` makes of the same row (docs/events.md, version
1), as JSON text in the same key order. The columns every row of the write has the same value
in (`same`: the coupon, the site, the instant and author of the write...) are rendered once by
`events.payload` itself and spliced in as constant text; the others are turned into JSON by
the database, column by column. Text, not the databases' JSON constructors: PostgreSQL's
json_build_object works out the type of each argument again on every row (~1 us each, 20 us
a row of 20 keys), SQLite's json_object re-parses its JSON arguments. tests/events/
test_event_batches.py compares the two payloads on rows of every bulk-written table, on both
databases.

Events the session recorded before are sent first (`events.send_pending`), so the feed keeps
the order of the writes.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql import ColumnElement
from sqlalchemy.sql.util import ClauseAdapter

from app.clock import utcnow
from app.db import events
from app.db.column_types import UTCDateTime
from app.db.handles import Clause, Session
from app.db.tables import EVENT
from app.domain.global_ids import REFERENCES, TYPE_NAMES, to_global_id
from app.domain.wire_forms import camel

# SQLite has no base64: a global id there is made by this function of the connection
# (registered once per pooled connection, `_sqlite_ready`), for references that vary by row.
_GLOBAL_ID_FUNCTION = "discounts_global_id"

# A piece of the statement that is text: a constant, a column's value as JSON, the payload.
SqlText = ColumnElement[str]


def _key(table: sa.Table, column: sa.Column[Any]) -> str | None:
    """The payload's key of a column (None: not in the payload), as `events.payload` names it."""
    name = column.name
    if name in events.INTERNAL or (table.name == "site" and name == "site_id"):
        return None
    if name in REFERENCES:
        return REFERENCES[name][0]
    if name == "percentage_bp":
        return "percentage"
    return camel(name)


def _quoted(text: str) -> SqlText:
    """A constant string of the statement (a type name, a fixed piece of JSON)."""
    return sa.literal(text, sa.Text)


def _postgresql_json(column: sa.Column[Any]) -> SqlText:
    """JSON text of one column's value on PostgreSQL ('null' for NULL)."""
    name, value = column.name, column
    if name in REFERENCES:
        type_name = REFERENCES[name][1]
        named = sa.cast(_quoted(f"{type_name}:").concat(sa.cast(value, sa.Text)), sa.Text)
        global_id = sa.func.encode(sa.func.convert_to(named, "UTF8"), "base64")
        return sa.func.coalesce(_quoted('{"id":"').concat(global_id).concat('"}'), "null")
    if name == "percentage_bp":
        cents = sa.func.lpad(sa.cast(value % 100, sa.Text), 2, "0")
        text = _quoted('"').concat(sa.cast(value // 100, sa.Text)).concat(".").concat(cents)
        return sa.func.coalesce(text.concat('"'), "null")
    if name in events.MONEY:
        entry = sa.func.json_each(value).table_valued("key", "value").render_derived("entry")
        listed = sa.select(
            sa.cast(
                sa.func.json_agg(
                    sa.func.json_build_object("currency", entry.c.key, "amount", entry.c.value)
                ).aggregate_order_by(entry.c.key.collate("C")),
                sa.Text,
            )
        ).scalar_subquery()
        return sa.func.coalesce(listed, "[]")
    if isinstance(column.type, UTCDateTime):
        # isoformat(): microseconds only when there are any, and the UTC offset
        shown = sa.func.to_char(sa.func.timezone("UTC", value), 'YYYY-MM-DD"T"HH24:MI:SS.US')
        quoted = _quoted('"').concat(sa.func.replace(shown, ".000000", "")).concat('+00:00"')
        return sa.func.coalesce(quoted, "null")
    if isinstance(column.type, sa.Uuid):
        return sa.func.coalesce(_quoted('"').concat(sa.cast(value, sa.Text)).concat('"'), "null")
    if isinstance(column.type, sa.Boolean):
        return sa.case((value.is_(True), "true"), (value.is_(False), "false"), else_="null")
    if isinstance(column.type, sa.Integer):
        return sa.func.coalesce(sa.cast(value, sa.Text), "null")
    if isinstance(column.type, sa.JSON):
        return sa.func.coalesce(sa.cast(value, sa.Text), "null")
    return sa.func.coalesce(sa.cast(sa.func.to_json(value), sa.Text), "null")


def _sqlite_json(column: sa.Column[Any]) -> SqlText:
    """JSON text of one column's value on SQLite ('null' for NULL), from the value as
    SQLAlchemy stores it there: booleans 0/1, instants as naive UTC text with six digits of
    microseconds, UUIDs as 32 hexadecimal digits, JSON as text."""
    name, value = column.name, sa.type_coerce(column, sa.Text)
    if name in REFERENCES:
        type_name = REFERENCES[name][1]
        global_id = getattr(sa.func, _GLOBAL_ID_FUNCTION)(_quoted(type_name), column)
        reference = _quoted('{"id":"').concat(global_id).concat('"}')
        return sa.case((column.is_(None), "null"), else_=reference)
    if name == "percentage_bp":
        number = sa.type_coerce(column, sa.Integer)
        # CASTs group the arithmetic: SQLite's || binds tighter than / and %
        cents = sa.func.substr(_quoted("0").concat(sa.cast(number % 100, sa.Text)), -2)
        whole = sa.cast(number // 100, sa.Text)
        text = _quoted('"').concat(whole).concat(".").concat(cents).concat('"')
        return sa.func.coalesce(text, "null")
    if name in events.MONEY:
        entry = sa.func.json_each(column).table_valued("key", "value").alias("entry")
        ordered = sa.select(entry.c.key, entry.c.value).order_by(entry.c.key).subquery()
        listed = sa.select(
            sa.func.json_group_array(
                sa.func.json_object("currency", ordered.c.key, "amount", ordered.c.value)
            )
        ).scalar_subquery()
        return listed
    if isinstance(column.type, UTCDateTime):
        text = sa.func.replace(sa.func.replace(value, " ", "T"), ".000000", "")
        return sa.func.coalesce(_quoted('"').concat(text).concat('+00:00"'), "null")
    if isinstance(column.type, sa.Uuid):
        parts = [sa.func.substr(value, start, size) for start, size in _UUID_PARTS]
        canonical = _quoted('"').concat(parts[0])
        for part in parts[1:]:
            canonical = canonical.concat("-").concat(part)
        return sa.func.coalesce(canonical.concat('"'), "null")
    if isinstance(column.type, sa.Boolean):
        number = sa.type_coerce(column, sa.Integer)
        return sa.case((number.is_(None), "null"), (number != 0, "true"), else_="false")
    if isinstance(column.type, sa.Integer):
        return sa.func.coalesce(sa.cast(column, sa.Text), "null")
    if isinstance(column.type, sa.JSON):
        return sa.func.coalesce(value, "null")
    return sa.func.json_quote(value)  # NULL gives 'null'


_UUID_PARTS = ((1, 8), (9, 4), (13, 4), (17, 4), (21, 12))


def _fixed_payload(table: sa.Table, same: Mapping[str, object]) -> dict[str, object]:
    """`events.payload` of the columns in `same` (instants as stored: in UTC)."""
    values = {
        name: value.astimezone(UTC) if isinstance(value, datetime) else value
        for name, value in same.items()
    }
    return events.payload(table, values)


def payload_text(table: sa.Table, dialect_name: str, same: Mapping[str, object]) -> SqlText:
    """The payload of the row of `table` a SELECT from it reads, as JSON text: the one
    `events.payload` makes of the same row, key for key, in its order. Columns named in `same`
    have that value in every row read (the caller's condition says so)."""
    json_of: Callable[[sa.Column[Any]], SqlText]
    json_of = _postgresql_json if dialect_name == "postgresql" else _sqlite_json
    fixed = _fixed_payload(table, same)
    pieces: list[SqlText] = []
    constant = f'{{"version":{events.PAYLOAD_VERSION},"type":{json.dumps(fixed["type"])}'
    for column in table.c:
        key = _key(table, column)
        if key is None:
            continue
        constant += f",{json.dumps(key)}:"
        if column.name in same:
            constant += json.dumps(fixed[key])
            continue
        pieces += [_quoted(constant), json_of(column)]
        constant = ""
    pieces.append(_quoted(constant + "}"))
    text = pieces[0]
    for piece in pieces[1:]:
        text = text.concat(piece)
    return text


# payload_text by (table, dialect, `same`): an import asks for the same one batch after batch
# (its site, instant and author), and building it anew cost ~4 % of an import's time (py-spy,
# 100,000 codes, 2026-12-07). Equal values render equally (instants are shown in UTC).
_PAYLOADS: dict[tuple[str, str, tuple[tuple[str, object], ...]], SqlText] = {}
_PAYLOADS_KEPT = 256


def _payload_of(table: sa.Table, dialect_name: str, same: Mapping[str, object]) -> SqlText:
    key = (table.name, dialect_name, tuple((name, same[name]) for name in sorted(same)))
    try:
        found = _PAYLOADS.get(key)
    except TypeError:  # an unhashable value: built each time
        return payload_text(table, dialect_name, same)
    if found is None:
        if len(_PAYLOADS) >= _PAYLOADS_KEPT:
            _PAYLOADS.clear()
        found = _PAYLOADS[key] = payload_text(table, dialect_name, same)
    return found


# The event ids of a bulk write are version-7 UUIDs (RFC 9562) ordered like the rows: the
# statement's instant in milliseconds and 34 random bits, the same for all its rows (a
# parameter, `event_id_prefix`), then the row's id in the last 10 hexadecimal digits (ids are
# 32-bit integers). Random version-4 ids landed each row at a random place of the unique index
# on event.id: that index alone cost PostgreSQL ~0.55 s of CPU per 100,000 generated codes, of
# ~1.75 s for the whole events statement; in order, each row goes next to the one before
# (~0.3 s saved, 2026-12-07). Unique as a UUID must be: two statements would need the same
# millisecond, the same 34 random bits and rows of the same id (the unique index refuses
# the write then, rather than keep a duplicate).
_ID_DIGITS = 10


def event_id_prefix(now: datetime) -> str:
    """The first 22 hexadecimal digits of a bulk write's event ids (see `_ID_DIGITS`)."""
    milliseconds = int(now.timestamp() * 1000)
    rand = secrets.randbits(34)
    variant = 0x8 | (rand >> 32)  # the two variant bits 10, then two random ones
    return f"{milliseconds:012x}7{(rand >> 20) & 0xFFF:03x}{variant:x}{rand & 0xFFFFF:05x}"


def _event_id(table: sa.Table, dialect_name: str) -> ColumnElement[Any]:
    """Each row's event id: `event_id_prefix` then the row's id, as EVENT.c.id stores it."""
    prefix = sa.bindparam("event_id_prefix", type_=sa.Text)
    if dialect_name == "postgresql":
        digits = sa.func.lpad(sa.func.to_hex(table.c.id), _ID_DIGITS, "0")
        return sa.cast(prefix.concat(digits), sa.Uuid)
    # SQLite stores a UUID as its 32 hexadecimal digits, lowercase
    return prefix.concat(sa.func.printf(f"%0{_ID_DIGITS}x", table.c.id))


def _owners(table: sa.Table) -> tuple[sa.Column[Any] | sa.Null, sa.Column[Any]]:
    """(site, organisation) columns an event is filed under (`events.event_row`'s)."""
    if table.name == "organisation":
        return sa.null(), table.c.id
    if table.name == "site":
        return table.c.id, table.c.organisation_id
    site_id = table.c.site_id if "site_id" in table.c else sa.null()  # a customer has none
    return site_id, table.c.organisation_id


_COLUMNS = [
    "id", "position", "type", "site_id", "organisation_id", "object_type", "object_id",
    "object_updated_at", "payload", "occurred_at",
]  # fmt: skip


def _event_rows(
    table: sa.Table, verb: events.Verb, dialect_name: str, same: Mapping[str, object]
) -> sa.Select[Any]:
    """SELECT the event of each row of `table` read, in id order (the feed's order among
    them); the instant they occurred is the `occurred_at` parameter, their ids begin with
    `event_id_prefix`'s. Columns named in `same` hold those values in every row read."""
    # The payload column is text on PostgreSQL too (tables.PayloadJSON): no cast, no parse
    payload = _payload_of(table, dialect_name, same)
    site_id, organisation_id = _owners(table)
    return sa.select(
        _event_id(table, dialect_name),
        events.position(dialect_name),
        _quoted(events.event_type(table.name, verb)),
        site_id,
        organisation_id,
        _quoted(TYPE_NAMES[table.name]),
        table.c.id,
        table.c.updated_at,
        payload,
        sa.bindparam("occurred_at", type_=EVENT.c.occurred_at.type),
    ).order_by(table.c.id)


def events_statement(
    table: sa.Table,
    verb: events.Verb,
    condition: Clause,
    dialect_name: str,
    same: Mapping[str, object] | None = None,
) -> sa.Insert:
    """INSERT INTO event SELECT the events of the rows of `table` matching `condition` (and
    holding the values `same`), in id order (the feed's order among them); the instant they
    occurred is the `occurred_at` parameter, their ids begin with `event_id_prefix`'s."""
    same = same or {}
    holds = [
        table.c[name].is_(None) if value is None else table.c[name] == value
        for name, value in same.items()
    ]
    rows = _event_rows(table, verb, dialect_name, same).where(condition, *holds)
    return sa.insert(EVENT).from_select(_COLUMNS, rows)


def events_of_returned(
    table: sa.Table, verb: events.Verb, written: sa.CTE, same: Mapping[str, object]
) -> sa.Insert:
    """INSERT INTO event SELECT the events of the rows `written` answers: a PostgreSQL CTE
    `INSERT INTO table ... RETURNING` the `returned_columns`, whose rows all hold the values
    `same`. The events go in with the rows, in the same statement, rather than by a later
    read of the table: for 100,000 generated codes that read was an index scan in code order
    and a sort of every row by id, spilled to disk (57 MB; 1,000,000 codes: ten times that),
    0.36 s of the events statement's 1.1 s (EXPLAIN ANALYZE, 2026-12-07).
    Parameters as `events_statement`'s."""
    rows = _event_rows(table, verb, "postgresql", same)
    return sa.insert(EVENT).from_select(_COLUMNS, ClauseAdapter(written).traverse(rows))


def returned_columns(table: sa.Table, same: Mapping[str, object]) -> list[sa.Column[Any]]:
    """The columns of `table` a `events_of_returned` CTE must answer: those its events read
    that are not the same in every row (rendered once), and the id, instant and owners. Not
    every column: the CTE's rows are held and sorted by id, and narrower rows sort in memory
    where whole ones spilled to disk at the default work_mem."""
    needed = {"id", "updated_at", "site_id", "organisation_id"}
    return [
        column
        for column in table.c
        if column.name in needed or (column.name not in same and _key(table, column) is not None)
    ]


def bulk_parameters(now: datetime) -> dict[str, object]:
    """The parameters of a bulk write's events statements: their instant and id prefix."""
    return {"occurred_at": now, "event_id_prefix": event_id_prefix(now)}


async def add_events(
    db: Session,
    table: sa.Table,
    verb: events.Verb,
    condition: Clause,
    *,
    same: Mapping[str, object] | None = None,
) -> int | None:
    """The events of every row of `table` matching `condition`, in one statement of the
    write's transaction; `same`: columns every such row has the given value in (they are
    part of the condition too). Answers how many it wrote (None: events are switched off,
    `events.writing`)."""
    if not events.writing(db):
        return None
    dialect_name = db.get_bind().dialect.name
    await events.send_pending(db)
    if dialect_name == "sqlite":
        await _sqlite_ready(db)
    statement = events_statement(table, verb, condition, dialect_name, same)
    result = await db.execute(statement, bulk_parameters(utcnow()))
    events.wrote(db)
    return int(result.rowcount)  # type: ignore[attr-defined]


async def _sqlite_ready(db: Session) -> None:
    """Registers the global id function on the session's SQLite connection, once per pooled
    connection (its `info` outlives the session)."""
    connection = await db.connection()
    if connection.info.get(_GLOBAL_ID_FUNCTION):
        return
    raw = await connection.get_raw_connection()
    await raw.driver_connection.create_function(  # type: ignore[union-attr]
        _GLOBAL_ID_FUNCTION, 2, to_global_id, deterministic=True
    )
    connection.info[_GLOBAL_ID_FUNCTION] = True
