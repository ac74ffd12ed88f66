"""The subscribers of a process woken together are read for by one statement, and each gets
what its own read of the feed would have given it (app.db.shared_feed)."""

from __future__ import annotations

import asyncio
import base64
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from app.auth.principal import EVERYTHING, Principal, Scope
from app.db import events as stored
from app.db.event_notify import signal_for
from app.db.session import RequestDatabase
from app.db.shared_feed import Position, Wanted, shared_page
from app.db.tables import EVENT
from app.domain.global_ids import TYPE_NAMES
from app.graphql import subscriptions
from app.graphql.access import Access
from app.graphql.context import Info
from app.graphql.subscriptions import BATCH, shared_reads
from tests.engine.support import gid, open_shop
from tests.http.conftest import statements_run

CREATE_CODE = """mutation($site: ID!, $code: String!) {
  createDiscountCode(input: {siteId: $site, code: $code, terms: {kind: PERCENTAGE, percentage: "10"}}) {
    discountCode { id } userErrors { field code } } }"""
UPDATE_CODE = """mutation($id: ID!) {
  updateDiscountCode(input: {id: $id, description: "changed"}) { userErrors { code } } }"""


def _visible(scope: Scope) -> Any:
    return stored.feed_condition({name: scope for name in TYPE_NAMES.values()})


async def _subscribers(gql: Any, make: Any, engine: AsyncEngine) -> list[Wanted]:
    """Subscribers that differ in every way a subscription can (who, site, types), from
    where the feed stood before this test's writes."""
    db = RequestDatabase(engine)
    try:
        head = await stored.feed_head(db)
    finally:
        await db.close()
    shop = await open_shop(make)
    other = await make.site(shop.organisation)
    ids = []
    for n, site in enumerate((shop.site, other, shop.site, other, shop.site)):
        answer = await gql(CREATE_CODE, {"site": gid(site), "code": f"SHARED{n}"})
        ids.append(answer["createDiscountCode"]["discountCode"]["id"])
    for made in ids[:2]:
        await gql(UPDATE_CODE, {"id": made})
    everything, mine = _visible(EVERYTHING), _visible(Scope(False, frozenset({shop.site.id})))
    return [
        Wanted(everything, None, None, head),
        Wanted(mine, None, None, head),
        Wanted(everything, other.id, None, head),
        Wanted(everything, None, ("discountCode.updated",), head),
        Wanted(mine, shop.site.id, ("discountCode.created",), head),
    ]


async def _alone(engine: AsyncEngine, wanted: Wanted, limit: int) -> list[Any]:
    db = RequestDatabase(engine)
    try:
        return await stored.feed_page(
            db,
            wanted.visible,
            site_id=wanted.site_id,
            types=None if wanted.types is None else list(wanted.types),
            after=wanted.after,
            limit=limit,
        )
    finally:
        await db.close()


async def test_subscribers_woken_together_are_read_for_by_one_statement(
    gql: Any, make: Any, engine: AsyncEngine
) -> None:
    subscribers = await _subscribers(gql, make, engine)
    shared = shared_reads(engine)
    with statements_run(engine, transaction_control=False) as sent:
        answers = await asyncio.gather(*(shared.page(wanted) for wanted in subscribers))
    reads = [s for s in sent if "FROM event" in s]
    assert len(reads) == 1, sent
    for wanted, (rows, through) in zip(subscribers, answers, strict=True):
        alone = await _alone(engine, wanted, BATCH)
        assert [row.id for row in rows] == [row.id for row in alone], wanted
        assert through is None
    counts = [len(rows) for rows, _ in answers]
    assert counts == [7, 4, 3, 2, 3], counts  # 5 created and 2 updated; each its own share


async def test_a_full_read_says_where_it_stopped(gql: Any, make: Any, engine: AsyncEngine) -> None:
    updated, created = (await _subscribers(gql, make, engine))[3:]
    db = RequestDatabase(engine)
    try:
        page = await shared_page(db, [updated, created], 3)
    finally:
        await db.close()
    # the three first events that either takes are SHARED0, 2 and 4 created on the shop's site,
    # which only `created` takes: the read is full before the updates
    alone = await _alone(engine, created, BATCH)
    assert page.rows[0] == [] and [r.id for r in page.rows[1]] == [r.id for r in alone]
    assert page.through == (alone[2].position, alone[2].seq)


def _cursor(position: Position) -> str:
    return base64.urlsafe_b64encode(f"{position[0]}.{position[1]}".encode()).decode()


async def _write_events(engine: AsyncEngine, count: int) -> list[Position]:
    """`count` events in one transaction (as a bulk write files them), their positions."""
    now = datetime.now(UTC)
    rows = [
        {"id": uuid.uuid4(), "type": "coupon.created", "site_id": 1, "organisation_id": 1,
         "object_type": "Coupon", "object_id": n + 1, "object_updated_at": now, "payload": {},
         "occurred_at": now}
        for n in range(count)
    ]  # fmt: skip
    c = EVENT.c
    async with engine.begin() as connection:
        before = (await connection.execute(sa.select(sa.func.max(c.seq)))).scalar() or 0
        await connection.execute(stored._insert(engine.dialect.name), rows)
        found = await connection.execute(
            sa.select(c.position, c.seq).where(c.seq > before).order_by(c.position, c.seq)
        )
        written = [(row.position, row.seq) for row in found]
    signal_for(engine).wake()  # as a write session's commit does (SQLite) or its NOTIFY
    return written


async def _until(condition: Callable[[], bool], what: str) -> None:
    for _ in range(600):
        if condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"still waiting for {what}")


async def test_a_read_filled_by_anothers_earlier_events_does_not_move_a_subscriber_back(
    db: AsyncEngine,
) -> None:
    """Two subscribers of one process, more than a read (BATCH events) apart, woken together:
    the shared read is filled by the one behind's events, all before the other's position.
    The one ahead must keep its position (not take the read's end, which is behind it): each
    receives every event after its own cursor once, in the feed's order, and nothing again."""
    first = (await _write_events(db, 1))[0]
    backlog = await _write_events(db, BATCH + 50)
    info = SimpleNamespace(
        context=SimpleNamespace(
            db=SimpleNamespace(engine=db), access=Access(Principal.administrator("admin"))
        )
    )
    received: dict[str, list[uuid.UUID]] = {"behind": [], "ahead": []}

    async def subscriber(name: str, after: Position) -> None:
        stream = await subscriptions.events(cast(Info, info), after=_cursor(after))
        async for event in stream:
            received[name].append(event.id)

    async def where(ids: list[uuid.UUID]) -> list[Position]:
        """The feed's positions of the events `ids`, in their order."""
        async with db.connect() as connection:
            found = await connection.execute(sa.select(EVENT.c.id, EVENT.c.position, EVENT.c.seq))
            positions = {row.id: (row.position, row.seq) for row in found}
        return [positions[each] for each in ids]

    # Started in one turn of the loop: their first reads are one shared read.
    tasks = [
        asyncio.create_task(subscriber("behind", first)),
        asyncio.create_task(subscriber("ahead", backlog[-1])),
    ]
    try:
        await _until(lambda: len(received["behind"]) == len(backlog), "the backlog")
        await asyncio.sleep(0.5)  # time for the one ahead to read again, wrongly or not
        assert await where(received["ahead"]) == [], "sent events before its cursor"
        new = await _write_events(db, 3)
        await _until(
            lambda: len(received["ahead"]) >= len(new)
            and len(received["behind"]) >= len(backlog) + len(new),
            "the new events",
        )
        await asyncio.sleep(0.5)  # nothing more comes
        assert await where(received["behind"]) == backlog + new
        assert await where(received["ahead"]) == new
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
