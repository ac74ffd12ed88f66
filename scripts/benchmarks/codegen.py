"""Generating codes for one coupon, timed on SQLite and on PostgreSQL, beside PostgreSQL's floor.

It runs the code path of the `generateCouponCodes` mutation below the GraphQL layer: the
service function `app.services.code_generation.generate_coupon_codes` in one write
transaction (the use case opens it on the app's write sessions), on an engine built by the app's
own `create_engine` (so SQLite gets its pragmas and BEGIN IMMEDIATE). Each database is a
scratch one, migrated and given one coupon, and removed afterwards; the bench database is
not touched.

The floor is PostgreSQL inserting the same number of codes by itself, one INSERT ... SELECT
over generate_series into the same table (its indexes and foreign keys included), in the same
run; each figure is printed beside it as a ratio. With `million`, 1,000,000 codes are
generated too (the limit of scripts/generate-codes), with the process's RSS growth: the
highest RSS seen while it ran (sampled every 10 ms) minus the RSS before.
"""

from __future__ import annotations

import importlib.util
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import asyncpg
import sqlalchemy as sa

from benchmarks.database import _database_name, _maintenance_dsn, _with_name, libpq_url

SERVICE = "app.services.code_generation"
COUNT = 100_000
MILLION = 1_000_000
FLOOR = """INSERT INTO coupon_code (created_at, updated_at, updated_by, coupon_id, site_id,
    organisation_id, multi_use, times_used, code, unique_id)
SELECT now(), now(), 'floor', c.id, c.site_id, c.organisation_id, false, 0,
    'FLOOR' || g, gen_random_uuid()
FROM coupon AS c, generate_series(1, $1) AS g WHERE c.id = $2"""


def available() -> str | None:
    """None when the service exists, else why the section is skipped."""
    if importlib.util.find_spec(SERVICE) is None:
        return f"{SERVICE} does not exist yet (the write API's code generation)"
    module = importlib.import_module(SERVICE)
    if not hasattr(module, "generate_coupon_codes"):
        return f"{SERVICE} has no generate_coupon_codes function"
    return None


def _rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * 4096


class PeakRss:
    """The highest RSS of this process while the block runs, sampled by a thread."""

    def __enter__(self) -> PeakRss:
        self.start = self.peak = _rss_bytes()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.wait(0.01):
            self.peak = max(self.peak, _rss_bytes())

    def __exit__(self, *_: Any) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _rss_bytes())

    @property
    def growth_mb(self) -> float:
        return round((self.peak - self.start) / 2**20, 1)


async def _time(url: str, count: int) -> dict[str, Any]:
    from app.db.engine import create_engine
    from app.db.migrate import upgrade
    from app.db.session import write_sessions
    from app.demo import seed_scale
    from app.services.actor import Actor
    from app.services.code_generation import generate_coupon_codes
    from app.settings import Settings

    settings = Settings(database_url=url)
    engine = create_engine(settings)
    try:
        await upgrade(engine)
        await seed_scale(engine, codes=1, coupons=1, sites=1, progress=False)
        async with engine.connect() as connection:
            coupon = (await connection.execute(sa.text("SELECT min(id) FROM coupon"))).scalar_one()
        actor = Actor(subject="bench@example.com")

        with PeakRss() as rss:
            started = time.perf_counter()
            generated = await generate_coupon_codes(
                write_sessions(engine), actor, coupon_id=coupon, count=count,
                max_count=max(count, settings.script_max_generated_codes),
            )  # fmt: skip
            seconds = time.perf_counter() - started
        async with engine.connect() as connection:
            stored = (await connection.execute(sa.text(
                "SELECT count(*) FROM coupon_code WHERE coupon_id = :c"), {"c": coupon}
            )).scalar_one()  # fmt: skip
        if generated.count != count or stored < count:
            raise RuntimeError(f"asked for {count} codes, got {generated.count}, stored {stored}")
        return {
            "codes": count,
            "seconds": round(seconds, 3),
            "codes_per_s": round(count / seconds),
            "rss_growth_mb": rss.growth_mb,
        }
    finally:
        await engine.dispose()


async def _floor(url: str, count: int) -> dict[str, Any]:
    """PostgreSQL's own INSERT of `count` codes into a freshly migrated coupon_code (in a
    scratch database of its own, so that our run starts from the same empty table)."""
    from app.db.engine import create_engine
    from app.db.migrate import upgrade
    from app.demo import seed_scale
    from app.settings import Settings

    engine = create_engine(Settings(database_url=url))
    try:
        await upgrade(engine)
        await seed_scale(engine, codes=1, coupons=1, sites=1, progress=False)
    finally:
        await engine.dispose()
    connection = await asyncpg.connect(libpq_url(url))
    try:
        coupon = await connection.fetchval("SELECT min(id) FROM coupon")
        started = time.perf_counter()
        await connection.execute(FLOOR, count, coupon)  # one statement: its own transaction
        seconds = time.perf_counter() - started
    finally:
        await connection.close()
    return {"codes": count, "seconds": round(seconds, 3), "codes_per_s": round(count / seconds)}


async def _on_postgresql(bench_url: str, name: str, measure: Any) -> dict[str, Any]:
    admin = await asyncpg.connect(_maintenance_dsn(bench_url))
    try:
        await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        await admin.execute(f"CREATE DATABASE {name}")
        try:
            return await measure(_with_name(bench_url, name))  # type: ignore[no-any-return]
        finally:
            await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    finally:
        await admin.close()


async def _on_sqlite(count: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-codes-") as folder:
        return await _time(f"sqlite+aiosqlite:///{Path(folder) / 'codes.db'}", count)


async def run(
    bench_url: str, *, count: int = COUNT, million: bool = False, log=print
) -> dict[str, Any]:
    results: dict[str, Any] = {}
    # Scratch databases named after the bench database: two runs on different ones (two
    # engineers on one server) never drop each other's.
    scratch = f"{_database_name(bench_url)}_codegen"
    for size, suffix in [(count, "")] + ([(MILLION, "_1m")] if million else []):
        floor = await _on_postgresql(
            bench_url, f"{scratch}_floor", lambda url, size=size: _floor(url, size)
        )
        results["postgresql_floor" + suffix] = floor
        log(f"  PostgreSQL floor (INSERT ... SELECT generate_series): {size:,} codes in"
            f" {floor['seconds']:.2f} s")  # fmt: skip
        for database in ("sqlite", "postgresql"):
            if database == "sqlite":
                figures = await _on_sqlite(size)
            else:
                figures = await _on_postgresql(
                    bench_url, scratch, lambda url, size=size: _time(url, size)
                )
            figures["floor_ratio"] = round(figures["seconds"] / floor["seconds"], 2)
            results[database + suffix] = figures
            log(f"  {database}: {size:,} codes in {figures['seconds']:.2f} s"
                f" ({figures['floor_ratio']:.2f} x the floor), RSS +{figures['rss_growth_mb']} MB")  # fmt: skip
    return results
