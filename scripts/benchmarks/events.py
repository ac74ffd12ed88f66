"""Change events and webhooks (issue 20's targets), on a PostgreSQL database of their own.

- **What events add to a redemption.** Two servers (one uvicorn worker each, production mode)
  on one database: one writes events, the other runs with DISCOUNTS_EVENTS=false. Rounds of
  `redeemCode` on many codes (no lock contention), the two alternated, the order flipped each
  round. The figure is the server process's own CPU per redemption (`/proc/<pid>/stat`,
  steadier than wall time on a shared machine), with the client's wall time per redemption
  beside it; the target is on/off <= 1.10.
- **Delivery throughput.** One worker (app.delivery.worker, the code of scripts/deliver, the
  settings' batch and concurrency) delivers `events` events to a receiver in a process of its
  own on 127.0.0.1 (app.delivery.receiver, which verifies every signature); the figure is
  events delivered per second from the first claim to the last recorded outcome (the target
  is >= 500), with the worker's own CPU seconds beside it: events per CPU second is what one
  worker does on a core of its own, whatever the neighbours' load.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
import sqlalchemy as sa

from app.db import tables as t
from app.db.engine import create_engine
from app.delivery.worker import Worker, WorkerOptions
from app.services.actor import Actor
from app.services.webhooks import create_endpoint
from app.settings import Settings
from benchmarks import database, run_api
from benchmarks.cpu import _process_cpu
from benchmarks.redemptions import REDEEM, seed_site

ROOT = Path(__file__).resolve().parents[2]


async def _redeem_round(
    server: Any, inputs: list[dict[str, Any]], concurrency: int
) -> tuple[float, float, int]:
    """(server CPU seconds, wall seconds, redemptions made) of one round."""
    pid = server.process.pid
    queue = list(inputs)
    made = 0
    await asyncio.sleep(0.3)  # let the server go idle before reading its counters
    cpu_before, clock = _process_cpu(pid), time.perf_counter()
    async with httpx.AsyncClient(headers=server.headers, timeout=60) as client:

        async def one_client() -> None:
            nonlocal made
            while queue:
                body = orjson.dumps({"query": REDEEM, "variables": {"input": queue.pop()}})
                answer = (
                    await client.post(
                        server.url, content=body, headers={"content-type": "application/json"}
                    )
                ).json()
                assert answer["data"]["redeemCode"]["valid"] is True, answer
                made += 1

        await asyncio.gather(*(one_client() for _ in range(concurrency)))
    wall = time.perf_counter() - clock
    await asyncio.sleep(0.3)
    return _process_cpu(pid) - cpu_before, wall, made


async def _redemption_cost(
    url: str, log_dir: Path, *, rounds: int, per_round: int, concurrency: int, log: Any
) -> dict[str, Any]:
    seeded = await seed_site(url, codes=200, cap=10 * rounds * per_round * 2 + 1000)
    run_id = uuid.uuid4().hex[:8]
    counter = iter(range(10**9))

    def inputs(count: int) -> list[dict[str, Any]]:
        line = {"category": "BOOKING", "itemId": "room", "quantity": 1, "unitPrice": 12_000}
        made = []
        for _ in range(count):
            n = next(counter)
            made.append({
                "code": seeded["many"][n % len(seeded["many"])], "siteId": seeded["site"],
                "customerId": seeded["customer"], "currency": "GBP", "lines": [line],
                "idempotencyKey": f"{run_id}-{n}",
            })  # fmt: skip
        return made

    servers = {
        "on": run_api.serve(url, log_dir, name="events-on"),
        "off": run_api.serve(url, log_dir, {"DISCOUNTS_EVENTS": "false"}, name="events-off"),
    }
    per: dict[str, dict[str, list[float]]] = {name: {"cpu": [], "wall": []} for name in servers}
    made_with_events = 0
    try:
        for name in servers:  # warm-up: plans, prepared statements, connections
            await _redeem_round(servers[name], inputs(50), concurrency)
        for index in range(rounds):
            order = ["on", "off"] if index % 2 == 0 else ["off", "on"]
            for name in order:
                cpu, wall, made = await _redeem_round(servers[name], inputs(per_round), concurrency)
                per[name]["cpu"].append(cpu / made * 1e6)
                per[name]["wall"].append(wall / made * 1e6)
                if name == "on":
                    made_with_events += made
                log(f"  round {index + 1} events {name}: {cpu / made * 1e6:.0f} us CPU, "
                    f"{wall / made * 1e6:.0f} us wall per redemption")  # fmt: skip
    finally:
        for server in servers.values():
            server.stop()
    engine = create_engine(Settings(database_url=url))
    try:
        async with engine.connect() as connection:
            written = (await connection.execute(
                sa.select(sa.func.count()).select_from(t.EVENT)
                .where(t.EVENT.c.type == "redemption.created")
            )).scalar_one()  # fmt: skip
    finally:
        await engine.dispose()
    median = {
        name: {k: statistics.median(v) for k, v in figures.items()} for name, figures in per.items()
    }
    return {
        "us_cpu_per_redemption_events_on": round(median["on"]["cpu"], 1),
        "us_cpu_per_redemption_events_off": round(median["off"]["cpu"], 1),
        "cpu_ratio_on_off": round(median["on"]["cpu"] / median["off"]["cpu"], 3),
        "us_wall_per_redemption_events_on": round(median["on"]["wall"], 1),
        "us_wall_per_redemption_events_off": round(median["off"]["wall"], 1),
        "wall_ratio_on_off": round(median["on"]["wall"] / median["off"]["wall"], 3),
        "rounds": rounds,
        "redemptions_per_round": per_round,
        # every redemption through the events-on server wrote its event (50 warm-up ones too)
        "redemption_events_written": written,
        "redemptions_with_events": made_with_events + 50,
    }


def _start_receiver(secret: str) -> tuple[subprocess.Popen[bytes], int]:
    process = subprocess.Popen(
        [sys.executable, "-m", "app.delivery.receiver", "--secret", secret],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert process.stdout is not None
    port = json.loads(process.stdout.readline())["port"]
    return process, int(port)


async def _delivery_rate(url: str, *, events: int, log: Any) -> dict[str, Any]:
    settings = Settings(database_url=url, webhooks_allow_private_targets=True)
    engine = create_engine(settings)
    receiver, port = None, 0
    try:
        from app.db.session import write_sessions

        async def allowed(_url: str) -> str | None:
            return None

        made = await create_endpoint(
            write_sessions(engine), Actor(subject="bench"), allowed,
            url="http://127.0.0.1:1/placeholder", types=["site.updated"], site_ids=[],
        )  # fmt: skip
        receiver, port = _start_receiver(made.secret)
        async with engine.begin() as connection:
            await connection.execute(
                sa.update(t.WEBHOOK_ENDPOINT).where(t.WEBHOOK_ENDPOINT.c.id == made.endpoint.id)
                .values(url=f"http://127.0.0.1:{port}/hooks")
            )  # fmt: skip
            site = (await connection.execute(sa.select(t.SITE).limit(1))).one()
            now = datetime.now(UTC) + timedelta(seconds=1)
            rows = [
                {
                    "id": uuid.uuid4(), "position": 0, "type": "site.updated", "site_id": site.id,
                    "organisation_id": site.organisation_id, "object_type": "Site",
                    "object_id": site.id, "object_updated_at": now,
                    "payload": {"version": 1, "type": "Site", "name": site.name, "n": n},
                    "occurred_at": now,
                }
                for n in range(events)
            ]  # fmt: skip
            position = sa.cast(sa.cast(sa.func.pg_current_xact_id(), sa.Text), sa.BigInteger)
            await connection.execute(sa.insert(t.EVENT).values(position=position), rows)
        worker = Worker(engine, WorkerOptions.from_settings(settings))
        try:
            clock, cpu = time.perf_counter(), time.process_time()
            while worker.tally.delivered < events:
                if not await worker.round():
                    await asyncio.sleep(0.05)
            seconds, cpu = time.perf_counter() - clock, time.process_time() - cpu
        finally:
            await worker.close()
        await asyncio.sleep(1.5)  # the receiver prints its count once a second
        receiver.terminate()
        out, _ = receiver.communicate(timeout=30)
        last = json.loads(out.decode().strip().splitlines()[-1])
        log(f"  one worker: {events} events in {seconds:.2f} s = {events / seconds:.0f} events/s;"
            f" {cpu:.2f} CPU s = {events / cpu:.0f} events per CPU second")  # fmt: skip
        return {
            "events": events,
            "seconds": round(seconds, 2),
            "events_per_second": round(events / seconds, 1),
            # the worker process's own CPU: what one worker could do on a core of its own
            "worker_cpu_seconds": round(cpu, 2),
            "events_per_worker_cpu_second": round(events / cpu, 1),
            "attempts": worker.tally.attempts,
            "receiver_received": last["received"],
            "receiver_verified": last["verified"],
            "batch": settings.webhooks_batch,
            "concurrency": settings.webhooks_concurrency,
        }
    finally:
        if receiver is not None and receiver.poll() is None:
            receiver.kill()
            receiver.communicate()
        await engine.dispose()


async def run(
    database_url: str,
    *,
    log_dir: Path,
    quick: bool = False,
    concurrency: int = 4,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    # named after the bench database: runs on different bench databases do not collide
    url = await database.fresh(database_url, f"{database._database_name(database_url)}_events")
    try:
        log("  redemptions with events and without (DISCOUNTS_EVENTS=false), alternated")
        cost = await _redemption_cost(
            url, log_dir, rounds=3 if quick else 5, per_round=200 if quick else 600,
            concurrency=concurrency, log=log,
        )  # fmt: skip
        log("  webhook delivery: one worker to a local receiver")
        rate = await _delivery_rate(url, events=2000 if quick else 10_000, log=log)
    finally:
        await database.drop(url)
    return {
        "redemption_cost": cost,
        "delivery": rate,
        "targets": {
            "events_add_at_most_10_percent": cost["cpu_ratio_on_off"] <= 1.10,
            "one_worker_at_least_500_per_second": rate["events_per_second"] >= 500,
        },
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }
