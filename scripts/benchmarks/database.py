"""The benchmark database: created (or dropped and recreated), migrated and seeded at scale.

The data comes from `app.demo.seed_scale`, the same generator the rest of the project uses,
so both APIs read realistic rows (windows, caps, soft-deleted records, assignments).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

DEFAULT_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/discounts_bench"


@dataclass(frozen=True)
class Seeded:
    url: str  # SQLAlchemy URL (postgresql+asyncpg://...)
    libpq_url: str  # the same for libpq / node-postgres (postgres://...)
    counts: dict[str, int]
    seeded_now: bool
    seconds: float


def libpq_url(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(("postgres", *parts[1:]))


def _database_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


def _maintenance_dsn(url: str) -> str:
    parts = urlsplit(libpq_url(url))
    return urlunsplit((parts.scheme, parts.netloc, "/postgres", "", ""))


async def _create(url: str, *, reset: bool) -> None:
    name = _database_name(url)
    if not name.replace("_", "").isalnum():
        raise ValueError(f"refusing an unusual database name: {name!r}")
    connection = await asyncpg.connect(_maintenance_dsn(url))
    try:
        if reset:
            # FORCE: a server left over from an interrupted run must not block the reset.
            await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        exists = await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if not exists:
            await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()


async def _counts(engine: AsyncEngine) -> dict[str, int]:
    from app.demo import table_counts

    return await table_counts(engine)


async def prepare(url: str, *, codes: int, reset: bool, log=print) -> Seeded:
    """Create, migrate and (when empty) seed the database; reuse it when it already has data."""
    from app.db.migrate import upgrade
    from app.demo import seed_scale

    started = time.perf_counter()
    await _create(url, reset=reset)
    engine = create_async_engine(url)
    try:
        await upgrade(engine)
        counts = await _counts(engine)
        seeded_now = not any(counts.values())
        if seeded_now:
            log(f"seeding {_database_name(url)}: {codes:,} coupon codes (app.demo.seed_scale)")
            summary = await seed_scale(engine, codes=codes, codes_per_coupon=10)
            for line in summary.lines():
                log(f"  {line}")
            async with engine.begin() as connection:
                # Fresh statistics: both servers' plans should see the real table sizes.
                await connection.execute(sa.text("ANALYZE"))
            counts = await _counts(engine)
        else:
            held = counts.get("coupon_code", 0)
            log(f"reusing {_database_name(url)} ({held:,} coupon codes; --reset to seed again)")
            if held != codes:
                log(f"  note: {codes:,} codes were asked for; the figures are for {held:,}")
    finally:
        await engine.dispose()
    return Seeded(url, libpq_url(url), counts, seeded_now, time.perf_counter() - started)


def _with_name(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, ""))


async def copy(url: str, name: str) -> str:
    """A fresh copy of the database (CREATE DATABASE ... TEMPLATE: a file copy, seconds)."""
    connection = await asyncpg.connect(_maintenance_dsn(url))
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await connection.execute(f'CREATE DATABASE "{name}" TEMPLATE "{_database_name(url)}"')
    finally:
        await connection.close()
    return _with_name(url, name)


async def fresh(url: str, name: str) -> str:
    """An empty database `name` next to the one of `url` (dropped first if it exists)."""
    target = _with_name(url, name)
    await _create(target, reset=True)
    return target


async def drop(url: str) -> None:
    connection = await asyncpg.connect(_maintenance_dsn(url))
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{_database_name(url)}" WITH (FORCE)')
    finally:
        await connection.close()
