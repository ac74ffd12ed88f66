"""Coupon codes in bulk, for code generation: streaming the strings a coupon already has,
inserting a chunk of new codes in one statement, and reading some of them back.

A chunk goes in as ONE parameter (a text[] on PostgreSQL, a JSON array on SQLite) expanded by
the database (unnest / json_each) in an INSERT ... SELECT: the database does the per-row work
in C, where an executemany made SQLAlchemy build and type-convert a parameter set per row and
asyncpg run one Bind/Execute per row (profiled 2026-12-06: 100,000 codes spent ~2.5 s in
SQLAlchemy's per-row parameters and, on PostgreSQL, ~8 s waiting on the per-row executions).

A chunk first goes in as a plain INSERT in a savepoint; when a drawn code collides with a live
one the coupon already has (the unique (coupon, lower(code)) index of live codes refuses it,
also for a code added concurrently or by an earlier chunk), the savepoint is rolled back and
the chunk goes in with ON CONFLICT DO NOTHING on that index, whose RETURNING gives the codes
that went in; the caller draws the missing ones again. That index leaves deleted codes
out, and their strings are never handed out again (restoring one must not collide): the
caller avoids them while drawing (`coupon_code_batches` says which codes are deleted). A NOT
EXISTS against them in this statement was tried and dropped: PostgreSQL's statistics do not
know the coupon grew in this transaction, and it chose a scan of all the coupon's rows per
chunk or per row (27 s for a chunk of 10,000 once the coupon had 60,000).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from app.clock import utcnow
from app.db import event_batches, events
from app.db.errors import UniqueViolation, unique_violations
from app.db.handles import Handle, Record, Session
from app.db.tables import COUPON_CODE, EVENT

CHUNK = 50_000  # codes per INSERT (see CodeInserter.__call__); ~1.3 MB of parameters
STREAM_BATCH = 10_000  # existing code strings fetched at a time
SQLITE_BULK_CACHE_KIB = 32_768  # see code_inserter
SORT_MEMORY = "32MB"  # PostgreSQL's work_mem while a chunk's events are sorted (code_inserter)

# A v4 UUID is 122 random bits: bytes.translate sets the version (byte 6) and variant
# (byte 8) bits of every 16-byte UUID at once, without a Python call per UUID.
_VERSION_4 = bytes((b & 0x0F) | 0x40 for b in range(256))
_VARIANT = bytes((b & 0x3F) | 0x80 for b in range(256))


async def coupon_code_batches(db: Session, coupon_id: int) -> AsyncIterator[list[tuple[str, bool]]]:
    """Every code string of the coupon and whether it is deleted, in batches streamed from a
    server-side cursor so that a coupon with a million codes is never held in memory."""
    statement = (
        sa.select(COUPON_CODE.c.code, COUPON_CODE.c.deleted_at.is_not(None))
        .where(COUPON_CODE.c.coupon_id == coupon_id)
        .execution_options(yield_per=STREAM_BATCH)
    )
    result = await db.stream(statement)
    async for batch in result.partitions():
        yield [(str(code), bool(deleted)) for code, deleted in batch]


def sorted_uuids(count: int) -> bytes:
    """`count` random version-4 UUIDs as consecutive 16-byte values, in ascending order (the
    order of the unique index on them, bytes and lowercase hexadecimal alike)."""
    raw = bytearray(os.urandom(16 * count))
    raw[6::16] = bytes(raw[6::16]).translate(_VERSION_4)
    raw[8::16] = bytes(raw[8::16]).translate(_VARIANT)
    return b"".join(sorted(raw[start : start + 16] for start in range(0, len(raw), 16)))


def _drawn_rows(dialect: str) -> tuple[sa.TableValuedAlias, Any, Any, Any]:
    """The chunk's codes as rows (table, code column, position) and each row's new unique_id,
    in the dialect's way of expanding one array parameter. The UUIDs come as one blob
    (`sorted_uuids`) sliced per row, in the rows' order."""
    uuids = sa.bindparam("uuids", type_=sa.LargeBinary)
    if dialect == "postgresql":
        codes = sa.bindparam("codes", type_=postgresql.ARRAY(sa.Text))
        drawn = (
            sa.func.unnest(codes).table_valued("code", with_ordinality="n").render_derived("drawn")
        )
        start = sa.cast(drawn.c.n, sa.Integer) * 16 - 15
        hexadecimal = sa.func.encode(sa.func.substr(uuids, start, 16), "hex")
        return drawn, drawn.c.code, drawn.c.n, sa.cast(hexadecimal, sa.Uuid)
    # SQLite: json_each gives `value` and its 0-based `key`; a UUID is stored as its hex, the
    # way sa.Uuid stores it there.
    codes = sa.bindparam("codes", type_=sa.JSON)
    drawn = sa.func.json_each(codes).table_valued("value", "key").alias("drawn")
    hexadecimal = sa.func.lower(sa.func.hex(sa.func.substr(uuids, drawn.c.key * 16 + 1, 16)))
    return drawn, drawn.c.value, drawn.c.key, hexadecimal


def _insert_statements(
    dialect: str, shared: Mapping[str, Any], logged: bool
) -> tuple[sa.Executable, sa.Executable]:
    """INSERT ... SELECT of one chunk: plain, and skipping live codes the coupon has while
    answering the codes added. The shared column values are parameters too, so the
    statements are compiled once and found in SQLAlchemy's cache for every later chunk.
    `logged` (PostgreSQL only): each statement also writes the chunk's events (below).

    On PostgreSQL the skipping one answers the codes added as one text[] (`array_agg` over
    the INSERT's RETURNING, in id order, which is the order drawn): asyncpg decodes it in one
    go, where a row per code costs SQLAlchemy's result a few microseconds each. SQLite has
    no INSERT in a WITH, so it returns a row per code."""
    table = COUPON_CODE
    drawn, code, position, unique_id = _drawn_rows(dialect)
    shared_columns = list(shared)
    values = {name: sa.bindparam(name, type_=table.c[name].type) for name in shared_columns}
    rows = (
        sa.select(*values.values(), code, unique_id)
        .select_from(drawn)
        .order_by(position)  # ids in the order drawn: the first codes answered are the first
    )
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
    plain = insert.from_select([*shared_columns, "code", "unique_id"], rows)
    # The conflict target names the one index a drawn code can collide with: without it
    # PostgreSQL checks every unique index first (the primary key and the UUID too), which
    # cost ~10 % more of its CPU per 100,000 codes (2026-12-06).
    skipping = plain.on_conflict_do_nothing(
        index_elements=[table.c.coupon_id, sa.text("lower(code)")],
        index_where=table.c.deleted_at.is_(None),
    )
    if dialect != "postgresql":
        return plain, skipping.returning(table.c.code)
    if not logged:
        added = skipping.returning(table.c.id, table.c.code).cte("added")
        return plain, _codes_added(added)
    # The chunk's events are written from the rows the INSERT answers, in the same statement
    # (a data-modifying WITH runs to its end whether or not the outer statement reads it).
    same = generated_columns(shared)
    verb = events.Verb.CREATED
    returned = event_batches.returned_columns(table, same)
    written = plain.returning(*returned).cte("written")
    plain_logged = event_batches.events_of_returned(table, verb, written, same).add_cte(written)
    added = skipping.returning(*returned).cte("added")
    logged_events = event_batches.events_of_returned(table, verb, added, same)
    events_added = logged_events.returning(EVENT.c.seq).cte("logged")
    counted = sa.select(sa.func.count()).select_from(events_added).scalar_subquery()
    return plain_logged, _codes_added(added, counted)


def _codes_added(added: sa.CTE, *more: Any) -> sa.Select[Any]:
    """The codes `added` answers as one text[] in id order, and the `more` columns."""
    codes = sa.func.array_agg(postgresql.aggregate_order_by(added.c.code, added.c.id))
    return sa.select(codes, *more)


class CodeInserter:
    """Inserts one chunk of codes (`await inserter(codes)`, see `code_inserter`); `events`:
    how many change events it wrote with them, None when it writes none (SQLite, whose
    events `add_generated_events` writes once the codes are in, or events switched off)."""

    def __init__(self, db: Session, shared: Mapping[str, Any], logged: bool) -> None:
        self._db, self._shared = db, shared
        self._dialect = db.get_bind().dialect.name
        self._plain, self._skipping = _insert_statements(self._dialect, shared, logged)
        self._logged = logged
        self._events_parameters = event_batches.bulk_parameters(utcnow()) if logged else {}
        self.events: int | None = 0 if logged else None
        if logged:
            events.wrote(db)  # its commit wakes the subscribers (app.db.event_notify)

    async def __call__(self, codes: Sequence[str]) -> list[str]:
        db, dialect = self._db, self._dialect
        # Sorted, the chunk's rows enter the indexes of random keys (the code, lower(code) in
        # two, the UUID) in those indexes' order, each next to the one before, rather than each
        # at a random leaf; the longer the chunk, the more rows share a leaf. 100,000 codes in
        # chunks of 10,000 took 2.7-2.9 s of PostgreSQL's CPU unsorted, 1.8-1.9 s sorted (codes
        # and UUIDs), 1.64-1.77 s in chunks of 50,000; 1,000,000 on SQLite took 20.2 s of CPU,
        # 12.3 s, 8.4 s (2026-12-07, load 7-15).
        codes = sorted(codes)
        parameters = {
            **self._shared,
            **self._events_parameters,
            "codes": codes,
            "uuids": sorted_uuids(len(codes)),
        }
        # A drawn code rarely collides, so the chunk first goes in as a plain INSERT in a
        # savepoint: PostgreSQL's ON CONFLICT checks the unique index before each row
        # (speculative insertion) and RETURNING hands back every code, which cost it ~10 %
        # more CPU per 100,000 codes and SQLite a result row per code. On a collision the
        # savepoint is rolled back and the chunk goes in skipping the codes taken.
        try:
            with unique_violations():
                async with db.begin_nested():
                    result = await db.execute(self._plain, parameters)
        except UniqueViolation:
            result = await db.execute(self._skipping, parameters)
            if dialect != "postgresql":
                return list(result.scalars())
            answer = result.one()
            if self.events is not None:
                self.events += int(answer[1])
            return list(answer[0] or ())
        if self.events is not None:
            self.events += int(result.rowcount)  # type: ignore[attr-defined]
        return list(codes)


@asynccontextmanager
async def code_inserter(db: Session, shared: Mapping[str, Any]) -> AsyncIterator[CodeInserter]:
    """A function inserting one chunk of codes (distinct among themselves), one row each with
    the column values `shared` (coupon_id among them) and a new UUID, in one statement (two
    when a code collides); it answers the codes inserted, sorted (the order they went in). A
    live code the coupon already has is left out. On PostgreSQL the same statement writes
    each code's `couponCode.created` event (`CodeInserter.events` counts them), after the
    events the session recorded before (`events.send_pending`).

    On SQLite the connection's page cache is raised to SQLITE_BULK_CACHE_KIB meanwhile: the
    new rows go into a dozen indexes, and with the default 2 MB SQLite re-reads pages from the
    WAL; unsorted, 1,000,000 codes took 40 s with it and 28 s with 64 MB. Sorted chunks
    (`CodeInserter.__call__`) need far less: 8.8 s of CPU with 32 or 64 MB, 9.2 s with 8 MB
    (2026-12-07), so 32 MB, half of what the million's RSS growth spent on it. It is put back
    once the codes are in; after a failure the pooled connection keeps it (a limit, not
    memory taken)."""
    dialect = db.get_bind().dialect.name
    logged = dialect == "postgresql" and events.writing(db)
    if logged:
        await events.send_pending(db)
        # Each chunk's statement sorts its rows by id (~11 MB for 50,000 codes): at the default
        # 4 MB that sort went to disk, each chunk. For the generation's own transaction only.
        await db.execute(sa.text(f"SET LOCAL work_mem = '{SORT_MEMORY}'"))
    inserter = CodeInserter(db, shared, logged)
    if dialect != "sqlite":
        yield inserter
        return
    before: int = (await db.execute(sa.text("PRAGMA cache_size"))).scalar_one()
    await db.execute(sa.text(f"PRAGMA cache_size = -{SQLITE_BULK_CACHE_KIB}"))
    yield inserter
    await db.execute(sa.text(f"PRAGMA cache_size = {int(before)}"))


def generated_columns(shared: Mapping[str, Any]) -> dict[str, Any]:
    """The values every generated code of one generation has: `shared`, and NULL in the
    nullable columns it leaves unset."""
    inserted = {*shared, "id", "code", "unique_id"}
    unset = {
        column.name: None
        for column in COUPON_CODE.c
        if column.name not in inserted and column.nullable and column.default is None
    }
    return {**shared, **unset}


async def add_generated_events(db: Session, shared: Mapping[str, Any]) -> int | None:
    """The `couponCode.created` events of the codes one generation added with the column values
    `shared` (its instant as their creation time), in one statement made by the database; how
    many (None: events switched off). Only the code and its UUID differ from one row to the
    next: the rest of each payload is rendered once (app.db.event_batches). For SQLite: on
    PostgreSQL `code_inserter` writes them with the codes."""
    same = generated_columns(shared)
    condition = COUPON_CODE.c.coupon_id == shared["coupon_id"]
    return await event_batches.add_events(
        db, COUPON_CODE, events.Verb.CREATED, condition, same=same
    )


async def coupon_codes_named(db: Handle, coupon_id: int, codes: Sequence[str]) -> list[Record]:
    """The coupon's codes whose string is one of `codes`, in id order."""
    statement = (
        sa.select(COUPON_CODE)
        .where(COUPON_CODE.c.coupon_id == coupon_id, COUPON_CODE.c.code.in_(list(codes)))
        .order_by(COUPON_CODE.c.id)
    )
    return list((await db.execute(statement)).all())
