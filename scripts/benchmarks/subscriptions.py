"""What subscriptions cost a redemption (issue 20), on PostgreSQL, same server, same run.

`run(database_url)` (an empty database of its own) seeds a site with `codes` discount codes
(`benchmarks.redemptions.seed_site`), serves the app with one uvicorn worker (`run_api.serve`,
production mode, an administrator token) and sends `redeemCode` round-robin over the codes
from `concurrency` keep-alive connections, in rounds that alternate three states (each round
starting with another) so that a change in the machine's load weighs on all alike:

- `without`: the NOTIFY trigger of migration 0009 dropped (the service as before it);
- `notify`: the trigger in place, nobody subscribed (what every write pays from now on);
- `subscribed`: the trigger, and one subscriber (WebSocket, graphql-transport-ws) receiving
  every `redemption.created` the round makes: the listener, the fan-out and the reads of the
  events, in the same server process as the redemptions.

Each state's figure: server CPU per request (steadier than the rates while the machine's load
varies) and requests per second, with their ratios to `without`; the subscriber must receive
one event per redemption.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import statistics
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url
from websockets.asyncio.client import connect

from benchmarks.redemptions import _load, seed_site
from benchmarks.run_api import serve

STATES = ("without", "notify", "subscribed")
WARMUP = 50
SUBSCRIPTION = 'subscription { events(types: ["redemption.created"]) { id } }'
DROP = "DROP TRIGGER IF EXISTS event_notify ON event"
CREATE = (
    "CREATE TRIGGER event_notify AFTER INSERT ON event "
    "FOR EACH STATEMENT EXECUTE FUNCTION discounts_notify_events()"
)


async def _set_trigger(dsn: str, on: bool) -> None:
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(DROP)
        if on:
            await connection.execute(CREATE)
    finally:
        await connection.close()


class _Subscriber:
    """One graphql-transport-ws subscriber counting the events it receives."""

    def __init__(self, url: str, headers: dict[str, str]) -> None:
        self.url = url.replace("http://", "ws://", 1)
        self.authorization = headers["authorization"]
        self.received = 0
        self._task: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()

    async def __aenter__(self) -> _Subscriber:
        self._task = asyncio.create_task(self._receive())
        await asyncio.wait_for(self._ready.wait(), 60)
        return self

    async def __aexit__(self, *_exc: object) -> None:
        assert self._task is not None
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task

    async def _receive(self) -> None:
        async with connect(self.url, subprotocols=["graphql-transport-ws"]) as socket:  # type: ignore[list-item]
            init = {"type": "connection_init", "payload": {"Authorization": self.authorization}}
            await socket.send(json.dumps(init))
            assert json.loads(await socket.recv())["type"] == "connection_ack"
            await socket.send(json.dumps(
                {"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIPTION}}
            ))  # fmt: skip
            self._ready.set()
            async for message in socket:
                if json.loads(message)["type"] == "next":
                    self.received += 1

    async def drained(self, expected: int) -> int:
        """What it received once `expected` arrived, or after 30 s without more."""
        last, quiet = -1, 0
        while self.received < expected and quiet < 30:
            quiet = quiet + 1 if self.received == last else 0
            last = self.received
            await asyncio.sleep(1)
        return self.received


async def run(
    database_url: str,
    *,
    quick: bool = False,
    concurrency: int = 8,
    codes: int = 200,
    rounds: int | None = None,
    requests: int | None = None,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    per_round = requests or (200 if quick else 600)
    rounds = rounds or (2 if quick else 3)
    seeded = await seed_site(database_url, codes, cap=10 * per_round * rounds * len(STATES) + 10)
    dsn = make_url(database_url).set(drivername="postgresql").render_as_string(False)
    run_id = uuid.uuid4().hex[:8]
    counter = 0

    def attempt(index: int) -> dict[str, Any]:
        line = {"category": "BOOKING", "itemId": "room", "quantity": 1, "unitPrice": 12_000}
        return {
            "code": seeded["many"][index % codes], "siteId": seeded["site"],
            "customerId": seeded["customer"], "currency": "GBP", "lines": [line],
            "idempotencyKey": f"{run_id}-{counter}-{index}",
        }  # fmt: skip

    figures: dict[str, list[dict[str, Any]]] = {state: [] for state in STATES}
    loads: list[float] = []
    with tempfile.TemporaryDirectory() as logs:
        server = await asyncio.to_thread(serve, database_url, Path(logs))
        try:
            url, headers, pid = server.url, server.headers, server.process.pid
            await _load(url, headers, attempt, WARMUP, concurrency)
            log(f"subscriptions: {rounds} rounds of {per_round} redemptions per state")
            for round_number in range(rounds):
                # Each round starts with another state: none always follows the same one.
                turn = round_number % len(STATES)
                for state in STATES[turn:] + STATES[:turn]:
                    counter += 1
                    await _set_trigger(dsn, state != "without")
                    loads.append(os.getloadavg()[0])
                    if state == "subscribed":
                        async with _Subscriber(url, headers) as subscriber:
                            figure = await _load(url, headers, attempt, per_round, concurrency,
                                                 pid=pid)  # fmt: skip
                            figure["events_received"] = await subscriber.drained(figure["redeemed"])
                    else:
                        figure = await _load(url, headers, attempt, per_round, concurrency,
                                             pid=pid)  # fmt: skip
                    figures[state].append(figure)
                    log(f"  round {round_number + 1} {state}: "
                        f"{figure['server_cpu_ms_per_request']} ms CPU/request, "
                        f"{figure['requests_per_second']} req/s")  # fmt: skip
        finally:
            await _set_trigger(dsn, True)
            server.stop()
    summary: dict[str, Any] = {}
    for state in STATES:
        runs = figures[state]
        summary[state] = {
            "server_cpu_ms_per_request": round(
                statistics.fmean(r["server_cpu_ms_per_request"] for r in runs), 3
            ),
            "requests_per_second": round(
                sum(r["requests"] for r in runs) / sum(r["seconds"] for r in runs), 1
            ),
            "errors": sum(r["errors"] for r in runs),
            "redeemed": sum(r["redeemed"] for r in runs),
        }
    received = sum(r.get("events_received", 0) for r in figures["subscribed"])
    summary["subscribed"]["events_received"] = received
    base = summary["without"]
    for state in ("notify", "subscribed"):
        summary[state]["cpu_ratio"] = round(
            summary[state]["server_cpu_ms_per_request"] / base["server_cpu_ms_per_request"], 3
        )
        summary[state]["rate_ratio"] = round(
            summary[state]["requests_per_second"] / base["requests_per_second"], 3
        )
    summary["load_average"] = [round(min(loads), 1), round(max(loads), 1)]
    log(f"  NOTIFY: {summary['notify']['cpu_ratio']}x the CPU per redemption, "
        f"{summary['notify']['rate_ratio']}x the rate; one subscriber: "
        f"{summary['subscribed']['cpu_ratio']}x, {summary['subscribed']['rate_ratio']}x, "
        f"{received} of {summary['subscribed']['redeemed']} events received "
        f"(load {summary['load_average'][0]}-{summary['load_average'][1]})")  # fmt: skip
    return summary
