"""Redemptions per second on PostgreSQL: one hot code, and many codes, with p50 / p99 latency.

`run(database_url)` adds its own organisation, site, customers and codes to the database (it
never touches other rows), serves the app with one uvicorn worker (`run_api.serve`, production
mode, an administrator token), and sends a bounded number of `redeemCode` mutations from
`concurrency` keep-alive connections on 127.0.0.1, each with its own idempotency key:

- hot code: every request redeems the same discount code, so every one of them queues on that
  code's row lock; this measures how fast one code can be redeemed (a flash sale);
- many codes: requests go round-robin over `codes` discount codes, so the locks rarely meet;
  this measures the engine without lock contention.

Both are made twice (hot by many, hot by one, many codes by one, many codes by many). As
checkouts make them, each request by one of `customers` (1,000) customers in turn: the
figures read against the targets. And every request by the same one customer, labelled so
(`one_customer`): the worst case for the ledger's key to the customer, whose row every
concurrent redemption then locks FOR KEY SHARE (a MultiXact of the lockers nearly every
time, docs/performance.md), printed beside so that nothing is hidden.

- history: `redeemCode` and `validateCode` on a fresh code, then on a code with
  `HISTORY` (1,000,000) earlier redemptions by the same customer, seeded by SQL; the ratio
  says whether a check's cost depends on the ledger's length (it should not: caps are read
  from usage counters, never counted).

Every code has a cap (far above the number of requests), so every redemption checks it as
production would. Then validateCode beside a one-record read, pgbench's hot and spread floors
and SQLite's one-process redeem rate (`benchmarks.floors`): issue 16's targets are ratios to
those, measured in the same run. Then a hidden code's time against a missing one's
(`benchmarks.even_cost`). The figures include the client's share of the CPU when client and server
share a machine.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import asyncpg
import sqlalchemy as sa

from app.db import tables as t
from app.db import usage_counters
from app.db.engine import create_engine
from app.db.migrate import upgrade
from app.db.session import write_sessions
from app.domain.enums import DiscountKind
from app.graphql.ids import to_global_id
from app.settings import Settings
from benchmarks import even_cost, floors, load
from benchmarks.database import libpq_url
from benchmarks.run_api import serve

REDEEM = (
    "mutation Redeem($input: RedeemCodeInput!) "
    "{ redeemCode(input: $input) { valid reason userErrors { code } } }"
)
VALIDATE = (
    "query Validate($input: ValidateCodeInput!) { validateCode(input: $input) { valid reason } }"
)
WARMUP = 50
HISTORY = 1_000_000
CUSTOMERS = 1000


async def seed_site(
    database_url: str, codes: int, cap: int, *, customers: int = 1
) -> dict[str, Any]:
    """A site of its own with one hot code and `codes` others, and `customers` customers:
    the site's and customers' global ids (`customer` is the first), the codes' names and the
    others' global ids (the soak reads them too)."""
    engine = create_engine(Settings(database_url=database_url))
    stamp = uuid.uuid4().hex[:8].upper()
    try:
        await upgrade(engine)
        async with write_sessions(engine)() as session, session.begin():
            organisation = t.Organisation(name=f"Redemption bench {stamp}")
            session.add(organisation)
            await session.flush()
            site = t.Site(
                organisation_id=organisation.id, name="Bench", currency="GBP",
                time_zone="Europe/London",
            )  # fmt: skip
            people = [
                t.Customer(organisation_id=organisation.id, full_name=f"Bench Customer {n}")
                for n in range(max(1, customers))
            ]
            session.add_all([site, *people])
            await session.flush()
            customer = people[0]
            names = [
                f"HOT-{stamp}",
                f"FRESH-{stamp}",
                f"HISTORY-{stamp}",
                *(f"MANY-{stamp}-{i}" for i in range(codes)),
            ]
            rows = [
                t.DiscountCode(
                    site_id=site.id,
                    organisation_id=organisation.id,
                    code=name,
                    kind=DiscountKind.PERCENTAGE,
                    percentage_bp=1000,
                    max_uses=cap,
                )  # fmt: skip
                for name in names
            ]
            session.add_all(rows)
            await session.flush()
        return {
            "site": to_global_id("Site", site.id),
            "customer": to_global_id("Customer", customer.id),
            "customers": [to_global_id("Customer", person.id) for person in people],
            "hot": names[0],
            "fresh": names[1],
            "history": names[2],
            "many": names[3:],
            "code_ids": [to_global_id("DiscountCode", row.id) for row in rows[3:]],
            "site_id": site.id,
            "organisation_id": organisation.id,
            "customer_id": customer.id,
            "customer_ids": [person.id for person in people],
            "history_code_id": rows[2].id,
            "hot_id": rows[0].id,
            "many_ids": [row.id for row in rows[3:]],
        }
    finally:
        await engine.dispose()


async def seed_history(database_url: str, seeded: dict[str, Any], count: int) -> float:
    """`count` earlier redemptions of the history code by the bench customer, one a minute
    back from now, written by one INSERT ... SELECT; the seconds it took."""
    engine = create_engine(Settings(database_url=database_url))
    began = time.perf_counter()
    try:
        async with write_sessions(engine)() as session, session.begin():
            await session.execute(
                sa.text(
                    "INSERT INTO redemption (unique_id, created_at, updated_at, updated_by,"
                    " site_id, organisation_id, discount_code_id, customer_id, channel,"
                    " is_lead_booker, amount, currency, line_amounts, redeemed_at,"
                    " idempotency_key, request_fingerprint)"
                    " SELECT gen_random_uuid(), now(), now(), 'bench', :site, :organisation,"
                    " :code, :customer, 'ONLINE', false, 1200, 'GBP', '[1200]',"
                    " now() - g * interval '1 minute', 'history-' || g, repeat('0', 64)"
                    " FROM generate_series(1, :count) AS g"
                ),
                {
                    "site": seeded["site_id"], "organisation": seeded["organisation_id"],
                    "code": seeded["history_code_id"], "customer": seeded["customer_id"],
                    "count": count,
                },
            )  # fmt: skip
            await _count_history(session, seeded)
        # As autovacuum would, in its own time: otherwise it runs during the measurements,
        # and a bulk insert's leftovers are billed to the code with history.
        async with engine.connect() as connection:
            connection = await connection.execution_options(isolation_level="AUTOCOMMIT")
            await connection.execute(sa.text("VACUUM (ANALYZE) redemption, usage_counter"))
    finally:
        await engine.dispose()
    return time.perf_counter() - began


async def _count_history(session: Any, seeded: dict[str, Any]) -> None:
    """Brings the code's usage counters and times_used up to its ledger: the recount that
    scripts/check-ledger --fix runs."""
    await usage_counters.recount(session, [("discount_code_id", seeded["history_code_id"])])


async def _ledger_count(database_url: str, site_id: int) -> int:
    engine = create_engine(Settings(database_url=database_url))
    table: Any = t.Redemption.__table__
    try:
        async with engine.connect() as connection:
            statement = sa.select(sa.func.count()).where(table.c.site_id == site_id)
            return int((await connection.execute(statement)).scalar_one())
    finally:
        await engine.dispose()


def server_cpu_seconds(pid: int) -> float:
    """User and system CPU time of process `pid` so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_queue_seconds(pid: int) -> float:
    """Seconds the threads of process `pid` have spent ready to run but waiting for a CPU
    (Linux /proc/<pid>/task/*/schedstat): how much of a run the server was starved by the
    other processes on the machine, rather than idle."""
    waited = 0
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            waited += int((task / "schedstat").read_text().split()[1])
        except (OSError, IndexError, ValueError):
            continue
    return waited / 1e9


def percentile(sorted_values: list[float], fraction: float) -> float:
    index = min(len(sorted_values) - 1, max(0, round(fraction * len(sorted_values)) - 1))
    return sorted_values[index]


async def _load(
    url: str,
    headers: dict[str, str],
    inputs: Callable[[int], dict[str, Any]],
    requests: int,
    concurrency: int,
    query: str = REDEEM,
    *,
    pid: int | None = None,
    database_url: str | None = None,
) -> dict[str, Any]:
    """Sends `requests` redemptions (or checks, with `query` VALIDATE) from `concurrency`
    connections, each body once (`load.send_bodies`: wrk, else httpx); timings and outcomes,
    and with the server's `pid` its CPU time per request (steadier than the rates when the
    machine's load varies) and the share of the run it spent waiting for a CPU while ready
    to run; with the PostgreSQL `database_url` the CPU its backends spent per request."""
    bodies = [{"query": query, "variables": {"input": inputs(i)}} for i in range(requests)]
    cpu_before = None if pid is None else server_cpu_seconds(pid)
    waited_before = None if pid is None else run_queue_seconds(pid)
    watcher = None if database_url is None else await asyncpg.connect(libpq_url(database_url))
    backends_before = None if watcher is None else await floors.backend_cpu(watcher)
    answers = await load.send_bodies(url, headers, bodies, concurrency=concurrency)
    cpu = {}
    if pid is not None and cpu_before is not None:
        spent = server_cpu_seconds(pid) - cpu_before
        cpu["server_cpu_ms_per_request"] = round(spent * 1000 / requests, 2)
    if pid is not None and waited_before is not None and answers.seconds:
        waited = run_queue_seconds(pid) - waited_before
        cpu["server_waiting_for_cpu"] = round(waited / answers.seconds, 3)
    if watcher is not None and backends_before is not None:
        try:
            after = await floors.backend_cpu(watcher)
        finally:
            await watcher.close()
        if after:
            spent = floors.cpu_between(backends_before, after)
            cpu["database_cpu_ms_per_request"] = round(spent * 1000 / requests, 2)
    # Neither "valid": true nor false (a GraphQL error, userErrors, a bad status): an error.
    redeemed, refused = answers.outcomes["valid"], answers.outcomes["invalid"]
    outcomes = {"redeemed": redeemed, "refused": refused, "errors": requests - redeemed - refused}
    seconds = answers.seconds
    return {
        **cpu,
        "client": answers.tool,
        "requests": requests,
        "seconds": round(seconds, 3),
        "redemptions_per_second": round(redeemed / seconds, 1),
        "requests_per_second": round(requests / seconds, 1),
        "p50_ms": round(answers.p50_ms, 2),
        "p99_ms": round(answers.p99_ms, 2),
        "mean_ms": round(answers.mean_ms, 2),
        **outcomes,
    }


def _merged(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Rounds of one code as one figure per operation: requests and seconds summed, means
    and percentiles averaged over the rounds."""
    merged: dict[str, Any] = {}
    for operation in ("validate", "redeem"):
        figures = [run[operation] for run in runs]
        summed = {key: sum(f[key] for f in figures) for key in
                  ("requests", "redeemed", "refused", "errors")}  # fmt: skip
        seconds = sum(f["seconds"] for f in figures)
        merged[operation] = {
            **summed,
            "seconds": round(seconds, 3),
            "requests_per_second": round(summed["requests"] / seconds, 1),
            **{key: round(statistics.fmean(f[key] for f in figures), 2)
               for key in ("p50_ms", "p99_ms", "mean_ms")},
        }  # fmt: skip
    return merged


async def run(
    database_url: str,
    *,
    quick: bool = False,
    concurrency: int = 8,
    requests: int | None = None,
    history_requests: int | None = None,
    history: int = HISTORY,
    codes: int = 200,
    customers: int = CUSTOMERS,
    duration: float = 10.0,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Seeds, serves, measures the hot code and many codes (by `customers` customers, then
    by one), a fresh code against one with `history` earlier redemptions, validateCode
    beside a one-record read, then the pgbench floors and SQLite; returns the figures with
    ratios."""
    total = requests or (300 if quick else 2000)
    checks = history_requests or (100 if quick else 400)
    seeded = await seed_site(
        database_url, codes, cap=10 * (2 * total + WARMUP + checks) + history,
        customers=customers,
    )  # fmt: skip
    run_id = uuid.uuid4().hex[:8]
    people = seeded["customers"]

    def attempt(code: str, key: str | None, customer: str | None = None) -> dict[str, Any]:
        line = {"category": "BOOKING", "itemId": "room", "quantity": 1, "unitPrice": 12_000}
        values = {
            "code": code, "siteId": seeded["site"],
            "customerId": customer or seeded["customer"], "currency": "GBP", "lines": [line],
        }  # fmt: skip
        if key is not None:
            values["idempotencyKey"] = f"{run_id}-{key}"
        return values

    def compare(fresh: dict[str, Any], old: dict[str, Any]) -> dict[str, Any]:
        return {
            "fresh": fresh, "history": old,
            # Above 1: the code with history is slower by that factor (mean latency).
            "ratio": round(old["mean_ms"] / fresh["mean_ms"], 3),
        }  # fmt: skip

    log(f"redemptions: seeding {history:,} earlier redemptions of one code")
    seeded_in = await seed_history(database_url, seeded, history)
    log(f"redemptions: seeded in {seeded_in:.1f} s")

    with tempfile.TemporaryDirectory() as logs:
        server = await asyncio.to_thread(serve, database_url, Path(logs))
        try:
            log(f"redemptions: {total} per scenario, {concurrency} connections"
                f" ({'wrk' if load.wrk_binary() else 'httpx: no wrk, or BENCH_NO_WRK set'}),"
                f" by {len(people):,} customers in turn, then by one")  # fmt: skip
            hot, many = seeded["hot"], seeded["many"]
            warm = (server.url, server.headers, lambda i: attempt(hot, f"w{i}"), WARMUP)
            await _load(*warm, concurrency)
            pid = server.process.pid

            async def scenario(
                tag: str, code: Callable[[int], str], customer: Callable[[int], str | None]
            ) -> dict[str, Any]:
                return await _load(
                    server.url, server.headers,
                    lambda i: attempt(code(i), f"{tag}{i}", customer(i)), total, concurrency,
                    pid=pid, database_url=database_url,
                )  # fmt: skip

            def anyone(i: int) -> str:
                return people[i % len(people)]

            def the_one(i: int) -> None:
                return None

            def spread(i: int) -> str:
                return many[i % len(many)]

            # A B B A: the first run after the warm-up, and a change in the machine's load,
            # weigh on both spellings alike.
            hot_figures = await scenario("h", lambda i: hot, anyone)
            one_hot = await scenario("h1-", lambda i: hot, the_one)
            one_many = await scenario("m1-", spread, the_one)
            many_figures = await scenario("m", spread, anyone)
            # A B A B: a change in the machine's load weighs on both codes alike.
            rounds: dict[str, list[dict[str, Any]]] = {"fresh": [], "history": []}
            for turn in range(2):
                for name in rounds:
                    code, tag = seeded[name], f"{name}{turn}"
                    await _load(server.url, server.headers, lambda i, code=code, tag=tag: attempt(code, f"{tag}w{i}"),
                                10, concurrency)  # fmt: skip
                    rounds[name].append({
                        "validate": await _load(
                            server.url, server.headers, lambda i, code=code: attempt(code, None), checks,
                            concurrency, VALIDATE,
                        ),
                        "redeem": await _load(
                            server.url, server.headers, lambda i, code=code, tag=tag: attempt(code, f"{tag}-{i}"),
                            checks, concurrency,
                        ),
                    })  # fmt: skip
            scenarios = {name: _merged(runs) for name, runs in rounds.items()}
            reads = await floors.validate_beside_read(
                server.url, server.headers, seeded, requests=total, concurrency=concurrency
            )
        finally:
            await asyncio.to_thread(server.stop)
    recorded = await _ledger_count(database_url, seeded["site_id"])
    # After the ledger's count: its own redemptions of a live code are not the scenarios'.
    even = await even_cost.run(database_url, seeded, rounds=20 if quick else 60, log=log)
    measured = (hot_figures, many_figures, one_hot, one_many)
    expected = (
        WARMUP
        + sum(figures["redeemed"] for figures in measured)
        + history
        + sum(10 + figures["redeem"]["redeemed"] for runs in rounds.values() for figures in runs)
    )
    figures = {
        "server": "uvicorn, 1 worker, production mode",
        "concurrency": concurrency,
        "customers": len(people),
        "hot_code": hot_figures,
        "many_codes": {"codes": codes, **many_figures},
        # The same requests all by one customer: the ledger's key to the customer at its worst.
        "one_customer": {"hot_code": one_hot, "many_codes": {"codes": codes, **one_many}},
        "history": {
            "earlier_redemptions": history,
            "seeded_seconds": round(seeded_in, 1),
            "validate": compare(scenarios["fresh"]["validate"], scenarios["history"]["validate"]),
            "redeem": compare(scenarios["fresh"]["redeem"], scenarios["history"]["redeem"]),
        },
        # Every answered redemption is a ledger row, and no other: the run was exact.
        "ledger_rows_match": recorded == expected,
        "even_cost": even,
    }
    return await _against_floors(
        figures, reads, database_url, duration=duration, codes=codes,
        concurrency=concurrency, log=log, seeded=seeded,
    )  # fmt: skip


async def _sqlite_many_codes(
    database_url: str, *, total: int, concurrency: int, codes: int, root: Path | None = None
) -> dict[str, Any]:
    """redeemCode over many codes on a SQLite file, one server process (from `root`,
    another checkout with its own .venv, when given)."""
    seeded = await seed_site(database_url, codes, cap=10 * (total + WARMUP))
    run_id = uuid.uuid4().hex[:8]
    many = seeded["many"]

    def attempt(index: int, key: str) -> dict[str, Any]:
        line = {"category": "BOOKING", "itemId": "room", "quantity": 1, "unitPrice": 12_000}
        return {
            "code": many[index % len(many)], "siteId": seeded["site"],
            "customerId": seeded["customer"], "currency": "GBP", "lines": [line],
            "idempotencyKey": f"{run_id}-{key}{index}",
        }  # fmt: skip

    with tempfile.TemporaryDirectory() as logs:
        where = {} if root is None else {"root": root}
        server = await asyncio.to_thread(serve, database_url, Path(logs), **where)
        try:
            await _load(server.url, server.headers, lambda i: attempt(i, "w"), WARMUP,
                        concurrency)  # fmt: skip
            return await _load(server.url, server.headers, lambda i: attempt(i, "m"), total,
                               concurrency, pid=server.process.pid)  # fmt: skip
        finally:
            await asyncio.to_thread(server.stop)


def _cpu_line(figures: dict[str, Any], floor_ms: float | None) -> str:
    """Where a redemption's CPU went, beside the floor transaction's database CPU: the
    machine's cores bound the rate by their sum, not by the server's alone."""
    ours = figures.get("database_cpu_ms_per_request")
    line = (
        f"server CPU {figures.get('server_cpu_ms_per_request')} ms a request (waiting for a"
        f" CPU {figures.get('server_waiting_for_cpu', 0):.0%} of the run), PostgreSQL CPU"
        f" {ours} ms a request"
    )
    if ours and floor_ms:
        line += f" = {ours / floor_ms:.1f}x the floor transaction's {floor_ms:.2f} ms"
    return line


async def _against_floors(
    figures: dict[str, Any], reads: dict[str, Any], database_url: str, *,
    duration: float, codes: int, concurrency: int, log: Callable[[str], None],
    seeded: dict[str, Any],
) -> dict[str, Any]:  # fmt: skip
    """Issue 16's figures beside the floors measured now: pgbench hot and spread, a
    one-record read for validateCode, and SQLite's redeem rate (a target of its own); and
    beside the schema floors (a redemption's own writes sent by pgbench), labelled apart:
    the targets are read against the pgbench floors."""
    floor = await floors.pgbench_floors(
        database_url, seconds=duration, clients=concurrency, rows=codes, log=log
    )
    schema = await floors.schema_floors(
        database_url, seeded, seconds=duration, clients=concurrency, log=log
    )
    total = figures["hot_code"]["requests"]
    sqlite = await floors.sqlite_redeem(
        lambda url: _sqlite_many_codes(url, total=total, concurrency=concurrency, codes=codes),
        log,
    )  # fmt: skip
    alone = figures["one_customer"]
    # Each reading against the floors, and against the schema floor made by as many customers.
    for prefix, readings in (("", figures), ("one_customer_", alone)):
        for name, floor_name in (("hot_code", "hot"), ("many_codes", "spread")):
            reading, rate = readings[name], readings[name]["redemptions_per_second"]
            reading["floor_ratio"] = floors.ratio(rate, floor[f"{floor_name}_tps"])
            reading["schema_floor_ratio"] = floors.ratio(rate, schema[f"{prefix}{floor_name}_tps"])
    hot, many = figures["hot_code"], figures["many_codes"]
    check, one = reads["validate_code"], reads["one_record_read"]
    check["read_ratio"] = floors.ratio(check["requests_per_second"], one["requests_per_second"])
    log(
        f"  redeem by {figures['customers']:,} customers in turn, as checkouts do (the"
        f" targets' reading):"
    )
    log(f"  redeem, one hot code: {hot['redemptions_per_second']:,.0f}/s, p99"
        f" {hot['p99_ms']:.0f} ms = {hot['floor_ratio']:.1%} of the hot floor"
        f" ({floor['hot_tps']:,.0f} tps; target >= 40 %, p99 <= 60 ms);"
        f" {_cpu_line(hot, floor['hot_database_cpu_ms_per_transaction'])}")  # fmt: skip
    log(f"  redeem, {codes} codes: {many['redemptions_per_second']:,.0f}/s, p99"
        f" {many['p99_ms']:.0f} ms = {many['floor_ratio']:.1%} of the spread floor"
        f" ({floor['spread_tps']:,.0f} tps; target >= 25 %, p99 <= 40 ms);"
        f" {_cpu_line(many, floor['spread_database_cpu_ms_per_transaction'])}")  # fmt: skip
    log(f"  beside the schema floors (not the targets' floors): one hot code"
        f" {hot['schema_floor_ratio']:.1%} of {schema['hot_tps']:,.0f} tps, {codes} codes"
        f" {many['schema_floor_ratio']:.1%} of {schema['spread_tps']:,.0f} tps")  # fmt: skip
    hot, many = alone["hot_code"], alone["many_codes"]
    log(f"  the same by ONE customer (the customer key's worst case): one hot code"
        f" {hot['redemptions_per_second']:,.0f}/s, p99 {hot['p99_ms']:.0f} ms ="
        f" {hot['floor_ratio']:.1%} of the hot floor, {hot['schema_floor_ratio']:.1%} of the"
        f" one-customer schema floor; PostgreSQL CPU {hot.get('database_cpu_ms_per_request')}"
        f" ms a request")  # fmt: skip
    log(f"  the same by ONE customer: {codes} codes {many['redemptions_per_second']:,.0f}/s,"
        f" p99 {many['p99_ms']:.0f} ms = {many['floor_ratio']:.1%} of the spread floor,"
        f" {many['schema_floor_ratio']:.1%} of the one-customer schema floor; PostgreSQL CPU"
        f" {many.get('database_cpu_ms_per_request')} ms a request")  # fmt: skip
    log(f"  validateCode: {check['requests_per_second']:,.0f}/s (p99 {check['p99_ms']:.0f} ms)"
        f" = {check['read_ratio']:.1%} of a one-record read ({one['requests_per_second']:,.0f}/s;"
        f" target >= 1,500/s and >= 75 %)")  # fmt: skip
    log(f"  SQLite, one process: redeem {sqlite['redemptions_per_second']:,.0f}/s, p99"
        f" {sqlite['p99_ms']:.0f} ms (target >= 300/s); server CPU"
        f" {sqlite.get('server_cpu_ms_per_request')} ms a request")  # fmt: skip
    return {**figures, **reads, "floors": floor, "schema_floors": schema,
            "sqlite_many_codes": sqlite}  # fmt: skip


async def sqlite_alone(
    *, total: int = 2000, concurrency: int = 8, codes: int = 200, rounds: int = 1,
    against: Path | None = None, log: Callable[[str], None] = print,
) -> list[dict[str, Any]]:  # fmt: skip
    """Only the SQLite figure of this section, each round on a fresh file; with `against`
    (another checkout), that checkout's server and ours alternated in each round (A B)."""
    sides: list[tuple[str, Path | None]] = [("ours", None)]
    if against is not None:
        sides.append(("against", against))
    figures = []
    for turn in range(rounds):
        for name, root in sides:
            figure = await floors.sqlite_redeem(
                lambda url, root=root: _sqlite_many_codes(
                    url, total=total, concurrency=concurrency, codes=codes, root=root
                ),
                log,
            )  # fmt: skip
            log(f"  round {turn + 1} {name}: {figure['redemptions_per_second']:,.0f}/s, p99"
                f" {figure['p99_ms']:.0f} ms, server CPU"
                f" {figure.get('server_cpu_ms_per_request')} ms a request")  # fmt: skip
            figures.append({"round": turn + 1, "side": name, **figure})
    return figures


if __name__ == "__main__":
    # PYTHONPATH=.:scripts .venv/bin/python -m benchmarks.redemptions --sqlite-alone
    #   [--against /work/wt/base] [--rounds 3]: SQLite's redeem rate without the rest.
    import argparse

    parser = argparse.ArgumentParser(description="SQLite's one-process redeem rate alone")
    parser.add_argument("--sqlite-alone", action="store_true", required=True)
    parser.add_argument("--against", type=Path, help="another checkout, alternated with ours")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=8)
    arguments = parser.parse_args()
    asyncio.run(sqlite_alone(
        total=arguments.requests, concurrency=arguments.concurrency, rounds=arguments.rounds,
        against=arguments.against,
    ))  # fmt: skip
