"""Keyset connections: pages, cursors that survive inserts and deletes, limits, totals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from app.db import tables as t

PAGE = """
query Page($first: Int, $after: String, $last: Int, $before: String, $order: CouponOrder,
           $filter: CouponFilter) {
  coupons(first: $first, after: $after, last: $last, before: $before, orderBy: $order,
          filter: $filter) {
    totalCount
    edges { cursor node { name } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}
"""


async def _coupons(make: Any, count: int) -> tuple[Any, list[Any]]:
    org = await make.organisation()
    site = await make.site(org)
    base = datetime(2025, 1, 1, tzinfo=UTC)
    coupons = [
        await make.coupon(
            site,
            name=f"C{i:02d}",
            max_uses=None if i % 3 == 0 else i,
            valid_to=base + timedelta(days=i % 4),
        )
        for i in range(count)
    ]
    return site, coupons


def names(data: dict[str, Any]) -> list[str]:
    return [e["node"]["name"] for e in data["coupons"]["edges"]]


async def test_forward_pages_cover_every_row_once(gql: Any, make: Any) -> None:
    await _coupons(make, 7)
    seen: list[str] = []
    after = None
    while True:
        data = await gql(PAGE, {"first": 3, "after": after})
        seen += names(data)
        info = data["coupons"]["pageInfo"]
        assert data["coupons"]["totalCount"] == 7
        assert info["hasPreviousPage"] == (after is not None)
        if not info["hasNextPage"]:
            break
        after = info["endCursor"]
    assert seen == [f"C{i:02d}" for i in range(7)]


async def test_backward_pages(gql: Any, make: Any) -> None:
    await _coupons(make, 5)
    data = await gql(PAGE, {"last": 2})
    assert names(data) == ["C03", "C04"]
    assert data["coupons"]["pageInfo"] == {
        **data["coupons"]["pageInfo"],
        "hasPreviousPage": True,
        "hasNextPage": False,
    }
    before = data["coupons"]["pageInfo"]["startCursor"]
    data = await gql(PAGE, {"last": 2, "before": before})
    assert names(data) == ["C01", "C02"]
    assert data["coupons"]["pageInfo"]["hasNextPage"] is True
    assert data["coupons"]["pageInfo"]["hasPreviousPage"] is True


async def test_cursor_stays_correct_when_rows_change_between_pages(
    gql: Any, make: Any, db: Any
) -> None:
    site, coupons = await _coupons(make, 6)
    first = await gql(PAGE, {"first": 3})
    assert names(first) == ["C00", "C01", "C02"]
    # A row before the cursor is soft-deleted and new rows arrive: the next page neither
    # repeats nor skips anything (offset cursors would skip C03).
    async with db.begin() as connection:
        table = t.Coupon.__table__
        await connection.execute(
            sa.update(table).where(table.c.id == coupons[0].id).values(deleted_at=datetime.now(UTC))
        )
    await make.coupon(site, name="C99")
    second = await gql(PAGE, {"first": 3, "after": first["coupons"]["pageInfo"]["endCursor"]})
    assert names(second) == ["C03", "C04", "C05"]
    assert second["coupons"]["pageInfo"]["hasNextPage"] is True


async def test_order_by_nullable_field_descending_pages_consistently(gql: Any, make: Any) -> None:
    await _coupons(make, 9)
    order = {"field": "MAX_USES", "direction": "DESC"}
    seen: list[str] = []
    after = None
    while True:
        data = await gql(PAGE, {"first": 2, "after": after, "order": order})
        seen += names(data)
        if not data["coupons"]["pageInfo"]["hasNextPage"]:
            break
        after = data["coupons"]["pageInfo"]["endCursor"]
    # max_uses = i except every third is NULL; NULLs last, ties broken by id (descending).
    expected = sorted(
        (f"C{i:02d}" for i in range(9)),
        key=lambda n: (int(n[1:]) % 3 == 0, -(int(n[1:]) if int(n[1:]) % 3 else 0), -int(n[1:])),
    )
    assert seen == expected


async def test_pages_through_ties_of_a_non_null_sort_both_ways(gql: Any, make: Any) -> None:
    """Every coupon has used 0 times: a sort on a column that never is NULL, all ties, the
    id deciding (the cursor condition is then one row-value comparison, `(sort, id) > (...)`).
    Forward and backward, ascending and descending, each row comes once, in order."""
    await _coupons(make, 7)
    ascending = [f"C{i:02d}" for i in range(7)]
    for direction, expected in (("ASC", ascending), ("DESC", ascending[::-1])):
        order = {"field": "TIMES_USED", "direction": direction}
        seen: list[str] = []
        after = None
        while True:
            data = await gql(PAGE, {"first": 2, "after": after, "order": order})
            seen += names(data)
            info = data["coupons"]["pageInfo"]
            assert info["hasPreviousPage"] == (after is not None)
            if not info["hasNextPage"]:
                break
            after = info["endCursor"]
        assert seen == expected
        back: list[str] = []
        before = None
        while True:
            data = await gql(PAGE, {"last": 3, "before": before, "order": order})
            back = names(data) + back
            info = data["coupons"]["pageInfo"]
            assert info["hasNextPage"] == (before is not None)
            if not info["hasPreviousPage"]:
                break
            before = info["startCursor"]
        assert back == expected


async def test_total_count_honours_the_filter(gql: Any, make: Any) -> None:
    await _coupons(make, 8)
    data = await gql(PAGE, {"first": 1, "filter": {"maxUses": {"gte": 4}}})
    assert data["coupons"]["totalCount"] == 3  # 4, 5, 7 (every third has no cap)
    data = await gql(
        PAGE, {"first": 10, "filter": {"or": [{"name": {"eq": "C01"}}, {"maxUses": {"eq": 2}}]}}
    )
    assert names(data) == ["C01", "C02"]


async def test_page_size_limits_and_bad_arguments_are_clear_errors(gql: Any, make: Any) -> None:
    await _coupons(make, 1)
    (error,) = await gql.errors(PAGE, {"first": 1001})
    assert "first" in error["message"] and "1000" in error["message"]
    (error,) = await gql.errors(PAGE, {"first": 1, "last": 1})
    assert "first and last" in error["message"]
    (error,) = await gql.errors(PAGE, {"first": 1, "after": "bm90LWEtY3Vyc29y"})
    assert error["message"].startswith("after:")
    data = await gql(PAGE, {"first": 1})
    cursor = data["coupons"]["pageInfo"]["endCursor"]
    (error,) = await gql.errors(PAGE, {"first": 1, "after": cursor, "order": {"field": "NAME"}})
    assert "not a cursor of this list in this order" in error["message"]


async def test_default_page_size_is_25(gql: Any, make: Any) -> None:
    await _coupons(make, 30)
    data = await gql(PAGE, {})
    assert len(data["coupons"]["edges"]) == 25
    assert data["coupons"]["pageInfo"]["hasNextPage"] is True


async def test_nested_connections_page_per_parent(gql: Any, make: Any) -> None:
    org = await make.organisation()
    site = await make.site(org)
    for n in (0, 1, 4):
        coupon = await make.coupon(site, name=f"N{n}")
        for i in range(n):
            await make.coupon_code(coupon, code=f"N{n}X{i}")
    query = """query($after: String) { coupons { nodes { name codes(first: 2, after: $after) {
        totalCount nodes { code } pageInfo { hasNextPage hasPreviousPage endCursor } } } } }"""
    data = await gql(query)
    by_name = {n["name"]: n["codes"] for n in data["coupons"]["nodes"]}
    assert by_name["N0"]["totalCount"] == 0 and by_name["N0"]["nodes"] == []
    assert [c["code"] for c in by_name["N4"]["nodes"]] == ["N4X0", "N4X1"]
    assert by_name["N4"]["pageInfo"]["hasNextPage"] is True
    assert by_name["N1"]["pageInfo"]["hasNextPage"] is False
    after = by_name["N4"]["pageInfo"]["endCursor"]
    data = await gql(query, {"after": after})
    page = {n["name"]: n["codes"] for n in data["coupons"]["nodes"]}["N4"]
    assert [c["code"] for c in page["nodes"]] == ["N4X2", "N4X3"]
    assert page["totalCount"] == 4
    assert page["pageInfo"]["hasPreviousPage"] is True and page["pageInfo"]["hasNextPage"] is False


async def test_hand_made_cursors_with_wrong_values_are_clear_errors(gql: Any, make: Any) -> None:
    import base64

    import orjson

    await _coupons(make, 2)
    for order, values in (
        (None, ["ID", ["abc"]]),
        (None, ["ID", [True]]),
        ({"field": "CREATED_AT"}, ["CREATED_AT", ["2025-01-01T00:00:00", 1]]),
        ({"field": "KIND"}, ["KIND", ["NOT_A_KIND", 1]]),
        ({"field": "MAX_USES"}, ["MAX_USES", [0, "many", 1]]),
        ({"field": "EXTERNAL_ID"}, ["EXTERNAL_ID", [0, 42, 1]]),
    ):
        cursor = base64.urlsafe_b64encode(orjson.dumps(values)).decode()
        (error,) = await gql.errors(PAGE, {"first": 1, "after": cursor, "order": order})
        assert error["message"] == "after: not a cursor of this list in this order"
        assert error["extensions"]["code"] == "BAD_USER_INPUT"


async def test_an_empty_page_still_reports_total_and_flags(gql: Any, make: Any) -> None:
    await _coupons(make, 3)
    data = await gql(PAGE, {"first": 0})
    assert data["coupons"]["edges"] == []
    assert data["coupons"]["totalCount"] == 3
    assert data["coupons"]["pageInfo"]["hasNextPage"] is True
    last = (await gql(PAGE, {"first": 3}))["coupons"]["pageInfo"]["endCursor"]
    data = await gql(PAGE, {"first": 2, "after": last})
    assert data["coupons"]["edges"] == [] and data["coupons"]["totalCount"] == 3
    assert data["coupons"]["pageInfo"]["hasPreviousPage"] is True


async def test_a_page_shows_the_same_whatever_else_the_selection_asks_for(
    gql: Any, make: Any
) -> None:
    """The SQL leaves out what the selection does not show (total, the far-side flag,
    cursors): each part asked alone equals the same part asked with everything."""
    org = await make.organisation()
    site = await make.site(org)
    for n in (0, 1, 3, 6):
        coupon = await make.coupon(site, name=f"P{n}")
        for i in range(n):
            await make.coupon_code(coupon, code=f"P{n}X{i}")
    everything = "totalCount nodes { code } edges { cursor } pageInfo { hasNextPage hasPreviousPage startCursor endCursor }"
    parts = [
        "nodes { code }",
        "totalCount",
        "pageInfo { hasPreviousPage }",
        "pageInfo { hasNextPage }",
        "edges { cursor }",
        "nodes { code } pageInfo { hasNextPage endCursor }",
    ]
    query = "query($w: Int, $l: Int, $a: String, $b: String) { coupons { nodes { name codes(first: $w, last: $l, after: $a, before: $b) { %s } } } }"

    async def pages(selection: str, variables: dict[str, Any]) -> dict[str, Any]:
        data = await gql(query % selection, variables)
        return {n["name"]: n["codes"] for n in data["coupons"]["nodes"]}

    full = await pages(everything, {"w": 2})
    middle = full["P6"]["edges"][1]["cursor"]  # after the second code of P6
    for variables in ({"w": 2}, {"l": 2}, {"w": 2, "a": middle}, {"l": 1, "b": middle}):
        whole = await pages(everything, variables)
        for selection in parts:
            partial = await pages(selection, variables)
            for name, page in partial.items():
                for key, value in page.items():
                    expected = whole[name][key]
                    if key == "pageInfo":
                        expected = {k: expected[k] for k in value}
                    assert value == expected, (selection, variables, name, key)
    assert whole["P6"]["pageInfo"]["hasNextPage"] is True  # the last window: before the cursor


async def test_a_top_level_page_shows_the_same_whatever_else_is_asked(gql: Any, make: Any) -> None:
    await _coupons(make, 6)
    full = await gql(PAGE, {"first": 2})
    middle = full["coupons"]["edges"][1]["cursor"]
    selections = [
        "totalCount",
        "pageInfo { hasPreviousPage }",
        "pageInfo { hasNextPage }",
        "edges { node { name } }",
    ]
    query = "query($first: Int, $after: String, $last: Int, $before: String) { coupons(first: $first, after: $after, last: $last, before: $before) { %s } }"
    for variables in (
        {"first": 2},
        {"last": 2},
        {"first": 2, "after": middle},
        {"last": 1, "before": middle},
    ):
        whole = (await gql(PAGE, variables))["coupons"]
        for selection in selections:
            part = (await gql(query % selection, variables))["coupons"]
            for key, value in part.items():
                expected = whole[key]
                if key == "pageInfo":
                    expected = {k: expected[k] for k in value}
                elif key == "edges":
                    expected = [{"node": e["node"]} for e in expected]
                assert value == expected, (selection, variables, key)
