"""The big list in-process: the plan executor, graphql-core's executor, and the raw-SQL floor.

`run(database_url=...)` makes a scratch database next to the one named (a temporary SQLite
file when none is given or it is SQLite; a new PostgreSQL database, dropped afterwards,
otherwise: the bench database is never touched), seeds 100 coupons x 10 codes with
`app.demo.seed_scale`, and times one request of the big list (every scalar field of the
coupons and of their codes, `first: 100` / `first: 10`):
- `plan` / `standard`: `schema.execute` with a fresh request context, as the endpoint runs it
  (strawberry's whole lifecycle: caches, limits, loaders), plus `orjson.dumps` of the result;
  the plan executor's reads prepared as the fast path's app sends them
  (`app.fast.prepared_reads`: compiled once, sent to asyncpg), the standard executor's
  through SQLAlchemy as the plain app's;
- `plan_fragments` / `plan_relay`: the plan executor on the same records spelled as client
  code writes them (a fragment per component; Relay's edges, cursors and page info), each
  checked first against the standard executor's answer to the same document;
- `floor`: the same JSON built from two SQL statements sent through the database driver
  (coupons; their first codes, by window function) with orjson: what no GraphQL layer beats.
The three JSON documents are compared first (the floor must be the same JSON, or its figure
means nothing). Rounds alternate the three so that a busy machine slows them alike; the
figure is the median over rounds of each round's mean, in milliseconds, with CPU time too.

Run alone: `.venv/bin/python scripts/benchmarks/executor.py [DATABASE_URL]`.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # run as a script: the repo on the path
    sys.path.insert(0, str(ROOT))

COUPONS = 100
CODES_PER_COUPON = 10
RECORD = "id uniqueId createdAt updatedAt updatedBy deletedAt externalId"
COUPON_FIELDS = f"{RECORD} name description timesUsed"
CODE_FIELDS = f"{RECORD} code validFrom validTo multiUse customerCreditId revenue timesUsed"
BIG_LIST = f"""query BigList {{
  coupons(first: {COUPONS}) {{ nodes {{ {COUPON_FIELDS}
    codes(first: {CODES_PER_COUPON}) {{ nodes {{ {CODE_FIELDS} }} }} }} }}
}}"""
# The same records as client code asks for them (issue 18): a fragment per component, and
# Relay's edges with cursors and page info.
BIG_LIST_FRAGMENTS = f"""query BigListFragments {{
  coupons(first: {COUPONS}) {{ nodes {{ ...CouponCard }} }}
}}
fragment CouponCard on Coupon {{ ...Audit name description timesUsed
  codes(first: {CODES_PER_COUPON}) {{ nodes {{ ...CodeRow }} }} }}
fragment CodeRow on CouponCode {{ ...Audit code validFrom validTo multiUse customerCreditId
  revenue timesUsed }}
fragment Audit on Record {{ {RECORD} }}"""
BIG_LIST_RELAY = f"""query BigListRelay {{
  coupons(first: {COUPONS}) {{ edges {{ cursor node {{ ...CouponCard }} }}
    pageInfo {{ endCursor hasNextPage }} }}
}}
fragment CouponCard on Coupon {{ {COUPON_FIELDS}
  codes(first: {CODES_PER_COUPON}) {{ edges {{ cursor node {{ ...CodeRow }} }}
    pageInfo {{ endCursor hasNextPage }} }} }}
fragment CodeRow on CouponCode {{ {CODE_FIELDS} }}"""
SPELLINGS = {"plan_fragments": BIG_LIST_FRAGMENTS, "plan_relay": BIG_LIST_RELAY}

# API field -> column, for the floor's JSON.
_COLUMNS = {
    "uniqueId": "unique_id", "createdAt": "created_at", "updatedAt": "updated_at",
    "updatedBy": "updated_by", "deletedAt": "deleted_at", "externalId": "external_id",
    "timesUsed": "times_used", "validFrom": "valid_from", "validTo": "valid_to",
    "multiUse": "multi_use", "customerCreditId": "customer_credit_id",
}  # fmt: skip


def _column(field: str) -> str:
    return _COLUMNS.get(field, field)


async def run(
    database_url: str | None = None,
    *,
    quick: bool = False,
    rounds: int | None = None,
    per_round: int | None = None,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    rounds = rounds or (3 if quick else 9)
    per_round = per_round or (5 if quick else 10)
    if database_url and database_url.startswith("postgresql"):
        async with _scratch_postgres(database_url) as url:
            return await _measure(url, rounds, per_round, log)
    with tempfile.TemporaryDirectory(prefix="bench-executor-") as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'executor.db'}"
        return await _measure(url, rounds, per_round, log)


class _scratch_postgres:
    def __init__(self, url: str) -> None:
        from sqlalchemy.engine import make_url

        self.base = make_url(url)
        self.name = f"discounts_bench_executor_{uuid.uuid4().hex[:8]}"

    async def __aenter__(self) -> str:
        import asyncpg

        server = self.base.set(drivername="postgresql", database="postgres")
        self.admin = await asyncpg.connect(server.render_as_string(hide_password=False))
        await self.admin.execute(f'CREATE DATABASE "{self.name}"')
        return self.base.set(database=self.name).render_as_string(hide_password=False)

    async def __aexit__(self, *_exc: object) -> None:
        try:
            await self.admin.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        finally:
            await self.admin.close()


async def _measure(
    url: str, rounds: int, per_round: int, log: Callable[[str], None]
) -> dict[str, Any]:
    import sqlalchemy as sa

    from app.auth.principal import Principal
    from app.db.engine import create_engine
    from app.db.migrate import upgrade
    from app.db.session import RequestDatabase
    from app.demo import seed_scale
    from app.fast import fast_schema
    from app.fast.executor import PlanExecutionContext
    from app.fast.prepared_reads import request_database
    from app.graphql.context import Context
    from app.graphql.schema import build_schema
    from app.runtime import tune_garbage_collector
    from app.services import Services
    from app.settings import Settings

    settings = Settings(database_url=url, jwt_secret="x" * 48, migrate_on_start=False)
    engine = create_engine(settings)
    try:
        await upgrade(engine)
        # A few more than asked: seed_scale soft-deletes some rows, the list hides them.
        await seed_scale(
            engine, codes=(COUPONS + 10) * CODES_PER_COUPON, coupons=COUPONS + 10,
            codes_per_coupon=CODES_PER_COUPON, progress=False,
        )  # fmt: skip
        if engine.dialect.name == "postgresql":
            # Statistics, as autovacuum would soon gather them: without any, PostgreSQL reads a
            # coupon's codes through the soft-deletion index (every code, for each coupon).
            async with engine.connect() as connection:
                await connection.execute(sa.text("ANALYZE"))
                await connection.commit()
        services = Services(engine)
        principal = Principal.administrator("bench@example.com")

        def request(
            schema: Any, document: str = BIG_LIST, *, fast: bool = True
        ) -> Callable[[], Awaitable[bytes]]:
            async def one() -> bytes:
                # Each app's own reads: the fast path's app installs the prepared reads on its
                # engine (app.fast.fast_application), the plain app does not. Without them
                # every plan request computed SQLAlchemy's cache key of its whole rendered
                # statement: ~1.5 ms of CPU on this list, which no server spends.
                prepared = fast and settings.prepared_reads
                db = request_database(engine) if prepared else RequestDatabase(engine)
                context = Context(
                    settings=settings, principal=principal, db=db, services=services,
                )  # fmt: skip
                try:
                    result = await schema.execute(document, context_value=context)
                finally:
                    await context.db.close()
                if result.errors:
                    raise RuntimeError(f"the big list failed: {result.errors}")
                return orjson.dumps({"data": result.data})

            return one

        async def floor() -> bytes:
            # default=str: asyncpg's own UUID type, which orjson does not know
            return orjson.dumps({"data": await _floor_data(engine)}, default=str)

        fast, plain = fast_schema(settings), build_schema(settings)
        contenders = {
            "plan": request(fast),
            "standard": request(plain, fast=False),
            "floor": floor,
            **{name: request(fast, document) for name, document in SPELLINGS.items()},
        }
        answers = {name: orjson.loads(await one()) for name, one in contenders.items()}
        if not answers["plan"] == answers["standard"] == answers["floor"]:
            raise RuntimeError("the three answers differ: the figures would compare nothing")
        for name, document in SPELLINGS.items():
            # compared parsed: rendered JSON comes as PostgreSQL spaces it
            if orjson.loads(await contenders[name]()) != orjson.loads(
                await request(plain, document, fast=False)()
            ):
                raise RuntimeError(f"{name}: the executors answer differently")
        nodes = answers["plan"]["data"]["coupons"]["nodes"]
        objects = len(nodes) + sum(len(n["codes"]["nodes"]) for n in nodes)
        log(f"  big list: {len(nodes)} coupons, {objects} objects; {rounds} rounds x {per_round}")
        before = dict(PlanExecutionContext.stats)
        wall: dict[str, list[float]] = {name: [] for name in contenders}
        cpu: dict[str, list[float]] = {name: [] for name in contenders}
        for _ in range(2):  # warm-up: caches, pools, plans
            for one in contenders.values():
                await one()
        tune_garbage_collector()  # as the server does once it has started (app.runtime)
        for _ in range(rounds):
            for name, one in contenders.items():
                started, started_cpu = time.perf_counter(), time.process_time()
                for _ in range(per_round):
                    await one()
                wall[name].append((time.perf_counter() - started) / per_round * 1000)
                cpu[name].append((time.process_time() - started_cpu) / per_round * 1000)
        planned = PlanExecutionContext.stats["planned"] - before["planned"]
        if planned < rounds * per_round * (1 + len(SPELLINGS)):
            raise RuntimeError("the plan executor did not run every request")
        ms = {name: round(statistics.median(v), 2) for name, v in wall.items()}
        cpu_ms = {name: round(statistics.median(v), 2) for name, v in cpu.items()}
        figures = {
            "database": "postgresql" if url.startswith("postgresql") else "sqlite",
            "coupons": len(nodes),
            "objects": objects,
            "ms": ms,
            "cpu_ms": cpu_ms,
            "plan_vs_floor": round(ms["plan"] / ms["floor"], 2),
            "standard_vs_floor": round(ms["standard"] / ms["floor"], 2),
            "standard_vs_plan": round(ms["standard"] / ms["plan"], 2),
            **{f"{name}_vs_floor": round(ms[name] / ms["floor"], 2) for name in SPELLINGS},
            **{f"{name}_vs_plan": round(ms[name] / ms["plan"], 2) for name in SPELLINGS},
        }
        for name in contenders:
            log(f"  {name:<9} {ms[name]:8.2f} ms/request  (cpu {cpu_ms[name]:.2f} ms)")
        log(
            f"  plan = {figures['plan_vs_floor']}x floor, standard = "
            f"{figures['standard_vs_floor']}x floor, plan is {figures['standard_vs_plan']}x faster"
        )
        for name in SPELLINGS:
            log(f"  {name} = {figures[name + '_vs_floor']}x floor,"
                f" {figures[name + '_vs_plan']}x plan (nodes + inline fields)")  # fmt: skip
        return figures
    finally:
        await engine.dispose()


_DATETIMES = {"createdAt", "updatedAt", "deletedAt", "validFrom", "validTo"}


def _select(fields: list[str]) -> str:
    return ", ".join(["id", *(_column(f) for f in fields)])


async def _floor_data(engine: Any) -> dict[str, Any]:
    """The big list's data from two SQL statements through the database driver itself (no
    SQLAlchemy result processing): live coupons by id, and each one's first live codes by
    id (a window function). SQLite needs its stored forms turned into the API's (ISO
    instants, dashed UUIDs, booleans); PostgreSQL's driver gives them as they are."""
    from app.graphql.ids import to_global_id

    coupon_fields = COUPON_FIELDS.split()[1:]
    code_fields = CODE_FIELDS.split()[1:]
    coupons_sql = (
        f"SELECT {_select(coupon_fields)} FROM coupon"
        f" WHERE deleted_at IS NULL ORDER BY id LIMIT {COUPONS}"
    )
    ranked = (
        f"SELECT coupon_id, {_select(code_fields)}, row_number() OVER"
        " (PARTITION BY coupon_id ORDER BY id) AS n FROM coupon_code"
        " WHERE deleted_at IS NULL AND coupon_id IN ({ids})"
    )
    codes_sql = (
        f"SELECT * FROM ({ranked}) AS page WHERE n <= {CODES_PER_COUPON} ORDER BY coupon_id, id"
    )
    async with engine.connect() as connection:
        driver = (await connection.get_raw_connection()).driver_connection
        if engine.dialect.name == "postgresql":
            coupons = await driver.fetch(coupons_sql)
            ids = [row[0] for row in coupons]
            codes = await driver.fetch(codes_sql.format(ids="SELECT unnest($1::bigint[])"), ids)
            convert_coupon = convert_code = None
        else:
            async with driver.execute(coupons_sql) as cursor:
                coupons = await cursor.fetchall()
            ids = [row[0] for row in coupons]
            marks = ", ".join("?" * len(ids))
            async with driver.execute(codes_sql.format(ids=marks), ids) as cursor:
                codes = await cursor.fetchall()
            convert_coupon, convert_code = _sqlite(coupon_fields), _sqlite(code_fields)
    by_coupon: dict[int, list[dict[str, Any]]] = {row[0]: [] for row in coupons}
    code_keys = ("id", *code_fields)
    for row in codes:  # (coupon_id, id, *fields, n)
        values = row[2:-1] if convert_code is None else convert_code(row[2:-1])
        item = dict(zip(code_keys, (to_global_id("CouponCode", row[1]), *values), strict=False))
        by_coupon[row[0]].append(item)
    coupon_keys = ("id", *coupon_fields)
    nodes = []
    for row in coupons:  # (id, *fields)
        values = row[1:] if convert_coupon is None else convert_coupon(row[1:])
        item = dict(zip(coupon_keys, (to_global_id("Coupon", row[0]), *values), strict=False))
        item["codes"] = {"nodes": by_coupon[row[0]]}
        nodes.append(item)
    return {"coupons": {"nodes": nodes}}


def _sqlite(fields: list[str]) -> Callable[[Any], list[Any]]:
    """SQLite's stored forms -> the API's: naive UTC text -> ISO instant, hex -> UUID."""

    def instant(text: str | None) -> str | None:
        if text is None:
            return None
        return datetime.fromisoformat(text).replace(tzinfo=UTC).isoformat()

    def unique(text: str) -> str:
        return str(uuid.UUID(text))

    def truth(value: int) -> bool:
        return bool(value)

    def same(value: Any) -> Any:
        return value

    converters = [
        instant if f in _DATETIMES else unique if f == "uniqueId" else truth
        if f == "multiUse" else same
        for f in fields
    ]  # fmt: skip
    return lambda row: [convert(value) for convert, value in zip(converters, row, strict=False)]


if __name__ == "__main__":
    print(asyncio.run(run(sys.argv[1] if len(sys.argv) > 1 else None)))
