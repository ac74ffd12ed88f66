"""The floors the redemption figures are read against, measured in the same run.

The machine's speed varies by 2x from day to day, so a redemption rate means little alone;
issue 16's targets are ratios to what PostgreSQL does by itself on the same machine at the
same moment:

- `pgbench_floors`: pgbench, 8 clients, each transaction one conditional counter UPDATE
  (`... SET used = used + 1 WHERE id = :c AND used < cap`, the row lock a cap takes) plus
  one ledger INSERT (a row with an idempotency key under a unique index). Hot: every
  transaction updates the same row; spread: one of `rows` rows at random. Scratch tables
  `bench_floor_counter` / `bench_floor_ledger` in the (copied) redemption database, dropped
  afterwards.
- `http_rate`: req/s and p99 of any GraphQL request from `concurrency` keep-alive
  connections: validateCode beside a one-record read (`node(id:)`) on the same server.
- `sqlite_redeem`: redeemCode on SQLite, one server process (the single-process target).
- `schema_floors`: pgbench making a redemption's writes on the real tables (the code's
  `times_used`, a ledger row, its four usage counters and its change event, in one
  transaction), hot (one code) and spread (the bench's 200 codes), each by the bench's
  customers at random and then all by one: what PostgreSQL itself does with this schema's
  indexes, foreign keys and event trigger. The pgbench floors above
  write a three-index ledger with no foreign key to a shared row and no event; the
  redemption's own writes cost PostgreSQL several times as much, and this floor says how
  much of a figure's distance to those floors is the schema's rather than the service's.
- `backend_cpu`: the CPU PostgreSQL's backends spent, read from /proc (PostgreSQL on this
  machine): a redemption's database work beside a floor transaction's. The two cores are
  shared by the server, PostgreSQL and the client, so a rate is bounded by the sum of their
  CPU per request: a redemption that costs PostgreSQL several times a floor transaction's
  CPU cannot reach the floor's rate by any cut on the server's side alone.
"""

from __future__ import annotations

import asyncio
import glob
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import asyncpg

from benchmarks import load
from benchmarks.database import libpq_url

TABLES = """
DROP TABLE IF EXISTS bench_floor_ledger, bench_floor_counter;
CREATE TABLE bench_floor_counter (id int PRIMARY KEY, used int NOT NULL DEFAULT 0, cap int NOT NULL);
CREATE TABLE bench_floor_ledger (
    id bigserial PRIMARY KEY,
    counter_id int NOT NULL REFERENCES bench_floor_counter (id),
    customer_id int,
    amount int NOT NULL,
    redeemed_at timestamptz NOT NULL DEFAULT now(),
    voided_at timestamptz,
    idempotency_key varchar(128) NOT NULL,
    UNIQUE (counter_id, idempotency_key)
);
CREATE INDEX ON bench_floor_ledger (counter_id, customer_id) WHERE voided_at IS NULL;
"""
DROP = "DROP TABLE IF EXISTS bench_floor_ledger, bench_floor_counter"
SCRIPT = """\\set c {pick}
\\set k random(1, 9000000000000000)
BEGIN;
UPDATE bench_floor_counter SET used = used + 1 WHERE id = :c AND used < cap;
INSERT INTO bench_floor_ledger (counter_id, customer_id, amount, idempotency_key)
    VALUES (:c, 1, 1200, :client_id || '-' || :k);
END;
"""
TPS = re.compile(r"^tps = ([0-9.]+) \(without initial connection time\)", re.MULTILINE)
PROCESSED = re.compile(r"^number of transactions actually processed: ([0-9]+)", re.MULTILINE)
# The client backends of the database (not the one asking), optionally of one application.
BACKENDS = (
    "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
    " AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
    " AND ($1::text IS NULL OR application_name = $1)"
)


def process_cpu_seconds(pid: int) -> float | None:
    """User and system CPU time of process `pid` so far (Linux /proc); None when unreadable
    (gone, or PostgreSQL on another machine)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def backend_cpu(
    connection: asyncpg.Connection, application: str | None = None
) -> dict[int, float]:
    """CPU seconds so far of each client backend of `connection`'s database (of
    `application` only, when given) that /proc shows as a postgres process (a server in a
    container or on another machine has pids that are not this machine's: none counts)."""
    seconds = {
        pid: process_cpu_seconds(pid)
        for (pid,) in await connection.fetch(BACKENDS, application)
        if _is_postgres(pid)
    }
    return {pid: spent for pid, spent in seconds.items() if spent is not None}


def _is_postgres(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip() == "postgres"
    except OSError:
        return False


def cpu_between(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds the backends spent from `before` to `after` (one that connected between
    counts from nothing; one that left between is not counted)."""
    return sum(spent - before.get(pid, 0.0) for pid, spent in after.items())


def find_pgbench(log: Callable[[str], None] = print) -> str | None:
    """pgbench on PATH, in PostgreSQL's bin folder, or installed with postgresql-client."""
    found = shutil.which("pgbench") or next(
        iter(sorted(glob.glob("/usr/lib/postgresql/*/bin/pgbench"), reverse=True)), None
    )
    if found or shutil.which("apt-get") is None or os.geteuid() != 0:
        return found
    log("installing pgbench (apt-get install -y postgresql-client)")
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update"], ["apt-get", "install", "-y", "postgresql-client"]):
        subprocess.run(command, env=env, check=False, **quiet)
    return shutil.which("pgbench")


def _pgbench(
    pgbench: str, database_url: str, pick: str, *, seconds: float, clients: int,
    script: str | None = None,
) -> tuple[float, int]:  # fmt: skip
    """pgbench's tps and the number of transactions it made (`script`: another than the
    counter floor's)."""
    parts = urlsplit(libpq_url(database_url))
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as handle:
        handle.write(SCRIPT.format(pick=pick) if script is None else script)
        script = handle.name
    try:
        command = [
            pgbench, "-n", "-M", "prepared", "-c", str(clients), "-j", str(min(clients, 2)),
            "-T", str(max(1, round(seconds))), "-f", script,
            "-h", parts.hostname or "127.0.0.1", "-p", str(parts.port or 5432),
            "-U", parts.username or "postgres", parts.path.lstrip("/"),
        ]  # fmt: skip
        env = {**os.environ, **({"PGPASSWORD": parts.password} if parts.password else {})}
        done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    finally:
        os.unlink(script)
    match, processed = TPS.search(done.stdout), PROCESSED.search(done.stdout)
    if done.returncode != 0 or match is None or processed is None:
        raise RuntimeError(f"pgbench failed ({done.returncode}): {done.stderr.strip()[-300:]}")
    return float(match.group(1)), int(processed.group(1))


async def _pgbench_with_cpu(
    connection: asyncpg.Connection, pgbench: str, database_url: str, pick: str, *,
    seconds: float, clients: int, script: str | None = None,
) -> tuple[float, float | None]:  # fmt: skip
    """pgbench's tps, and its backends' CPU per transaction in ms (None when /proc does not
    show them). pgbench's connections end with the run, so their CPU is read while it runs,
    every 0.1 s, the last reading of each kept: what a backend spends after it (at most 0.1 s
    of the run's end) is missed."""
    running = asyncio.create_task(asyncio.to_thread(
        _pgbench, pgbench, database_url, pick, seconds=seconds, clients=clients, script=script
    ))  # fmt: skip
    seen: dict[int, float] = {}
    while not running.done():
        seen.update(await backend_cpu(connection, "pgbench"))
        await asyncio.wait({running}, timeout=0.1)
    tps, processed = running.result()
    per_transaction = 1000 * sum(seen.values()) / processed if seen and processed else None
    return tps, per_transaction


async def pgbench_floors(
    database_url: str, *, seconds: float, clients: int = 8, rows: int = 200,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:  # fmt: skip
    """The hot floor (one counter row) and the spread floor (`rows` rows), in tps."""
    pgbench = await asyncio.to_thread(find_pgbench, log)
    if pgbench is None:
        raise RuntimeError("pgbench is not installed and could not be installed")
    connection = await asyncpg.connect(libpq_url(database_url))
    try:
        await connection.execute(TABLES)
        await connection.execute(
            "INSERT INTO bench_floor_counter (id, cap) SELECT g, 2000000000"
            " FROM generate_series(1, $1) AS g", rows
        )  # fmt: skip
        hot, hot_cpu = await _pgbench_with_cpu(
            connection, pgbench, database_url, "1", seconds=seconds, clients=clients
        )
        spread, spread_cpu = await _pgbench_with_cpu(
            connection, pgbench, database_url, f"random(1, {rows})", seconds=seconds,
            clients=clients,
        )  # fmt: skip
    finally:
        await connection.execute(DROP)
        await connection.close()
    log(f"  pgbench floors ({clients} clients, {seconds:g} s each): hot {hot:,.0f} tps,"
        f" spread over {rows} rows {spread:,.0f} tps; PostgreSQL CPU a transaction:"
        f" hot {_ms(hot_cpu)}, spread {_ms(spread_cpu)}")  # fmt: skip
    return {"clients": clients, "spread_rows": rows, "hot_tps": round(hot, 1),
            "spread_tps": round(spread, 1),
            "hot_database_cpu_ms_per_transaction": _rounded(hot_cpu),
            "spread_database_cpu_ms_per_transaction": _rounded(spread_cpu)}  # fmt: skip


SCHEMA_TABLES = """
DROP TABLE IF EXISTS bench_floor_codes, bench_floor_customers;
CREATE TABLE bench_floor_codes (n int PRIMARY KEY, code_id int NOT NULL);
CREATE TABLE bench_floor_customers (n int PRIMARY KEY, customer_id int NOT NULL);
"""
# pgbench reads `:name` as a variable anywhere in a command, in a string too: no colon
# stands before a letter but where a variable is meant.
SCHEMA_SCRIPT = """\\set k {pick}
\\set w {who}
\\set r random(1, 9000000000000000)
BEGIN;
SELECT code_id AS c, (SELECT customer_id FROM bench_floor_customers WHERE n = :w) AS u
    FROM bench_floor_codes WHERE n = :k \\gset
UPDATE discount_code SET times_used = times_used + 1
    WHERE id = :c AND (max_uses IS NULL OR times_used < max_uses);
INSERT INTO redemption (unique_id, created_at, updated_at, updated_by, site_id,
    organisation_id, discount_code_id, customer_id, channel, is_lead_booker, amount,
    currency, line_amounts, redeemed_at, idempotency_key, request_fingerprint)
    VALUES (gen_random_uuid(), now(), now(), 'floor', {site}, {organisation}, :c,
    :u, 'ONLINE', false, 1200, 'GBP', '[1200]', now(),
    'floor-' || :client_id || '-' || :r, repeat('0', 64)) RETURNING id AS redemption \\gset
INSERT INTO usage_counter (owner_type, owner_id, key, uses)
    VALUES ('discount_code', :c, 'total', 1), ('discount_code', :c, 'code:' || :c, 1),
    ('discount_code', :c, 'customer:' || :u, 1),
    ('discount_code', :c, 'code:' || :c || ':' || 'customer:' || :u, 1)
    ON CONFLICT (owner_type, owner_id, key) DO UPDATE SET uses = usage_counter.uses + 1;
INSERT INTO event (id, position, type, site_id, organisation_id, object_type, object_id,
    object_updated_at, payload, occurred_at)
    VALUES (gen_random_uuid(), pg_current_xact_id()::text::bigint, 'redemption.created',
    {site}, {organisation}, 'Redemption', :redemption, now(), repeat('x', 600), now());
END;
"""
# (name, over the many codes or the hot one, by the seeded customers at random or the first
# one): by many, as checkouts redeem; then every transaction by one customer, the worst case
# for the ledger's key to the customer, labelled apart.
SCHEMA_RUNS = (
    ("hot", False, True),
    ("spread", True, True),
    ("one_customer_hot", False, False),
    ("one_customer_spread", True, False),
)


async def schema_floors(
    database_url: str, seeded: dict[str, Any], *, seconds: float, clients: int = 8,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:  # fmt: skip
    """pgbench making a redemption's writes on the real tables (`SCHEMA_SCRIPT`): hot on the
    seeded hot code, spread over its many codes, each by the seeded customers at random and
    then by one (`SCHEMA_RUNS`); tps and PostgreSQL's CPU a transaction.
    The rows it writes are real ledger rows of the bench's site, in the bench's copy of
    the database: run it after the figures that count the ledger."""
    pgbench = await asyncio.to_thread(find_pgbench, log)
    if pgbench is None:
        raise RuntimeError("pgbench is not installed and could not be installed")
    codes = [seeded["hot_id"], *seeded["many_ids"]]
    people = seeded["customer_ids"]
    values = {key: seeded[f"{key}_id"] for key in ("site", "organisation")}
    connection = await asyncpg.connect(libpq_url(database_url))
    try:
        await connection.execute(SCHEMA_TABLES)
        await connection.executemany(
            "INSERT INTO bench_floor_codes (n, code_id) VALUES ($1, $2)", list(enumerate(codes))
        )
        await connection.executemany(
            "INSERT INTO bench_floor_customers (n, customer_id) VALUES ($1, $2)",
            list(enumerate(people)),
        )  # fmt: skip
        figures: dict[str, Any] = {"customers": len(people)}
        for name, many_codes, many_customers in SCHEMA_RUNS:
            pick = f"random(1, {len(codes) - 1})" if many_codes else "0"
            whom = f"random(0, {len(people) - 1})" if many_customers else "0"
            tps, cpu = await _pgbench_with_cpu(
                connection, pgbench, database_url, pick, seconds=seconds, clients=clients,
                script=SCHEMA_SCRIPT.format(pick=pick, who=whom, **values),
            )  # fmt: skip
            figures[f"{name}_tps"] = round(tps, 1)
            figures[f"{name}_database_cpu_ms_per_transaction"] = _rounded(cpu)
    finally:
        await connection.execute("DROP TABLE IF EXISTS bench_floor_codes, bench_floor_customers")
        await connection.close()
    log(f"  schema floors (a redemption's writes on the real tables, pgbench, {clients}"
        f" clients, by {len(people):,} customers): hot {figures['hot_tps']:,.0f} tps, spread"
        f" {figures['spread_tps']:,.0f} tps; PostgreSQL CPU a transaction: hot"
        f" {_ms(figures['hot_database_cpu_ms_per_transaction'])}, spread"
        f" {_ms(figures['spread_database_cpu_ms_per_transaction'])}")  # fmt: skip
    log(f"  schema floors by one customer: hot {figures['one_customer_hot_tps']:,.0f} tps,"
        f" spread {figures['one_customer_spread_tps']:,.0f} tps; PostgreSQL CPU a"
        f" transaction: hot {_ms(figures['one_customer_hot_database_cpu_ms_per_transaction'])},"
        f" spread {_ms(figures['one_customer_spread_database_cpu_ms_per_transaction'])}")  # fmt: skip
    return figures


def _rounded(ms: float | None) -> float | None:
    return None if ms is None else round(ms, 3)


def _ms(ms: float | None) -> str:
    return "unknown" if ms is None else f"{ms:.2f} ms"


async def http_rate(
    url: str, headers: dict[str, str], body: Callable[[int], dict[str, Any]], *,
    requests: int, concurrency: int, expect: str,
) -> dict[str, Any]:  # fmt: skip
    """Sends `requests` GraphQL requests (`body(index)`, each once: `load.send_bodies`) from
    `concurrency` connections; an answer of outcome `expect` ("valid": `"valid":true`,
    "found": a field that is not null) counts as answered, any other as failed."""
    bodies = [body(index) for index in range(requests)]
    answers = await load.send_bodies(url, headers, bodies, concurrency=concurrency)
    answered = answers.outcomes[expect]
    return {
        "client": answers.tool,
        "requests": requests,
        "seconds": round(answers.seconds, 3),
        "requests_per_second": round(answered / answers.seconds, 1),
        "p50_ms": round(answers.p50_ms, 2),
        "p99_ms": round(answers.p99_ms, 2),
        "mean_ms": round(answers.mean_ms, 2),
        "failed": requests - answered,
    }


VALIDATE = (
    "query Validate($input: ValidateCodeInput!) "
    "{ validateCode(input: $input) { valid reason discountTotal } }"
)
NODE = "query One($id: ID!) { node(id: $id) { id ... on DiscountCode { code } } }"


async def validate_beside_read(
    url: str, headers: dict[str, str], seeded: dict[str, Any], *, requests: int,
    concurrency: int,
) -> dict[str, Any]:  # fmt: skip
    """validateCode over the many codes, then the same number of one-record reads of those
    codes by global id, on the same server one after the other."""
    codes, ids = seeded["many"], seeded["code_ids"]
    line = {"category": "BOOKING", "itemId": "room", "quantity": 1, "unitPrice": 12_000}

    def validate(index: int) -> dict[str, Any]:
        return {"query": VALIDATE, "variables": {"input": {
            "code": codes[index % len(codes)], "siteId": seeded["site"],
            "customerId": seeded["customer"], "currency": "GBP", "lines": [line],
        }}}  # fmt: skip

    def read(index: int) -> dict[str, Any]:
        return {"query": NODE, "variables": {"id": ids[index % len(ids)]}}

    checked = await http_rate(
        url, headers, validate, requests=requests, concurrency=concurrency,
        expect="valid",
    )  # fmt: skip
    one = await http_rate(
        url, headers, read, requests=requests, concurrency=concurrency,
        expect="found",
    )  # fmt: skip
    return {"validate_code": checked, "one_record_read": one}


def ratio(value: float, floor: float) -> float | None:
    return round(value / floor, 3) if floor else None


async def sqlite_redeem(
    measure: Callable[[str], Any], log: Callable[[str], None] = print
) -> dict[str, Any]:
    """`measure(database_url)` on a scratch SQLite file (seeded, served and loaded by the
    caller's own functions), removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="bench-redeem-") as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'redeem.db'}"
        log("  SQLite, one process: redeemCode over many codes")
        return await measure(url)  # type: ignore[no-any-return]
