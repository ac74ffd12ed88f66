"""scripts/import and scripts/export, timed on SQLite and on PostgreSQL (issue 15's targets).

Runs the code behind the commands (app.transfer.importer.run_import / exporter.run_export) in
this process, on the app's own engine, in a scratch database of each kind (migrated, one
organisation and site), removed afterwards; the bench database is not touched.

- import: 100,000 discount codes in a nuwebgroup JSON:API document (`--format nuweb`), every
  code with its own Terms (caps, windows, minimum spend vary from code to code; a third have
  eligible sale items), then the same file again (every record "unchanged");
- export: the same 100,000 back to a nuwebgroup document;
- with `million`: 1,000,000 records (the same shape) imported on SQLite, with the process's RSS
  growth (peak RSS while it ran minus RSS before).
The document is written by the nuweb format's own writer from generated transfer records, so
it is what an export of such a site looks like. Targets: import <= 10 s, export <= 5 s,
1,000,000 with RSS growth < 100 MB. Each figure comes with its CPU seconds (this process and
its workers), which a shared machine's load moves less than the wall clock.
"""

from __future__ import annotations

import functools
import os
import resource
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from benchmarks.codegen import PeakRss, _on_postgresql
from benchmarks.database import _database_name

COUNT = 100_000
MILLION = 1_000_000


def records(count: int) -> Iterator[dict[str, Any]]:
    for i in range(count):
        fixed = i % 2 == 0
        yield {
            "type": "DiscountCode",
            "externalId": str(i + 1),
            "code": f"BENCH{i:07d}",
            "createdAt": "2025-01-10T08:00:00+00:00",
            "terms": {
                "kind": "FIXED" if fixed else "PERCENTAGE",
                "percentage": None if fixed else f"{5 + i % 50}.{i % 100:02d}",
                "amounts": [{"currency": "GBP", "amount": 100 + i % 5000}] if fixed else [],
                "minimumSpend": [{"currency": "GBP", "amount": 1000 + i % 777}]
                if i % 4 == 0
                else [],
                "maxUses": 10 + i % 1000,
                "maxUsesPerCustomer": 1 + i % 3,
                "validFrom": f"2025-{1 + i % 12:02d}-15T00:00:00+00:00",
                "validTo": "2026-12-31T23:59:00+00:00",
                "eligibleCategories": (
                    [{"category": "OFFERING", "itemIds": [str(i % 97), str(100 + i % 89)]}]
                    if i % 3 == 0
                    else []
                ),
            },
        }


def write_document(path: Path, count: int) -> None:
    from app.transfer.formats import nuweb

    with path.open("w", encoding="utf-8") as out:
        nuweb.write(records(count), out)


async def _prepare(url: str) -> tuple[Any, int]:
    from app.db.engine import create_engine
    from app.db.migrate import upgrade
    from app.db.session import write_sessions
    from app.services.actor import Actor
    from app.services.organisations import create_organisation
    from app.services.sites import create_site
    from app.settings import Settings

    engine = create_engine(Settings(database_url=url))
    await upgrade(engine)
    actor = Actor(subject="bench@example.com")

    sessions = write_sessions(engine)
    organisation = await create_organisation(sessions, actor, {"name": "Bench"})
    fields = {"name": "Venue", "currency": "GBP", "time_zone": "Europe/London"}
    site = await create_site(sessions, actor, organisation_id=organisation.id, fields=fields)
    return engine, site.id


class _Clock:
    """Wall time, and the CPU time of this process and of the workers it waited for (the
    import's reader, the export's writer): on a shared machine the CPU seconds move less
    than the wall clock from run to run. The database server's CPU is not in them."""

    def __enter__(self) -> _Clock:
        self._wall, self._cpu = time.perf_counter(), _cpu()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = round(time.perf_counter() - self._wall, 2)
        self.cpu = round(_cpu() - self._cpu, 2)


def _cpu() -> float:
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


async def _measure(url: str, document: Path, count: int, *, export: bool) -> dict[str, Any]:
    from app.transfer.exporter import run_export
    from app.transfer.importer import Source, run_import
    from app.transfer.planner import Outcome

    engine, site = await _prepare(url)
    source = [
        Source(str(document), functools.partial(document.open, "rb"), document.stat().st_size)
    ]
    try:
        figures: dict[str, Any] = {"records": count}
        with PeakRss() as rss, _Clock() as clock:
            summary = await run_import(
                engine, site_id=site, format_name="nuweb", sources=source, subject="bench"
            )
        figures["import_seconds"], figures["import_cpu_seconds"] = clock.wall, clock.cpu
        figures["import_rss_growth_mb"] = rss.growth_mb
        # The reading worker's own memory (a fresh interpreter and a few batches), apart.
        if summary.reader_peak_rss_kib is not None:
            figures["import_reader_peak_rss_mb"] = round(summary.reader_peak_rss_kib / 1024, 1)
        async with engine.connect() as connection:
            stored = (
                await connection.execute(sa.text("SELECT count(*) FROM discount_code"))
            ).scalar_one()
        if stored != count or not summary.written:
            raise RuntimeError(f"imported {count} codes, found {stored}")
        if not export:
            return figures
        with _Clock() as clock:
            again = await run_import(
                engine, site_id=site, format_name="nuweb", sources=source, subject="bench"
            )
        figures["reimport_unchanged_seconds"] = clock.wall
        figures["reimport_unchanged_cpu_seconds"] = clock.cpu
        if again.total(Outcome.UNCHANGED) != count:
            raise RuntimeError("the second import did not find every record unchanged")
        with (
            tempfile.TemporaryDirectory(prefix="bench-export-") as folder,
            (Path(folder) / "out.json").open("w", encoding="utf-8") as out,
        ):
            with _Clock() as clock:
                exported = await run_export(
                    engine, site_id=site, format_name="nuweb", trashed="WITHOUT", stream=out
                )
            figures["export_seconds"], figures["export_cpu_seconds"] = clock.wall, clock.cpu
        if exported != count:
            raise RuntimeError(f"exported {exported} records, expected {count}")
        return figures
    finally:
        await engine.dispose()


async def run(
    bench_url: str, *, count: int = COUNT, million: bool = False, log: Any = print
) -> dict[str, Any]:
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bench-transfer-") as folder:
        document = Path(folder) / "codes.json"
        write_document(document, count)
        log(f"  nuwebgroup document of {count:,} codes: {document.stat().st_size / 2**20:.0f} MB")
        for database in ("sqlite", "postgresql"):
            if database == "sqlite":
                url = f"sqlite+aiosqlite:///{Path(folder) / 'transfer.db'}"
                figures = await _measure(url, document, count, export=True)
            else:
                # Named after the bench database, so runs on different ones do not collide.
                figures = await _on_postgresql(
                    bench_url, f"{_database_name(bench_url)}_transfer",
                    lambda url: _measure(url, document, count, export=True),
                )  # fmt: skip
            results[database] = figures
            log(f"  {database}: import {count:,} in {figures['import_seconds']:.2f} s (target 10;"
                f" CPU {figures['import_cpu_seconds']:.2f} s), again (unchanged)"
                f" {figures['reimport_unchanged_seconds']:.2f} s"
                f" (CPU {figures['reimport_unchanged_cpu_seconds']:.2f} s),"
                f" export {figures['export_seconds']:.2f} s (target 5;"
                f" CPU {figures['export_cpu_seconds']:.2f} s); load average {os.getloadavg()[0]:.1f}")  # fmt: skip
        if million:
            big = Path(folder) / "million.json"
            write_document(big, MILLION)
            document.unlink()
            url = f"sqlite+aiosqlite:///{Path(folder) / 'million.db'}"
            figures = await _measure(url, big, MILLION, export=False)
            results["sqlite_1m"] = figures
            log(f"  sqlite: import {MILLION:,} in {figures['import_seconds']:.1f} s,"
                f" RSS +{figures['import_rss_growth_mb']} MB (target < 100), reading worker's"
                f" peak RSS {figures.get('import_reader_peak_rss_mb')} MB")  # fmt: skip
    return results
