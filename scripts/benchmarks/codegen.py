"""Generating 100,000 codes for one coupon, timed on SQLite and on PostgreSQL.

It runs the code path of the `generateCouponCodes` mutation below the GraphQL layer: the
service function `app.services.code_generation.generate_coupon_codes` in one write
transaction (`in_transaction` over the app's write sessions), on an engine built by the app's
own `create_engine` (so SQLite gets its pragmas and BEGIN IMMEDIATE). Each database is a
scratch one, migrated and given one coupon, and removed afterwards; the bench database is
not touched.
"""

from __future__ import annotations

import importlib.util
import tempfile
import time
from pathlib import Path
from typing import Any

import asyncpg
import sqlalchemy as sa

from benchmarks.database import _maintenance_dsn, _with_name

SERVICE = "app.services.code_generation"
COUNT = 100_000


def available() -> str | None:
    """None when the service exists, else why the section is skipped."""
    if importlib.util.find_spec(SERVICE) is None:
        return f"{SERVICE} does not exist yet (the write API's code generation)"
    module = importlib.import_module(SERVICE)
    if not hasattr(module, "generate_coupon_codes"):
        return f"{SERVICE} has no generate_coupon_codes function"
    return None


async def _time(url: str, count: int) -> dict[str, Any]:
    from app.db.engine import create_engine
    from app.db.migrate import upgrade
    from app.db.session import write_sessions
    from app.demo import seed_scale
    from app.services.actor import Actor
    from app.services.code_generation import generate_coupon_codes
    from app.services.records import in_transaction
    from app.settings import Settings

    engine = create_engine(Settings(database_url=url))
    try:
        await upgrade(engine)
        await seed_scale(engine, codes=1, coupons=1, sites=1, progress=False)
        async with engine.connect() as connection:
            coupon = (await connection.execute(sa.text("SELECT min(id) FROM coupon"))).scalar_one()
        actor = Actor(subject="bench@example.com")

        async def work(session):
            return await generate_coupon_codes(session, actor, coupon_id=coupon, count=count)

        started = time.perf_counter()
        generated = await in_transaction(write_sessions(engine), work)
        seconds = time.perf_counter() - started
        async with engine.connect() as connection:
            stored = (await connection.execute(sa.text(
                "SELECT count(*) FROM coupon_code WHERE coupon_id = :c"), {"c": coupon}
            )).scalar_one()  # fmt: skip
        if generated.count != count or stored < count:
            raise RuntimeError(f"asked for {count} codes, got {generated.count}, stored {stored}")
        return {"codes": count, "seconds": round(seconds, 3), "codes_per_s": round(count / seconds)}
    finally:
        await engine.dispose()


async def run(bench_url: str, *, count: int = COUNT, log=print) -> dict[str, Any]:
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bench-codes-") as folder:
        sqlite_url = f"sqlite+aiosqlite:///{Path(folder) / 'codes.db'}"
        results["sqlite"] = await _time(sqlite_url, count)
        log(f"  SQLite: {count:,} codes in {results['sqlite']['seconds']:.2f} s")
    name = "discounts_bench_codegen"
    admin = await asyncpg.connect(_maintenance_dsn(bench_url))
    try:
        await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        await admin.execute(f"CREATE DATABASE {name}")
        try:
            pg_url = _with_name(bench_url, name)
            results["postgresql"] = await _time(pg_url, count)
            log(f"  PostgreSQL: {count:,} codes in {results['postgresql']['seconds']:.2f} s")
        finally:
            await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    finally:
        await admin.close()
    return results
