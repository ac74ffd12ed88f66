"""The change feed: `events(siteId, types, after, first)` in commit order, resumable, under
the access rules."""

from __future__ import annotations

from typing import Any

import pytest

from app.clock import utcnow
from app.db import row_statements
from app.db import tables as t
from app.db.session import write_sessions
from app.services.actor import Actor
from app.services.records import new_record
from tests.conftest import token
from tests.engine.support import REDEEM, gid, open_shop
from tests.http.conftest import statements_run

FEED = """query($site: ID, $types: [String!], $after: String, $first: Int! = 100) {
  events(siteId: $site, types: $types, after: $after, first: $first) {
    edges { cursor node { id type siteId objectType objectId objectUpdatedAt payload } }
    pageInfo { hasNextPage endCursor } } }"""
CREATE_CODE = """mutation($site: ID!, $code: String!) {
  createDiscountCode(input: {siteId: $site, code: $code, terms: {kind: PERCENTAGE, percentage: "10"}}) {
    discountCode { id } userErrors { field code } } }"""


async def feed(gql: Any, **variables: Any) -> dict[str, Any]:
    return (await gql(FEED, variables))["events"]  # type: ignore[no-any-return]


async def test_the_feed_in_order_and_resumable(gql: Any, make: Any) -> None:
    shop = await open_shop(make)
    made = []
    for n in range(5):
        answer = await gql(CREATE_CODE, {"site": gid(shop.site), "code": f"CODE{n}"})
        made.append(answer["createDiscountCode"]["discountCode"]["id"])
    await gql(REDEEM, {"input": shop.attempt("CODE0", idempotencyKey="k")})
    page = await feed(gql, first=2)
    assert [e["node"]["objectId"] for e in page["edges"]] == made[:2]
    assert page["pageInfo"]["hasNextPage"] is True
    rest = await feed(gql, after=page["pageInfo"]["endCursor"])
    nodes = [e["node"] for e in rest["edges"]]
    assert [n["objectId"] for n in nodes[:3]] == made[2:]
    assert nodes[3]["type"] == "redemption.created" and rest["pageInfo"]["hasNextPage"] is False
    assert nodes[3]["payload"]["id"] == nodes[3]["objectId"]
    assert nodes[3]["payload"]["discountCode"] == {"id": made[0]}
    assert nodes[3]["siteId"] == gid(shop.site)
    # nothing new: an empty page that resumes from the same place
    end = rest["pageInfo"]["endCursor"]
    empty = await feed(gql, after=end)
    assert empty["edges"] == [] and empty["pageInfo"]["endCursor"] is None
    await gql(CREATE_CODE, {"site": gid(shop.site), "code": "LATER"})
    later = await feed(gql, after=end)
    assert [e["node"]["type"] for e in later["edges"]] == ["discountCode.created"]
    only = await feed(gql, types=["redemption.created"])
    assert [e["node"]["type"] for e in only["edges"]] == ["redemption.created"]


async def test_a_caller_sees_the_events_of_what_it_may_read(gql: Any, make: Any) -> None:
    shop = await open_shop(make)
    other = await make.site(shop.organisation)
    for site, code in ((shop.site, "HERE"), (other, "THERE")):
        await gql(CREATE_CODE, {"site": gid(site), "code": code})
    await make.redemption(await make.discount_code(shop.site, code="X"))
    reader = token(subject="r", grants=[{"roles": ["DiscountCode-Read"], "sites": [shop.site.id]}])
    answer = (await gql(FEED, {}, token=reader))["events"]
    assert [e["node"]["payload"]["code"] for e in answer["edges"]] == ["HERE"]
    assert (await feed(gql, site=gid(other)))["edges"][0]["node"]["payload"]["code"] == "THERE"
    nobody = token(subject="n", grants=[])
    assert (await gql(FEED, {}, token=nobody))["events"]["edges"] == []
    errors = await gql.errors(FEED, {}, token=None)
    assert errors[0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_bad_arguments_are_named(gql: Any, make: Any) -> None:
    for variables, field in (
        ({"types": ["coupon.exploded"]}, "types"),
        ({"after": "not a cursor"}, "after"),
        ({"first": 0}, "first"),
        ({"site": "nope"}, "siteId"),
    ):
        errors = await gql.errors(FEED, variables)
        assert field in errors[0]["message"], errors


CREATE_ORGANISATION = """mutation($name: String!) { createOrganisation(input: {name: $name}) {
  organisation { id } userErrors { code } } }"""


async def test_a_later_commit_waits_for_an_earlier_transaction(
    gql: Any, db: Any, is_postgres: bool
) -> None:
    """A transaction that began writing first but commits last comes first in the feed, and
    nothing after it is handed out before it commits: a cursor never passes an event."""
    if not is_postgres:
        pytest.skip("SQLite serialises writers: a second one waits for the first's commit")
    sessions = write_sessions(db)
    async with sessions() as first, first.begin():
        await row_statements.insert_row(
            first, t.ORGANISATION, {**new_record(Actor("slow"), utcnow()), "name": "Slow"}
        )
        await gql(CREATE_ORGANISATION, {"name": "Quick"})
        assert (await feed(gql))["edges"] == []
    names = [e["node"]["payload"]["name"] for e in (await feed(gql))["edges"]]
    assert names == ["Slow", "Quick"]


async def test_a_page_is_one_statement(gql: Any, app: Any, make: Any) -> None:
    shop = await open_shop(make)
    for n in range(30):
        await gql(CREATE_CODE, {"site": gid(shop.site), "code": f"MANY{n}"})
    reader = token(subject="r", grants=[{"roles": ["DiscountCode-Read"], "sites": [shop.site.id]}])
    for variables, caller in (({"first": 25}, reader), ({"site": gid(shop.site)}, None)):
        chosen = caller or token(subject="admin", admin=True)
        with statements_run(app.state.engine) as seen:
            answer = (await gql(FEED, variables, token=chosen))["events"]
        assert len(answer["edges"]) in (25, 30)
        # (SQLite's read transaction: a BEGIN beside it)
        assert len([s for s in seen if s.strip().upper() != "BEGIN"]) == 1, seen
