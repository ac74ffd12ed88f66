"""`scripts/deliver` as an operator runs it: a worker killed mid-delivery loses nothing (its
lease ends and the delivery is sent again), and on PostgreSQL two workers never send one
attempt twice. A real receiver over HTTP on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from app.db import tables as t
from app.delivery.receiver import Receiver
from tests.conftest import TEST_SECRET
from tests.engine.support import open_shop
from tests.servers import ROOT
from tests.webhooks.support import DELIVERIES, create_endpoint

# Importing the app took 33 s on this machine at load 14: generous, and only a ceiling.
PATIENCE = 180.0


def start_worker(engine: AsyncEngine, **env: str) -> subprocess.Popen[bytes]:
    url = engine.url.render_as_string(hide_password=False)
    environment = {
        **os.environ,
        "DATABASE_URL": url,
        "DISCOUNTS_JWT_SECRET": TEST_SECRET,
        "DISCOUNTS_WEBHOOKS_ALLOW_PRIVATE_TARGETS": "true",
        "DISCOUNTS_WEBHOOKS_POLL_SECONDS": "0.1",
        "DISCOUNTS_LOG_LEVEL": "WARNING",
        **env,
    }
    return subprocess.Popen(
        [sys.executable, str(ROOT / "scripts" / "deliver")],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


async def until(condition: Any, processes: list[subprocess.Popen[bytes]]) -> None:
    deadline = time.monotonic() + PATIENCE
    while not condition():
        for process in processes:
            if process.poll() is not None:
                raise AssertionError(process.stderr.read().decode() if process.stderr else "")
        assert time.monotonic() < deadline, "waited too long"
        await asyncio.sleep(0.05)


def stop(process: subprocess.Popen[bytes]) -> dict[str, Any]:
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=PATIENCE)
    assert process.returncode == 0, err.decode()
    tally: dict[str, Any] = json.loads(out.decode().strip().splitlines()[-1])
    return tally


async def add_events(make: Any, site: Any, count: int) -> list[uuid.UUID]:
    """`count` events of the site, as writes would have added them."""
    now = datetime.now(UTC)
    rows = [
        t.Event(
            id=uuid.uuid4(), position=0, type="site.updated", site_id=site.id,
            organisation_id=site.organisation_id, object_type="Site", object_id=site.id,
            object_updated_at=now, payload={"n": n}, occurred_at=now,
        )
        for n in range(count)
    ]  # fmt: skip
    await make.add(*rows)
    return [row.id for row in rows]


@pytest.mark.slow
async def test_a_worker_killed_mid_delivery_loses_nothing(
    hooks_gql: Any, make: Any, db: AsyncEngine, receiver: Receiver
) -> None:
    shop = await open_shop(make)
    endpoint, secret = await create_endpoint(hooks_gql, receiver.url)
    receiver.secrets.append(secret)
    (event_id,) = await add_events(make, shop.site, 1)
    receiver.answer = lambda received: None if received.attempt == 1 else 200  # hang, then take
    first = start_worker(db, DISCOUNTS_WEBHOOKS_LEASE_SECONDS="2")
    try:
        await until(lambda: len(receiver.received) == 1, [first])
    finally:
        first.kill()  # SIGKILL while the POST is in flight: no chance to record anything
        first.communicate()
    second = start_worker(db, DISCOUNTS_WEBHOOKS_LEASE_SECONDS="2")
    try:
        await until(lambda: len(receiver.received) == 2, [second])
        while await _state(hooks_gql) != "DELIVERED":  # recorded after the receiver answered
            await until(lambda: True, [second])
            await asyncio.sleep(0.05)
    finally:
        tally = stop(second)
    assert [(r.event_id, r.attempt, r.verified) for r in receiver.received] == [
        (str(event_id), 1, True),
        (str(event_id), 2, True),
    ]
    assert tally["delivered"] == 1
    (delivery,) = (await hooks_gql(DELIVERIES))["webhookDeliveries"]["nodes"]
    assert delivery["state"] == "DELIVERED" and delivery["attemptCount"] == 2
    # the killed worker's attempt left no row (it never learned its outcome); the retry did
    assert [(a["number"], a["succeeded"]) for a in delivery["attempts"]] == [(2, True)]
    assert endpoint["id"] == delivery["endpointId"]


async def _state(gql: Any) -> str:
    (delivery,) = (await gql(DELIVERIES))["webhookDeliveries"]["nodes"]
    state: str = delivery["state"]
    return state


async def test_two_workers_never_deliver_one_attempt_twice(
    hooks_gql: Any, make: Any, db: AsyncEngine, receiver: Receiver, is_postgres: bool
) -> None:
    if not is_postgres:
        pytest.skip("SQLite runs one worker (its writers are serialised)")
    shop = await open_shop(make)
    await create_endpoint(hooks_gql, receiver.url)
    small = {"DISCOUNTS_WEBHOOKS_BATCH": "10", "DISCOUNTS_WEBHOOKS_CONCURRENCY": "4"}
    workers = [start_worker(db, **small), start_worker(db, **small)]
    try:
        for worker in workers:  # both polling before there is anything to share
            assert worker.stdout is not None
            assert json.loads(await asyncio.to_thread(worker.stdout.readline)) == {"started": True}
        events = await add_events(make, shop.site, 400)
        await until(lambda: len(receiver.received) >= len(events), workers)
        await asyncio.sleep(1.0)  # a duplicate would have time to arrive
    finally:
        tallies = [stop(w) for w in workers]
    sent = Counter((r.event_id, r.attempt) for r in receiver.received)
    assert [key for key, n in sent.items() if n > 1] == []
    assert set(sent) == {(str(e), 1) for e in events}
    assert sum(tally["delivered"] for tally in tallies) == len(events)
    assert all(tally["delivered"] > 0 for tally in tallies), tallies  # they shared the work
