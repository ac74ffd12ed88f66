"""A document that leaves the fast path is counted each time and logged once (app.fast.fall_offs)."""

from __future__ import annotations

import logging
from typing import Any

from prometheus_client import REGISTRY

from app.fast import fall_offs

METRIC = "discounts_fast_path_fall_offs_total"


def _count(stage: str, reason: str) -> float:
    return REGISTRY.get_sample_value(METRIC, {"stage": stage, "reason": reason}) or 0.0


def _lines(caplog: Any) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "app.fast.fall_offs"]


async def test_a_replayed_document_is_counted_every_time_and_logged_once(
    gql: Any, caplog: Any
) -> None:
    fall_offs.forget()
    caplog.set_level(logging.INFO, logger="app.fast.fall_offs")
    # Two root fields fail: which error graphql-core records first depends on its
    # scheduling, so the standard executor answers (see app.fast.executor.run).
    query = 'query Twice { a: coupon(id: "nope") { id } b: customer(id: "nope") { id } }'
    before = _count("replay", "competing errors")
    for _ in range(3):
        response = await gql.post(query, {})
        assert len(response.json()["errors"]) == 2
    assert _count("replay", "competing errors") - before == 3
    lines = _lines(caplog)
    assert len(lines) == 1, lines
    assert "operation Twice" in lines[0] and "competing errors" in lines[0]
    # Another document is another shape: logged too.
    await gql.post(query.replace("Twice", "Again"), {})
    assert len(_lines(caplog)) == 2


async def test_a_list_that_does_not_render_says_where_and_why(
    gql: Any, make: Any, caplog: Any, is_postgres: bool
) -> None:
    fall_offs.forget()
    caplog.set_level(logging.INFO, logger="app.fast.fall_offs")
    org = await make.organisation()
    coupon = await make.coupon(await make.site(org))
    for _ in range(2):
        await make.coupon_code(coupon)
    query = """query Paged { coupons(first: 2) { nodes { name
      codes(first: 1, after: null, last: 1) { nodes { code } } } } }"""
    reason = "nested page with after, before or last"
    before = _count("render", reason)
    for _ in range(2):
        await gql.post(query, {})
    rendered = [line for line in _lines(caplog) if "render" in line]
    if not is_postgres:  # nothing renders on SQLite: nothing falls off rendering either
        assert rendered == [] and _count("render", reason) == before
        return
    assert _count("render", reason) - before == 2
    assert len(rendered) == 1, rendered
    assert "operation Paged" in rendered[0] and "at coupons" in rendered[0]


async def test_client_documents_take_the_fast_path_whole(gql: Any, make: Any, caplog: Any) -> None:
    """Fragments, edges with cursors, page cursors, aliases, directives and a node refetch:
    nothing of it falls off (on PostgreSQL: every list and lookup renders)."""
    fall_offs.forget()
    caplog.set_level(logging.INFO, logger="app.fast.fall_offs")
    org = await make.organisation()
    coupon = await make.coupon(await make.site(org))
    code = await make.coupon_code(coupon)
    from app.graphql.ids import to_global_id

    query = """query Client($with: Boolean!, $id: ID!) {
      coupons(first: 5) { pageInfo { endCursor hasNextPage } totalCount
        edges { cursor node { ...Card } } }
      node(id: $id) { __typename ... on CouponCode { ...Row coupon { ...Card } } }
    }
    fragment Card on Coupon { id name description @include(if: $with)
      codes(first: 3) { pageInfo { startCursor endCursor } edges { cursor node { ...Row } } }
      few: codes(first: 1) { nodes { ...Row } } }
    fragment Row on CouponCode { id code ... on Record { createdAt } }"""
    for flag in (True, False):
        await gql(query, {"with": flag, "id": to_global_id("CouponCode", code.id)})
    assert _lines(caplog) == []
