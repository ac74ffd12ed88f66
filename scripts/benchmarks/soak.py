"""The soak: minutes of mixed load on one server process, watching its memory and its p99.

`run(database_url)` adds a site of its own to the database (`redemptions.seed_site`: a
customer and many discount codes with caps far above the load), serves the app as production
runs it (`run_api.serve`: one uvicorn worker), and for `duration` seconds keeps `concurrency`
keep-alive connections busy with a fixed mix, in turn on each connection:

- a read of a page of the site's discount codes with their terms and site,
- a `validateCode` of one of the codes,
- a read of one code by id (`node`),
- a `redeemCode` of one of the codes, with a key of its own (the ledger grows all along).

Every response is checked (HTTP 200, no `errors`, the expected shape); a failure is counted.
The server's resident memory (VmRSS) is read when the load starts (after `warmup` seconds, so
that caches filled once are not counted as growth), every window and at the end; latencies go
into windows of a minute (shorter runs: halves), whose p99 are compared first to last.

Targets: RSS growth < 10 %, p99 drift < 20 %. Both are reported with pass / fail; on a shared
machine a neighbour's load moves the p99 too, so a fail is a reason to look, with the per-window
figures, before it is a leak.
"""

from __future__ import annotations

import asyncio
import itertools
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from benchmarks.redemptions import percentile, seed_site
from benchmarks.run_api import serve

RSS_GROWTH_TARGET = 0.10
P99_DRIFT_TARGET = 0.20
CODES = 200

PAGE = """query Page($site: ID!) {
  discountCodes(first: 25, filter: {siteId: {eq: $site}}, orderBy: {field: CODE, direction: ASC}) {
    totalCount nodes { id code timesUsed site { name currency } terms { kind percentage maxUses } }
  }
}"""
ONE = """query One($id: ID!) {
  node(id: $id) { ... on DiscountCode { id code description terms { kind percentage validTo } } }
}"""
VALIDATE = """query Validate($input: ValidateCodeInput!) {
  validateCode(input: $input) { valid reason discountTotal lines { index amount } }
}"""
REDEEM = """mutation Redeem($input: RedeemCodeInput!) {
  redeemCode(input: $input) { valid reason redemption { id } userErrors { code } }
}"""
KINDS = ("page", "validate", "one", "redeem")


def rss_kib(pid: int) -> int:
    """The process's resident set size (VmRSS), in KiB."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for process {pid}")


@dataclass
class Tally:
    """Latencies (finish time, seconds) and failures, as the workers record them."""

    latencies: list[tuple[float, float]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    failures: dict[str, int] = field(default_factory=dict)


class Mix:
    """The requests of the soak, in turn: each call gives the next body and its check."""

    def __init__(self, seeded: dict[str, Any]) -> None:
        self.seeded = seeded
        self.run_id = uuid.uuid4().hex[:8]
        self.serial = itertools.count()

    def attempt(self, code: str, **extra: Any) -> dict[str, Any]:
        line = {"category": "BOOKING", "itemId": "room", "quantity": 1, "unitPrice": 12_000}
        return {"code": code, "siteId": self.seeded["site"], "customerId": self.seeded["customer"],
                "currency": "GBP", "lines": [line], **extra}  # fmt: skip

    def next(self) -> tuple[str, dict[str, Any]]:
        n = next(self.serial)
        kind = KINDS[n % len(KINDS)]
        codes = self.seeded["many"]
        code = codes[n % len(codes)]
        if kind == "page":
            variables: dict[str, Any] = {"site": self.seeded["site"]}
            return kind, {"query": PAGE, "variables": variables}
        if kind == "one":
            code_id = self.seeded["code_ids"][n % len(codes)]
            return kind, {"query": ONE, "variables": {"id": code_id}}
        if kind == "validate":
            return kind, {"query": VALIDATE, "variables": {"input": self.attempt(code)}}
        key = f"soak-{self.run_id}-{n}"
        return kind, {
            "query": REDEEM,
            "variables": {"input": self.attempt(code, idempotencyKey=key)},
        }


def _problem(kind: str, response: httpx.Response) -> str | None:
    """Why the response is wrong, or None."""
    if response.status_code != 200:
        return f"status {response.status_code}"
    answer = response.json()
    if answer.get("errors"):
        return str(answer["errors"][0].get("extensions", {}).get("code"))
    data = answer.get("data") or {}
    if kind == "page" and not data["discountCodes"]["nodes"]:
        return "empty page"
    if kind == "one" and data["node"] is None:
        return "missing node"
    if kind in ("validate", "redeem"):
        field_name = "validateCode" if kind == "validate" else "redeemCode"
        if data[field_name]["valid"] is not True:
            return f"refused ({data[field_name]['reason']})"
    return None


async def _load(
    url: str, headers: dict[str, str], mix: Mix, seconds: float, concurrency: int, tally: Tally
) -> None:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    until = time.perf_counter() + seconds
    async with httpx.AsyncClient(limits=limits, timeout=60, headers=headers) as client:

        async def worker() -> None:
            while time.perf_counter() < until:
                kind, body = mix.next()
                started = time.perf_counter()
                response = await client.post(url, json=body)
                finished = time.perf_counter()
                problem = _problem(kind, response)
                tally.latencies.append((finished, finished - started))
                tally.counts[kind] += 1
                if problem is not None:
                    name = f"{kind}: {problem}"
                    tally.failures[name] = tally.failures.get(name, 0) + 1

        await asyncio.gather(*(worker() for _ in range(concurrency)))


async def _sample_rss(pid: int, every: float, samples: list[int]) -> None:
    while True:
        await asyncio.sleep(every)
        samples.append(rss_kib(pid))


def windows_p99(latencies: list[tuple[float, float]], start: float, window: float) -> list[float]:
    """The p99 (ms) of the requests that finished in each window after `start`."""
    buckets: dict[int, list[float]] = {}
    for finished, seconds in latencies:
        buckets.setdefault(int((finished - start) // window), []).append(seconds)
    return [
        round(percentile(sorted(buckets[index]), 0.99) * 1000, 2)
        for index in sorted(buckets)
        if len(buckets[index]) >= 20  # a ragged last window of a few requests says nothing
    ]


async def run(
    database_url: str,
    *,
    duration: float = 300.0,
    warmup: float = 15.0,
    concurrency: int = 8,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Seeds, serves, warms up, loads for `duration` seconds; returns the figures."""
    seeded = await seed_site(database_url, CODES, cap=10**9)
    window = 60.0 if duration >= 120 else duration / 2
    with tempfile.TemporaryDirectory() as logs:
        server = await asyncio.to_thread(serve, database_url, Path(logs))
        try:
            pid = server.process.pid
            rss_idle = rss_kib(pid)
            mix = Mix(seeded)
            await _load(server.url, server.headers, mix, warmup, concurrency, Tally())
            log(f"soak: {duration:g} s of {'/'.join(KINDS)} at {concurrency} connections")
            tally, samples = Tally(), [rss_kib(pid)]
            start = time.perf_counter()
            sampler = asyncio.create_task(_sample_rss(pid, window, samples))
            try:
                await _load(server.url, server.headers, mix, duration, concurrency, tally)
            finally:
                sampler.cancel()
            seconds = time.perf_counter() - start
            samples.append(rss_kib(pid))
        finally:
            await asyncio.to_thread(server.stop)
    p99s = windows_p99(tally.latencies, start, window)
    rss_growth = samples[-1] / samples[0] - 1
    p99_drift = p99s[-1] / p99s[0] - 1 if len(p99s) >= 2 else None
    requests = sum(tally.counts.values())
    return {
        "server": "uvicorn, 1 worker, production mode",
        "database": database_url.split(":", 1)[0],
        "concurrency": concurrency,
        "seconds": round(seconds, 1),
        "requests": requests,
        "requests_per_second": round(requests / seconds, 1),
        "per_kind": tally.counts,
        "failures": tally.failures,
        "window_seconds": window,
        "p99_ms_per_window": p99s,
        "rss_mib": {
            "idle": round(rss_idle / 1024, 1),
            "start": round(samples[0] / 1024, 1),
            "per_window": [round(kib / 1024, 1) for kib in samples[1:-1]],
            "end": round(samples[-1] / 1024, 1),
        },
        "rss_growth_pct": round(100 * rss_growth, 1),
        "p99_drift_pct": None if p99_drift is None else round(100 * p99_drift, 1),
        "targets": {
            "rss_growth_below_pct": 100 * RSS_GROWTH_TARGET,
            "p99_drift_below_pct": 100 * P99_DRIFT_TARGET,
            "rss_growth": "pass" if rss_growth < RSS_GROWTH_TARGET else "fail",
            "p99_drift": "-"
            if p99_drift is None
            else ("pass" if p99_drift < P99_DRIFT_TARGET else "fail"),
        },
    }
