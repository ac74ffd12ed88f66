"""Nested pages asked as Relay asks them (edges, each with its cursor and node, and page
info) are read as one array of edges, one more than the page (app.fast.json_sql.edge_rows):
they answer as Python builds them, for pages empty, short and full, under aliases, with the
count, and with the page's cursors with or without the edges' own."""

from __future__ import annotations

import base64
from typing import Any

import pytest
import sqlalchemy as sa

from app.fast import json_sql
from tests.fast.test_rendering import Rendering, _both, _seed

QUERY = "query($n: Int, $o: CouponCodeOrder) { coupons(first: 4) { edges { node { name codes(first: $n, orderBy: $o) { %s } } } } }"  # noqa: E501

PARTS = (
    "edges { cursor node { code } } pageInfo { endCursor hasNextPage }",
    "pageInfo { startCursor endCursor hasNextPage hasPreviousPage } edges { cursor node { code } }",
    "edges { __typename c: cursor node { id } d: cursor } pageInfo { startCursor endCursor }",
    "totalCount edges { node { code validTo } } pageInfo { hasNextPage __typename } __typename",
    "edges { node { code } } pageInfo { endCursor }",  # the page's cursor, not the edges'
    "edges { cursor } pageInfo { hasNextPage }",
    "edges { node { code } } e: edges { cursor }",  # edges under two keys
)


async def test_relay_pages_render_as_python_builds_them(
    gql: Any, make: Any, rendering: Rendering
) -> None:
    await _seed(make)
    for part in PARTS:
        for size in (0, 1, 2, 3, 5):
            for order in (None, {"field": "VALID_TO", "direction": "DESC"}):
                body = await _both(gql, rendering, QUERY % part, {"n": size, "o": order})
                assert "errors" not in body, body


async def test_long_cursors_render_as_python_writes_them(
    gql: Any, make: Any, rendering: Rendering
) -> None:
    """Cursors longer than one base64 line (PostgreSQL breaks them every 76 characters, the
    breaks taken out) and whose base64 holds `+` and `/` (made `-` and `_`)."""
    organisation = await make.organisation()
    site = await make.site(organisation)
    coupon = await make.coupon(site)
    for index in range(4):
        # "?>" and "?~" encode to base64 with "/" and "+"; long: several lines of base64
        await make.coupon_code(coupon, external_id=f"?>?~ {index} " + "ü~>?" * (8 * index))
    query = """query($o: CouponCodeOrder) { coupons(first: 1) { edges { node {
      codes(first: 3, orderBy: $o) { edges { cursor } pageInfo { startCursor endCursor } } } } } }"""
    for order in ({"field": "EXTERNAL_ID"}, {"field": "EXTERNAL_ID", "direction": "DESC"}):
        body = await _both(gql, rendering, query, {"o": order})
        cursors = [
            edge["cursor"] for edge in body["data"]["coupons"]["edges"][0]["node"]["codes"]["edges"]
        ]
        assert max(len(cursor) for cursor in cursors) > 120
        assert any("-" in c for c in cursors) and any("_" in c for c in cursors)


async def test_cursors_at_the_length_of_one_base64_line(db: Any, is_postgres: bool) -> None:
    """A cursor whose JSON is bounded below one base64 line (57 bytes: PostgreSQL breaks the
    line after them, also at the end) skips taking the breaks out: around 57 bytes, with the
    bound told and not, the cursor is base64url of the same JSON."""
    if not is_postgres:
        pytest.skip("cursors are rendered in PostgreSQL only")
    async with db.connect() as connection:
        for size in (55, 56, 57, 58, 114):
            value = "1" * (size - len('["S",[]]'))
            expected = base64.urlsafe_b64encode(f'["S",[{value}]]'.encode()).decode()
            for longest in (None, len(value)):
                spelled = json_sql.cursor("S", [sa.literal_column(f"'{value}'")], longest)
                found = (await connection.execute(sa.select(spelled))).scalar_one()
                assert found == expected, (size, longest)


async def test_plain_cursors_need_no_base64url_replacing(db: Any, is_postgres: bool) -> None:
    """Cursors of numbers, instants, booleans and UUIDs (ASCII without `>`, `?`, `~`) are
    base64 without `+` or `/`: written as PostgreSQL encodes them, they are base64url."""
    if not is_postgres:
        pytest.skip("cursors are rendered in PostgreSQL only")
    values = [
        "0", "-1", "2147483647", "-2147483648", "9223372036854775807", "true", "false", "null",
        '"2024-06-01T12:00:00.000001+00:00"', '"0000ffff-ffff-4fff-bfff-ffffffffffff"',
        *(str(n) for n in range(-300, 3000, 7)),
    ]  # fmt: skip
    async with db.connect() as connection:
        for name in ("ID", "VALID_TO", "TIMES_USED"):
            for first, second in zip(values, reversed(values), strict=True):
                pair = [sa.literal_column(f"'{first}'"), sa.literal_column(f"'{second}'")]
                spelled = json_sql.cursor(name, pair, None, plain=True)
                found = (await connection.execute(sa.select(spelled))).scalar_one()
                written = f'["{name}",[{first},{second}]]'.encode()
                assert found == base64.urlsafe_b64encode(written).decode(), written


TOP_PAGE = """query($first: Int, $after: String, $last: Int, $before: String, $o: CouponCodeOrder) {
  couponCodes(first: $first, after: $after, last: $last, before: $before, orderBy: $o) {
    edges { cursor node { code validTo timesUsed } }
    pageInfo { startCursor endCursor hasNextPage hasPreviousPage } } }"""


async def test_top_level_cursor_pages_render_as_python_builds_them(
    gql: Any, make: Any, rendering: Rendering
) -> None:
    """A top-level list paged by its cursors, forward and backward, on sorts whose cursor
    condition is one row-value comparison (a NOT NULL column with ties: timesUsed is 0 for
    every code; the id alone) and on a nullable one (validTo, NULLs last, where it stays the
    OR of its prefixes): each page answers as Python builds it, and the pages cover every
    code once, in the list's order."""
    await _seed(make)
    orders = [
        {"field": field, "direction": direction}
        for field in ("TIMES_USED", "VALID_TO", "CREATED_AT")
        for direction in ("ASC", "DESC")
    ]
    for order in (None, *orders):
        whole = await _both(gql, rendering, TOP_PAGE, {"first": 50, "o": order})
        expected = [edge["node"] for edge in whole["data"]["couponCodes"]["edges"]]
        assert len(expected) == 12
        seen: list[Any] = []
        after = None
        while True:
            body = await _both(gql, rendering, TOP_PAGE, {"first": 5, "after": after, "o": order})
            page = body["data"]["couponCodes"]
            seen += [edge["node"] for edge in page["edges"]]
            if not page["pageInfo"]["hasNextPage"]:
                break
            after = page["pageInfo"]["endCursor"]
        assert seen == expected
        back: list[Any] = []
        before = None
        while True:
            variables = {"last": 5, "before": before, "o": order}
            page = (await _both(gql, rendering, TOP_PAGE, variables))["data"]["couponCodes"]
            back = [edge["node"] for edge in page["edges"]] + back
            if not page["pageInfo"]["hasPreviousPage"]:
                break
            before = page["pageInfo"]["startCursor"]
        assert back == expected
