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

On a machine shared with other work the wall-clock figures move with its load, both ways (the
one-minute load average is printed with each figure); our process's own CPU time (all its
threads, SQLite's included) is printed beside them;
PostgreSQL's own CPU (its backends' user and system time, from /proc: the server must run on
this machine, else it is left out) moves far less, so it is printed beside them, for the
floor's statement and for our generation (every backend of the scratch database but the
one measuring), with their ratio.
"""

from __future__ import annotations

import importlib.util
import os
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


def _cpu_seconds(pid: int) -> float | None:
    """A local process's user + system CPU time (None: no such process here)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _backends_cpu(probe: asyncpg.Connection) -> dict[int, float | None]:
    """CPU time so far of each backend of the probe's database but the probe's own."""
    pids = await probe.fetch(
        "SELECT pid FROM pg_stat_activity"
        " WHERE datname = current_database() AND pid <> pg_backend_pid()"
    )
    return {row["pid"]: _cpu_seconds(row["pid"]) for row in pids}


def _spent(before: dict[int, float | None], after: dict[int, float | None]) -> float | None:
    if any(seconds is None for seconds in after.values()):
        return None  # the server runs elsewhere
    return round(sum(s - (before.get(pid) or 0.0) for pid, s in after.items() if s), 2)


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
        probe = await asyncpg.connect(libpq_url(url)) if url.startswith("postgresql") else None

        with PeakRss() as rss:
            before = await _backends_cpu(probe) if probe else {}
            own_cpu = time.process_time()
            started = time.perf_counter()
            generated = await generate_coupon_codes(
                write_sessions(engine), actor, coupon_id=coupon, count=count,
                max_count=max(count, settings.script_max_generated_codes),
            )  # fmt: skip
            seconds = time.perf_counter() - started
            own_cpu = time.process_time() - own_cpu
            server_cpu = _spent(before, await _backends_cpu(probe)) if probe else None
        if probe:
            await probe.close()
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
            "server_cpu_s": server_cpu,
            "process_cpu_s": round(own_cpu, 2),
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
        pid = await connection.fetchval("SELECT pg_backend_pid()")
        cpu_before = _cpu_seconds(pid)
        started = time.perf_counter()
        await connection.execute(FLOOR, count, coupon)  # one statement: its own transaction
        seconds = time.perf_counter() - started
        cpu_after = _cpu_seconds(pid)
    finally:
        await connection.close()
    server_cpu = None if cpu_before is None or cpu_after is None else cpu_after - cpu_before
    return {
        "codes": count,
        "seconds": round(seconds, 3),
        "codes_per_s": round(count / seconds),
        "server_cpu_s": None if server_cpu is None else round(server_cpu, 2),
    }


def _server_cpu(figures: dict[str, Any], floor: dict[str, Any]) -> str:
    """ ", PostgreSQL CPU 2.10 s (1.30 x the floor's)", or nothing where it was not measured."""
    seconds = figures.get("server_cpu_s")
    if seconds is None:
        return ""
    if figures is floor or "server_cpu_floor_ratio" not in figures:
        return f", PostgreSQL CPU {seconds:.2f} s"
    return (
        f", PostgreSQL CPU {seconds:.2f} s ({figures['server_cpu_floor_ratio']:.2f} x the floor's)"
    )


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
            f" {floor['seconds']:.2f} s{_server_cpu(floor, floor)}")  # fmt: skip
        for database in ("sqlite", "postgresql"):
            if database == "sqlite":
                figures = await _on_sqlite(size)
            else:
                figures = await _on_postgresql(
                    bench_url, scratch, lambda url, size=size: _time(url, size)
                )
            figures["floor_ratio"] = round(figures["seconds"] / floor["seconds"], 2)
            if figures["server_cpu_s"] and floor["server_cpu_s"]:
                ratio = figures["server_cpu_s"] / floor["server_cpu_s"]
                figures["server_cpu_floor_ratio"] = round(ratio, 2)
            results[database + suffix] = figures
            log(f"  {database}: {size:,} codes in {figures['seconds']:.2f} s"
                f" ({figures['floor_ratio']:.2f} x the floor), RSS +{figures['rss_growth_mb']} MB,"
                f" our CPU {figures['process_cpu_s']:.2f} s{_server_cpu(figures, floor)}"
                f", load {os.getloadavg()[0]:.1f}")  # fmt: skip
    return results
