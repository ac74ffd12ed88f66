"""Several codes on one order (issue 21): five codes checked together against one, a pair
redeemed together against one code, on PostgreSQL, same server, same run.

`run(database_url)` adds its own organisation, site, customer and codes to the database (it
never touches other rows: `benchmarks.redemptions.seed_site`), makes five of the codes
combinable (10 % each, not exclusive, combining with percentages), serves the app with one
uvicorn worker (`run_api.serve`, production mode, an administrator token) and sends, from
`concurrency` keep-alive connections on 127.0.0.1, in A B rounds so that a change in the
machine's load weighs on both sides alike:

- validateCode of one code against validateCodes of the five (issue 21's figure: validating
  five codes costs at most twice one code, since all five are read in one statement);
- redeemCode of one code against redeemCodes of a pair (one transaction, both codes' locks).

Each side's figure is its rounds' requests over their seconds (req/s), the mean of their
p99 latencies, and the ratio of the mean latencies (above 1: the several codes cost more).
Every answer must be valid: a refused or failed request is counted, never timed as a success.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from app.db import tables as t
from app.db.engine import create_engine
from app.db.session import write_sessions
from app.settings import Settings
from benchmarks.floors import http_rate
from benchmarks.load import wrk_binary
from benchmarks.redemptions import seed_site
from benchmarks.run_api import serve

VALIDATE_ONE = (
    "query One($input: ValidateCodeInput!) { validateCode(input: $input) { valid reason } }"
)
VALIDATE_MANY = (
    "query Many($input: ValidateCodesInput!) "
    "{ validateCodes(input: $input) { valid discountTotal codes { applied reason } } }"
)
REDEEM_ONE = (
    "mutation One($input: RedeemCodeInput!) "
    "{ redeemCode(input: $input) { valid reason userErrors { code } } }"
)
REDEEM_MANY = (
    "mutation Many($input: RedeemCodesInput!) "
    "{ redeemCodes(input: $input) { valid codes { applied reason } userErrors { code } } }"
)
STACKED = 5  # validateCodes' codes: the setting's default limit (DISCOUNTS_MAX_CODES_PER_ORDER)
PAIR = 2  # redeemCodes' codes
WARMUP = 30
LINE = {"category": "BOOKING", "itemId": "room", "quantity": 1, "unitPrice": 12_000}


async def combinable(database_url: str, codes: list[str], site_id: int) -> None:
    """Lets the site's `codes` combine with one another (they are all percentages)."""
    engine = create_engine(Settings(database_url=database_url))
    table: Any = t.DiscountCode.__table__
    try:
        async with write_sessions(engine)() as session, session.begin():
            await session.execute(
                sa.update(table)
                .where(table.c.site_id == site_id, table.c.code.in_(codes))
                .values(exclusive=False, combines_with_percentage=True)
            )
    finally:
        await engine.dispose()


def _side(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """One side's rounds as one figure."""
    requests = sum(r["requests"] for r in rounds)
    seconds = sum(r["seconds"] for r in rounds)
    return {
        "client": rounds[0]["client"],
        "requests": requests,
        "failed": sum(r["failed"] for r in rounds),
        "seconds": round(seconds, 3),
        "requests_per_second": round((requests - sum(r["failed"] for r in rounds)) / seconds, 1),
        "p99_ms": round(statistics.fmean(r["p99_ms"] for r in rounds), 2),
        "mean_ms": round(statistics.fmean(r["mean_ms"] for r in rounds), 2),
    }


def _compared(one: list[dict[str, Any]], many: list[dict[str, Any]]) -> dict[str, Any]:
    a, b = _side(one), _side(many)
    if a["failed"] or b["failed"]:
        # A ratio of timings of failures would be a made-up figure: the section fails.
        raise RuntimeError(f"requests failed: one code {a['failed']}, several {b['failed']}")
    return {"one": a, "several": b, "ratio": round(b["mean_ms"] / a["mean_ms"], 3)}


async def run(
    database_url: str,
    *,
    quick: bool = False,
    concurrency: int = 8,
    requests: int | None = None,
    rounds: int | None = None,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Seeds, serves, measures one code against five (validate) and against a pair (redeem);
    returns the figures with their ratios."""
    total = requests or (200 if quick else 1000)
    turns = rounds or (2 if quick else 3)
    seeded = await seed_site(database_url, STACKED, cap=2_000_000_000)
    codes = seeded["many"]
    await combinable(database_url, codes, seeded["site_id"])
    run_id = uuid.uuid4().hex[:8]
    where = {"siteId": seeded["site"], "customerId": seeded["customer"], "currency": "GBP"}

    def one(query: str, key: str | None) -> Callable[[int], dict[str, Any]]:
        def body(index: int) -> dict[str, Any]:
            values = {**where, "code": codes[0], "lines": [LINE]}
            if key is not None:
                values["idempotencyKey"] = f"{run_id}-{key}-{index}"
            return {"query": query, "variables": {"input": values}}

        return body

    def several(query: str, count: int, key: str | None) -> Callable[[int], dict[str, Any]]:
        def body(index: int) -> dict[str, Any]:
            values = {**where, "codes": codes[:count], "lines": [LINE]}
            if key is not None:
                values["idempotencyKey"] = f"{run_id}-{key}-{index}"
            return {"query": query, "variables": {"input": values}}

        return body

    figures: dict[str, list[dict[str, Any]]] = {name: [] for name in ("v1", "v5", "r1", "r2")}
    with tempfile.TemporaryDirectory() as logs:
        server = await asyncio.to_thread(serve, database_url, Path(logs))
        try:

            async def measure(body: Callable[[int], dict[str, Any]], count: int) -> dict[str, Any]:
                return await http_rate(
                    server.url, server.headers, body, requests=count, concurrency=concurrency,
                    expect="valid",
                )  # fmt: skip

            log(f"stacking: {turns} rounds of {total} requests a side, {concurrency} connections"
                f" ({'wrk' if wrk_binary() else 'httpx: no wrk, or BENCH_NO_WRK set'})")  # fmt: skip
            for turn in range(turns):
                sides = [
                    ("v1", one(VALIDATE_ONE, None)),
                    ("v5", several(VALIDATE_MANY, STACKED, None)),
                    ("r1", one(REDEEM_ONE, f"one{turn}")),
                    ("r2", several(REDEEM_MANY, PAIR, f"pair{turn}")),
                ]
                if turn == 0:  # warm every statement and plan first
                    for _, body in sides:
                        await measure(lambda i, b=body: b(10**6 + i), WARMUP)
                for name, body in sides:
                    figures[name].append(await measure(body, total))
        finally:
            await asyncio.to_thread(server.stop)
    validate = _compared(figures["v1"], figures["v5"])
    redeem = _compared(figures["r1"], figures["r2"])
    v1, v5 = validate["one"], validate["several"]
    r1, r2 = redeem["one"], redeem["several"]
    log(f"  validateCode, one code: {v1['requests_per_second']:,.0f}/s, p99 {v1['p99_ms']:.1f} ms")
    log(f"  validateCodes, {STACKED} codes: {v5['requests_per_second']:,.0f}/s, p99"
        f" {v5['p99_ms']:.1f} ms; cost {validate['ratio']:.2f}x one code (target <= 2)")  # fmt: skip
    log(f"  redeemCode, one code: {r1['requests_per_second']:,.0f}/s, p99 {r1['p99_ms']:.1f} ms")
    log(f"  redeemCodes, a pair: {r2['requests_per_second']:,.0f}/s, p99 {r2['p99_ms']:.1f} ms;"
        f" cost {redeem['ratio']:.2f}x one code")  # fmt: skip
    return {
        "server": "uvicorn, 1 worker, production mode",
        "concurrency": concurrency,
        "rounds": turns,
        "validate": {"codes": STACKED, **validate, "target_ratio": 2.0},
        "redeem": {"codes": PAIR, **redeem},
    }
