"""Our server's CPU per request, read from the server process's own counters.

Req/s on a shared 2-core machine moves 2x with the neighbours' load; the CPU seconds the
server process itself spends per answered request move far less, so this is the figure to
compare two revisions by. For each query (the peer section's four, the client documents and
a validateCode; named with `--cpu-queries`, redemptions of one hot code and over 200 codes,
each request a new redemption): a warm-up, then `rounds` timed wrk runs per server; around each run the
server is let go idle and `/proc/<pid>/stat` utime + stime (of it and of any process it
spawned) is read, and the difference is divided by the responses wrk received. The figure is
the median over rounds, in microseconds per request.

With `against=PATH` (another checkout with its own .venv, e.g. a `git worktree` of an older
commit) that checkout's server runs beside ours on the same database, the two alternated run
by run (the order flipped each round), and each query's after/before ratio is printed: ours is
"after", PATH's is "before".
"""

from __future__ import annotations

import asyncio
import statistics
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from benchmarks import compare, load, run_api
from benchmarks.queries import pick
from benchmarks.servers import Server

VALIDATE = (
    "query Validate($input: ValidateCodeInput!) { validateCode(input: $input) { valid reason } }"
)


def _process_cpu(pid: int) -> float:
    """utime + stime of `pid`, of its children it has waited for (cutime + cstime) and of its
    live descendants, in seconds (0 once it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    total = sum(int(value) for value in fields[11:15]) / compare.SC_CLK_TCK
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            children = (task / "children").read_text().split()
        except OSError:
            continue
        total += sum(_process_cpu(int(child)) for child in children)
    return total


async def _validate_input(database_url: str, code_id: int) -> dict[str, Any]:
    """validateCode's input for a live coupon code of the seeded data: its site's basket."""
    from app.graphql.ids import to_global_id

    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as connection:
            code, site, currency = (await connection.execute(sa.text(
                "SELECT k.code, c.site_id, s.currency FROM coupon_code AS k"
                " JOIN coupon AS c ON c.id = k.coupon_id JOIN site AS s ON s.id = c.site_id"
                " WHERE k.id = :id"
            ), {"id": code_id})).one()  # fmt: skip
    finally:
        await engine.dispose()
    line = {"category": "BOOKING", "itemId": "room", "quantity": 1, "unitPrice": 12_000}
    return {
        "code": code, "siteId": to_global_id("Site", site), "currency": currency,
        "lines": [line],
    }  # fmt: skip


@dataclass
class Request:
    name: str
    body: bytes
    lengths: dict[str, int] = field(default_factory=dict)  # per server: a correct response's
    micros: dict[str, list[float]] = field(default_factory=dict)  # per server, per round
    requests: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    # A redemption: every request needs a body of its own (an idempotency key used once, or
    # it is a replay); `fresh(tag)` makes a run's bodies, sent each once (load.send_bodies).
    fresh: Callable[[str], list[dict[str, Any]]] | None = None

    def median(self, side: str) -> float | None:
        values = self.micros.get(side)
        return statistics.median(values) if values else None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            side: {"us_per_request": round(statistics.median(v), 1),
                   "rounds": [round(x, 1) for x in v], "requests": self.requests[side]}
            for side, v in self.micros.items() if v
        }  # fmt: skip
        ours, before = self.median("ours"), self.median("against")
        if ours is not None and before:
            out["ratio"] = round(ours / before, 3)
        if self.notes:
            out["notes"] = self.notes
        return out


def _post(server: Server, body: bytes) -> bytes:
    response = server.post(body)
    if response.status_code != 200 or b'"errors":' in response.content:
        raise RuntimeError(f"{server.name}: HTTP {response.status_code}: {response.text[:500]}")
    return response.content


def requests_for(ours: Server, ids: dict[str, int], validate: dict[str, Any]) -> list[Request]:
    """The request bodies: the peer queries and client documents with our variables filled."""
    from app.graphql.ids import to_global_id

    variables: dict[str, dict[str, Any]] = {
        "one_coupon": {"id": to_global_id("Coupon", ids["coupon"])},
        "assignments_page": {"site": to_global_id("Site", ids["site"]), "after": None},
        "client_node": {"id": to_global_id("CouponCode", ids["code"])},
    }
    page = next(q for q in compare.QUERIES if q.name == "assignments_page")
    first = orjson.loads(_post(ours, orjson.dumps({
        "query": page.ours, "variables": variables["assignments_page"]})))  # fmt: skip
    variables["assignments_page"]["after"] = pick(first, "data.assignments.pageInfo.endCursor")[0]
    out = [
        Request(q.name, orjson.dumps({"query": q.ours,
                                      "variables": variables.get(q.name, q.ours_vars)}))
        for q in compare.QUERIES
    ]  # fmt: skip
    out.append(
        Request(
            "validate_code", orjson.dumps({"query": VALIDATE, "variables": {"input": validate}})
        )
    )
    return out


REDEEM_REQUESTS = 1500  # per run of a redemption request (its bodies are counted, not timed)


async def _redeem_requests(database_url: str) -> list[Request]:
    """redeem_hot (one code, every request on its lock) and redeem_many (round-robin over
    200 codes), each request a new redemption; seeded in a site of their own."""
    from benchmarks.redemptions import REDEEM, seed_site

    seeded = await seed_site(database_url, 200, cap=10**9)
    line = {"category": "BOOKING", "itemId": "room", "quantity": 1, "unitPrice": 12_000}

    def bodies(pick_code: Callable[[int], str]) -> Callable[[str], list[dict[str, Any]]]:
        def fresh(tag: str) -> list[dict[str, Any]]:
            return [{"query": REDEEM, "variables": {"input": {
                "code": pick_code(i), "siteId": seeded["site"],
                "customerId": seeded["customer"], "currency": "GBP", "lines": [line],
                "idempotencyKey": f"cpu-{tag}-{i}",
            }}} for i in range(REDEEM_REQUESTS)]  # fmt: skip

        return fresh

    many = seeded["many"]
    return [
        Request("redeem_hot", b"", fresh=bodies(lambda i: seeded["hot"])),
        Request("redeem_many", b"", fresh=bodies(lambda i: many[i % len(many)])),
    ]


def _send_fresh(request: Request, server: Server, tag: str, concurrency: int) -> load.Run:
    """A run of new redemptions; as a wrk run, in requests and seconds."""
    assert request.fresh is not None
    bodies = request.fresh(f"{server.name}-{tag}-{uuid.uuid4().hex[:8]}")
    answers = asyncio.run(load.send_bodies(server.url, server.headers, bodies,
                                           concurrency=concurrency))  # fmt: skip
    failures = {k: n for k, n in answers.outcomes.items() if k != "valid" and n}
    return load.Run(requests=len(bodies), seconds=answers.seconds, p50_ms=answers.p50_ms,
                    p99_ms=answers.p99_ms, failures=failures, tool=answers.tool)  # fmt: skip


def _check(request: Request, servers: list[Server]) -> None:
    """Each server answers without errors and the same bytes twice (its expected length)."""
    answers = {}
    for server in servers:
        content = _post(server, request.body)
        again = _post(server, request.body)
        request.lengths[server.name] = len(content) if len(again) == len(content) else 0
        answers[server.name] = content
    if len(set(answers.values())) > 1:
        request.notes.append("the servers' answers differ: " + ", ".join(
            f"{name} {len(body)} bytes" for name, body in answers.items()))  # fmt: skip


def measure(
    requests: list[Request], servers: list[Server], wrk: str | None, *,
    duration: float, concurrency: int, rounds: int, warmup: float,
    log: Callable[[str], None] = print,
) -> None:  # fmt: skip
    for request in requests:
        if request.fresh is not None:
            for server in servers:
                _send_fresh(request, server, "warm", concurrency)
        else:
            _check(request, servers)
        for server in servers if request.fresh is None else ():
            compare.settle(servers)
            load.run(
                wrk,
                server.url,
                server.headers,
                request.body,
                request.lengths[server.name],
                duration=warmup,
                concurrency=concurrency,
            )
        for round_ in range(rounds):
            # Flipped each round: neither server always runs in the same part of the minute.
            for server in servers if round_ % 2 == 0 else servers[::-1]:
                compare.settle(servers)
                before = _process_cpu(server.process.pid)
                run = (
                    _send_fresh(request, server, str(round_), concurrency)
                    if request.fresh is not None
                    else load.run(wrk, server.url, server.headers, request.body,
                                  request.lengths[server.name], duration=duration,
                                  concurrency=concurrency)
                )  # fmt: skip
                # Requests still in flight when the load stopped are finished (and billed)
                # before the counters are read again.
                compare.settle(servers)
                spent = _process_cpu(server.process.pid) - before
                if run.failed:
                    request.notes.append(f"{server.name} round {round_ + 1}: {run.failures}")
                if not run.requests:
                    continue
                micros = spent / run.requests * 1e6
                request.micros.setdefault(server.name, []).append(micros)
                request.requests[server.name] = request.requests.get(server.name, 0) + run.requests
                log(f"  {request.name:<17} round {round_ + 1} {server.name:<8} {micros:8.0f} µs/req"
                    f"  ({run.requests} in {run.seconds:.0f} s, {run.rps:7.1f} req/s)")  # fmt: skip
        ours, before = request.median("ours"), request.median("against")
        if ours is not None and before:
            log(f"  {request.name:<17} median {ours:8.0f} µs/req, before {before:8.0f}:"
                f" {ours / before:.2f}x")  # fmt: skip
        elif ours is not None:
            log(f"  {request.name:<17} median {ours:8.0f} µs/req")


async def run(
    database_url: str,
    *,
    log_dir: Path,
    against: Path | None = None,
    only: set[str] | None = None,
    duration: float = 10.0,
    rounds: int = 3,
    concurrency: int = 8,
    warmup: float = 3.0,
    app_env: dict[str, str] | None = None,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """µs of server CPU per request for each query (only those named in `only`, if given)."""
    wrk = load.ensure_wrk(log)
    ids = await compare.data_variables(database_url)
    validate = await _validate_input(database_url, ids["code"])
    servers: list[Server] = []
    try:
        ours = await asyncio.to_thread(run_api.serve, database_url, log_dir, app_env)
        servers.append(ours)
        if against is not None:
            servers.append(
                await asyncio.to_thread(
                    run_api.serve, database_url, log_dir, app_env, root=against, name="against"
                )
            )
        offered = requests_for(ours, ids, validate)
        if only and only & {"redeem_hot", "redeem_many"}:
            offered += await _redeem_requests(database_url)
        requests = [r for r in offered if not only or r.name in only]
        await asyncio.to_thread(
            measure, requests, servers, wrk, duration=duration, concurrency=concurrency,
            rounds=rounds, warmup=warmup, log=log,
        )  # fmt: skip
    finally:
        for server in servers:
            await asyncio.to_thread(server.stop)
    return {
        "tool": "wrk" if wrk else "asyncio client",
        "against": str(against) if against else None,
        "queries": {r.name: r.as_dict() for r in requests},
    }
