"""The subscribers of a process woken together are read for by one statement, and each gets
what its own read of the feed would have given it (app.db.shared_feed)."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from app.auth.principal import EVERYTHING, Scope
from app.db import events as stored
from app.db.session import RequestDatabase
from app.db.shared_feed import Wanted, shared_page
from app.graphql.subscriptions import BATCH, shared_reads
from tests.engine.support import gid, open_shop
from tests.http.conftest import statements_run

CREATE_CODE = """mutation($site: ID!, $code: String!) {
  createDiscountCode(input: {siteId: $site, code: $code, terms: {kind: PERCENTAGE, percentage: "10"}}) {
    discountCode { id } userErrors { field code } } }"""
UPDATE_CODE = """mutation($id: ID!) {
  updateDiscountCode(input: {id: $id, description: "changed"}) { userErrors { code } } }"""


def _visible(scope: Scope) -> Any:
    return stored.feed_condition({name: scope for name in stored.TYPE_NAMES.values()})


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
