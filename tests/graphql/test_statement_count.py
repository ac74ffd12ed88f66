"""Statements per request depend on the query's depth, never on the number of rows."""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any

import pytest

from tests.fast_switch import FAST_PATH, fast_stats
from tests.http.conftest import statements_run

DEEP_QUERY = """
query Deep($first: Int!) {
  coupons(first: $first) {
    totalCount
    nodes {
      name
      site { name currency }
      terms { kind eligibleCategories { category itemIds } }
      codes(first: 5) {
        nodes {
          code
          coupon { name }
          redemptions(first: 2) { nodes { amount customer { fullName } } }
          assignments(first: 2) {
            nodes { timesUsed customer { fullName organisation { name } } }
          }
        }
      }
    }
  }
}
"""


def count_statements(engine: Any) -> AbstractContextManager[list[str]]:
    """The statements a request sends, transaction control left out (as
    tests/http/conftest.py's `statements_run` counts, SQLite's busy timeout aside)."""
    return statements_run(engine, transaction_control=False)


async def _seed(make: Any, coupons: int) -> None:
    org = await make.organisation()
    site = await make.site(org)
    customers = [await make.customer(org) for _ in range(3)]
    for i in range(coupons):
        coupon = await make.coupon(site, discount_bookings=True)
        for j in range(2):
            code = await make.coupon_code(coupon)
            await make.assignment(customers[(i + j) % 3], code)
            await make.redemption(code, customer_id=customers[j].id)


async def _statements_for(gql: Any, app: Any, first: int) -> tuple[list[str], dict[str, Any]]:
    with count_statements(app.state.engine) as seen:
        data = await gql(DEEP_QUERY, {"first": first})
    return seen, data


@pytest.mark.slow
async def test_deep_query_statements_do_not_grow_with_rows(gql: Any, make: Any, app: Any) -> None:
    await _seed(make, 200)
    counts = {}
    for size in (10, 200):
        statements, data = await _statements_for(gql, app, size)
        nodes = data["coupons"]["nodes"]
        assert len(nodes) == size
        assert all(len(n["codes"]["nodes"]) == 2 for n in nodes)
        assert all(
            code["assignments"]["nodes"][0]["customer"]["organisation"]["name"]
            and code["redemptions"]["nodes"][0]["customer"]["fullName"]
            for n in nodes
            for code in n["codes"]["nodes"]
        )
        counts[size] = len(statements)
    # One statement per relationship level (coupons, sites, eligible items, codes, coupons by
    # id, redemptions, assignments, customers, organisations); customers may come in two
    # batches because two lists at the same depth resolve at different moments.
    assert counts[10] == counts[200] <= 10, counts


@pytest.mark.slow
async def test_relationships_resolve_once_per_level_not_once_per_parent(
    gql: Any, make: Any, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The plan executor calls a relationship's batch once for all the parents of a level:
    the deep query makes as many batch calls for 200 coupons as for 10."""
    if not (FAST_PATH and settings.plan_executor):
        pytest.skip("the plan executor is switched off")
    # Batches are the Python path: lists rendered in the database (PostgreSQL) skip them.
    # Undone after the test: the settings are the session's, and a later test that counts
    # rendered lists (tests/graphql/test_default_order.py) would find rendering off.
    monkeypatch.setattr(settings, "render_in_database", False)
    await _seed(make, 200)
    calls = {}
    for size in (10, 200):
        before = fast_stats()["batches"]
        data = await gql(DEEP_QUERY, {"first": size})
        assert len(data["coupons"]["nodes"]) == size
        calls[size] = fast_stats()["batches"] - before
    # coupons; site, terms, codes; eligibleCategories, coupon, redemptions, assignments;
    # the customers of the redemptions and of the assignments; organisation
    assert calls[10] == calls[200] == 11, calls
