"""Nodes rendered in PostgreSQL answer exactly as nodes built in Python (app.fast.rendering).

Each query runs twice through HTTP, rendering on and off, and the two bodies must be the same
JSON, keys in the same order. On SQLite nothing is rendered and the pairs agree trivially;
the suite-wide shadow (tests/executor/shadow.py) also holds every request here to graphql-core's
standard executor.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from app.db import tables as t
from app.domain.enums import CustomerKind
from app.fast.executor import PlanExecutionContext
from app.fast.lookups import LookupSchema
from tests.conftest import token
from tests.graphql.test_statement_count import count_statements

RECORD = "id uniqueId createdAt updatedAt updatedBy deletedAt externalId __typename"
CUSTOMER = f"{RECORD} kind fullName billingName companyName email isMember"
CODE = f"{RECORD} code validFrom validTo multiUse customerCreditId revenue timesUsed"
ASSIGNMENT = f"{RECORD} validFrom expiresOn timesUsed notes bookingReference referrerUniqueId"

DEEP = f"""query Deep($first: Int!, $codes: Int) {{
  coupons(first: $first) {{
    totalCount
    pageInfo {{ hasNextPage endCursor }}
    nodes {{ id name description timesUsed
      codes(first: $codes) {{ totalCount pageInfo {{ hasNextPage hasPreviousPage }}
        nodes {{ {CODE}
          customer {{ {CUSTOMER} }}
          coupon {{ name code: name }}
          assignments(first: 5) {{ __typename nodes {{ {ASSIGNMENT}
            customer {{ ...who }} referrer {{ ...who }} }} }} }} }} }} }}
}}
fragment who on Customer {{ fullName kind organisation {{ name }} }}"""

AWKWARD = 'Zoë "quoted" \\ back\nline\ttab \x01 ☃ 😀'


async def _seed(make: Any) -> dict[str, Any]:
    org = await make.organisation()
    site = await make.site(org)
    other_site = await make.site(org)
    person = await make.customer(org, email="p@example.com")
    company = await make.customer(
        org, kind=CustomerKind.COMPANY, company_name=AWKWARD, billing_name=None, is_member=True
    )
    instant = datetime(2025, 3, 4, 5, 6, 7, tzinfo=UTC)
    coupons = []
    for i in range(4):
        coupon = await make.coupon(
            site if i % 2 else other_site, description=AWKWARD if i else None
        )
        coupons.append(coupon)
        for j in range(3):
            code = await make.coupon_code(
                coupon,
                valid_from=instant + timedelta(microseconds=j * 250_001),  # with and without
                # a fraction with trailing zeros (written in full), NULL
                valid_to=None if j else instant + timedelta(days=30, microseconds=500_000),
                customer_id=company.id if j else None,
                customer_credit_id=AWKWARD if j == 2 else None,
                revenue=1234 if j == 0 else None,
                multi_use=j % 2 == 0,
            )
            await make.assignment(person, code, notes=AWKWARD, referrer_id=company.id)
            await make.assignment(company, code, booking_reference="B-1")
    return {"site": site, "other_site": other_site, "coupons": coupons}


Rendering = Callable[[bool], None]  # the `rendering` fixture (tests/fast/conftest.py)


def _rendered() -> int:
    """Records rendered so far: by the plan executor, or by a lookup's remembered statement
    (app.fast.lookups: the renderer's own statement, run without the executor)."""
    looked_up = LookupSchema.lookup_stats
    return PlanExecutionContext.stats["rendered"] + looked_up["answered"] - looked_up["learning"]


async def _both(
    gql: Any, rendering: Rendering, query: str, variables: dict[str, Any], **kw: Any
) -> Any:
    answers = []
    for render in (True, False):
        rendering(render)
        response = await gql.post(query, variables, **kw)
        assert response.status_code == 200, response.text
        answers.append(response.json())
    rendering(True)
    rendered, built = answers
    # Same JSON, same key order.
    assert json.dumps(rendered) == json.dumps(built)
    return rendered


async def test_a_deep_list_renders_as_python_builds_it(
    gql: Any, make: Any, rendering: Rendering
) -> None:
    await _seed(make)
    for variables in ({"first": 10, "codes": 2}, {"first": 3, "codes": None}, {"first": 0}):
        body = await _both(gql, rendering, DEEP, variables)
        assert "errors" not in body
    nodes = body and (await _both(gql, rendering, DEEP, {"first": 10, "codes": 3}))["data"]
    codes = [c for n in nodes["coupons"]["nodes"] for c in n["codes"]["nodes"]]
    assert len(codes) == 12
    assert {c["customer"]["companyName"] for c in codes if c["customer"]} == {AWKWARD}
    assert any("." in c["validFrom"] for c in codes) and any(
        "." not in c["validFrom"] for c in codes
    )


async def test_scope_soft_deletion_filters_and_order_hold_in_rendered_lists(
    gql: Any, make: Any, rendering: Rendering, db: Any
) -> None:
    seeded = await _seed(make)
    # A soft-deleted code and assignment, seen only by lists that ask for them.
    coupon = seeded["coupons"][1]
    async with db.begin() as connection:
        import sqlalchemy as sa

        table = t.CouponCode.__table__
        first_code = (
            await connection.execute(
                sa.select(table.c.id).where(table.c.coupon_id == coupon.id).order_by(table.c.id)
            )
        ).scalar()
        await connection.execute(
            table.update()
            .where(table.c.id == first_code)
            .values(deleted_at=datetime(2025, 5, 1, tzinfo=UTC))
        )
    query = """query Lists($trashed: Trashed, $nested: Trashed) {
      coupons(first: 10, trashed: $trashed, orderBy: {field: CREATED_AT, direction: DESC}) {
        nodes { name
          codes(first: 2, trashed: $nested, orderBy: {field: CODE, direction: DESC},
                filter: {multiUse: {eq: true}}) {
            totalCount pageInfo { hasNextPage } nodes { code deletedAt multiUse } }
          all: codes(first: 10) { totalCount nodes { code deletedAt } } } }
    }"""
    for trashed in (None, "WITH", "ONLY"):
        for nested in (None, "WITH", "WITHOUT"):
            await _both(gql, rendering, query, {"trashed": trashed, "nested": nested})
    # A reader of one site sees that site's coupons, codes and assignments only.
    reader = token(
        subject="reader@example.com",
        grants=[{"roles": ["Coupon-Read", "Coupon-List", "CouponCode-Read", "CouponCode-List",
                           "Assignment-Read", "Assignment-List"],
                 "sites": [seeded["site"].id]}],
    )  # fmt: skip
    body = await _both(gql, rendering, DEEP, {"first": 10, "codes": 5}, token=reader)
    assert len(body["data"]["coupons"]["nodes"]) == 2


async def test_selections_rendering_cannot_spell_are_built_in_python(
    gql: Any, make: Any, rendering: Rendering
) -> None:
    await _seed(make)
    for query in (
        "{ coupons(first: 5) { nodes { a: codes(first: 1) { nodes { code } } a: codes(first: 1) { totalCount } } } }",
        "{ coupons(first: 5) { nodes { name terms { kind percentage } } } }",
        "{ coupons(first: 5) { nodes { codes(first: 2, after: null, last: 1) { nodes { code } } } } }",
        "{ coupons(first: 5) { nodes { site { name } codes { nodes { code } } } } }",
        "{ customers(first: 5) { nodes { fullName ... on Node { id } } } }",
    ):
        await _both(gql, rendering, query, {})


async def test_a_rendered_deep_list_is_one_statement(
    gql: Any, make: Any, app: Any, rendering: Rendering, is_postgres: bool
) -> None:
    if not is_postgres:
        pytest.skip("nodes are rendered in PostgreSQL only")
    await _seed(make)
    counts = {}
    for render in (True, False):
        rendering(render)
        with count_statements(app.state.engine) as seen:
            await gql(DEEP, {"first": 10, "codes": 3})
        counts[render] = len(seen)
    assert counts[True] == 1 < counts[False], counts


TERMS = """kind percentage amounts { currency amount } minimumSpend { amount currency __typename }
  maximumDiscount { currency } applyToNetPrice membersOnly contactsOnly leadBookerOnly
  boxOfficeOnly maxUses maxUsesPerCustomer maxUsesPerOrder usagePeriod validFrom validTo
  publishFrom publishTo expirationUnit expiresIn active disabledAt isReferral __typename"""


async def _terms_coupons(make: Any) -> list[Any]:
    from app.domain.enums import DiscountKind, ExpirationUnit, UsagePeriod

    org = await make.organisation()
    site = await make.site(org)
    instant = datetime(2025, 3, 4, 5, 6, 7, 89, tzinfo=UTC)
    return [
        await make.coupon(site, percentage_bp=1250, minimum_spend={"USD": 1000, "EUR": 900, "GBP": 800}),
        await make.coupon(site, percentage_bp=5, max_uses=3, usage_period=UsagePeriod.P1M,
                          members_only=True, disabled_at=instant, publish_to=instant),
        await make.coupon(site, kind=DiscountKind.FIXED, amounts={"GBP": 500, "EUR": 550},
                          maximum_discount={"GBP": 2500}, expiration_unit=ExpirationUnit.DAY,
                          expires_in=30, is_referral=True),
    ]  # fmt: skip


async def test_terms_render_as_python_builds_them(
    gql: Any, make: Any, rendering: Rendering, is_postgres: bool
) -> None:
    coupons = await _terms_coupons(make)
    before = PlanExecutionContext.stats["rendered"]
    body = await _both(
        gql, rendering, f"{{ coupons {{ nodes {{ name terms {{ {TERMS} }} }} }} }}", {}
    )
    # rendered in the database on PostgreSQL (the first of the two requests)
    assert PlanExecutionContext.stats["rendered"] - before == (1 if is_postgres else 0)
    terms = [n["terms"] for n in body["data"]["coupons"]["nodes"]]
    assert [t["percentage"] for t in terms] == ["12.50", "0.05", None]
    assert [m["currency"] for m in terms[0]["minimumSpend"]] == ["EUR", "GBP", "USD"]
    assert terms[1]["active"] is False and terms[2]["amounts"][0] == {
        "currency": "EUR",
        "amount": 550,
    }
    from app.graphql.ids import to_global_id

    for coupon in coupons:  # a lookup by id renders too
        query = f"query One($id: ID!) {{ coupon(id: $id) {{ id name terms {{ {TERMS} }} }} }}"
        found = await _both(gql, rendering, query, {"id": to_global_id("Coupon", coupon.id)})
        assert found["data"]["coupon"]["name"] == coupon.name
    missing = await _both(gql, rendering, '{ coupon(id: "Q291cG9uOjk5OTk5OTk=") { id } }', {})
    assert missing["data"] == {"coupon": None}


async def test_a_render_follows_the_variables_of_its_selection(
    gql: Any, make: Any, rendering: Rendering
) -> None:
    """The same document renders per the values of the variables below the list (a
    directive, a nested list's page size): a render kept for one value is not served for
    another."""
    await _seed(make)
    query = """query Q($with: Boolean!, $codes: Int) {
      coupons(first: 5) { nodes { name description @include(if: $with)
        codes(first: $codes) { nodes { code } } } } }"""
    for variables in (
        {"with": True, "codes": 1},
        {"with": False, "codes": 1},
        {"with": False, "codes": 3},
        {"with": True, "codes": 1},
    ):
        body = await _both(gql, rendering, query, variables)
        node = body["data"]["coupons"]["nodes"][0]
        assert ("description" in node) == variables["with"]
        assert len(node["codes"]["nodes"]) == variables["codes"]


RELAY = """query Relay($first: Int!, $codes: Int!, $order: CouponCodeOrder, $with: Boolean!) {
  coupons(first: $first) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor __typename }
    edges { __typename cursor node { ...CouponCard } } }
}
fragment CouponCard on Coupon { __typename id name
  codes(first: $codes, orderBy: $order) {
    totalCount
    pageInfo { startCursor endCursor hasNextPage hasPreviousPage }
    edges { cursor node { ...CodeRow ... on Node { id } } } }
  first: codes(first: 1) { nodes { ...CodeRow } }
  last: codes(first: 2, orderBy: {field: ID, direction: DESC}) @include(if: $with) {
    edges { cursor } } }
fragment CodeRow on CouponCode { code validFrom customerCreditId ...Audit
  customer { ...Who } }
fragment Audit on Record { uniqueId createdAt }
fragment Who on Customer { fullName companyName }"""

NODE = """query Refetch($id: ID!) {
  node(id: $id) { __typename id
    ... on CouponCode { code ...Audit coupon { name site { name organisation { name } } }
      assignments(first: 2) { edges { cursor node { notes customer { fullName } } } } }
    ... on Coupon { name } } }
fragment Audit on Record { uniqueId createdAt }"""


async def test_client_spellings_render_as_python_builds_them(
    gql: Any, make: Any, rendering: Rendering, is_postgres: bool
) -> None:
    """What codegen and Relay clients write (fragments on types and interfaces, edges with
    cursors, page cursors, aliases with other arguments, a node refetch) renders in
    PostgreSQL, each field as Python writes it; cursors under every kind of sort column
    (integers, instants, nullable instants, text with characters JSON escapes)."""
    from app.graphql.ids import to_global_id

    seeded = await _seed(make)
    before = _rendered()
    orders = [None, {"field": "CODE", "direction": "DESC"}, {"field": "VALID_TO"},
              {"field": "CREATED_AT", "direction": "DESC"}, {"field": "REVENUE"},
              {"field": "EXTERNAL_ID"}]  # fmt: skip
    for order in orders:
        for codes in (0, 1, 3):
            variables = {"first": 3, "codes": codes, "order": order, "with": codes != 1}
            body = await _both(gql, rendering, RELAY, variables)
            assert "errors" not in body, body
    edges = body["data"]["coupons"]["edges"]
    assert edges[0]["cursor"] and edges[0]["node"]["codes"]["edges"][0]["cursor"]
    # A cursor made in PostgreSQL pages on as one made in Python.
    cursor = edges[0]["node"]["codes"]["pageInfo"]["endCursor"]
    coupon = edges[0]["node"]["id"]
    follow = """query Next($id: ID!, $after: String) { coupon(id: $id) {
      codes(first: 2, after: $after, orderBy: {field: EXTERNAL_ID}) { nodes { code } } } }"""
    await _both(gql, rendering, follow, {"id": coupon, "after": cursor})
    listed = await gql(
        "query($id: ID!) { coupon(id: $id) { codes { nodes { id } } } }",
        {"id": to_global_id("Coupon", seeded["coupons"][1].id)},
    )
    codes = [code["id"] for code in listed["coupon"]["codes"]["nodes"]]
    for node in (*codes, to_global_id("Coupon", seeded["coupons"][0].id)):
        body = await _both(gql, rendering, NODE, {"id": node})
        assert body["data"]["node"]["id"] == node
    # Every list and lookup above rendered: 6 x 3 lists, the codes' page after a cursor (its
    # nodes only: the lookup around it is built in Python), the list of codes, 4 lookups.
    if is_postgres:
        assert _rendered() - before == 24


async def test_each_part_of_a_nested_page_renders_alone(
    gql: Any, make: Any, rendering: Rendering
) -> None:
    """A nested page asked for one part only (a flag, a cursor, edges without nodes)
    renders as Python builds it, for pages empty, short and full."""
    await _seed(make)
    query = "query($n: Int) { coupons(first: 5) { nodes { name codes(first: $n) { %s } } } }"
    for part in (
        "pageInfo { hasPreviousPage }",
        "pageInfo { hasNextPage }",
        "pageInfo { startCursor __typename }",
        "pageInfo { endCursor } totalCount",
        "edges { cursor }",
        "edges { __typename } __typename",
        "nodes { code } edges { node { code } }",
    ):
        for size in (0, 1, 3):
            await _both(gql, rendering, query % part, {"n": size})


TOP_EDGES = """query Top($first: Int, $last: Int, $after: String, $order: CouponCodeOrder) {
  couponCodes(first: $first, last: $last, after: $after, orderBy: $order) {
    pageInfo { startCursor endCursor hasNextPage }
    edges { __typename cursor node { __typename code validTo ...Audit } later: cursor } }
}
fragment Audit on Record { uniqueId createdAt }"""


async def test_a_top_level_lists_edges_render_whole(
    gql: Any, make: Any, rendering: Rendering, is_postgres: bool, monkeypatch: Any
) -> None:
    """A top-level list asked as `edges { cursor node }` renders each whole edge (its cursor
    spelled in SQL) under every kind of sort column, forwards, backwards and after a cursor,
    as Python builds the edges; its page cursors still come from the rows' columns."""
    from app.graphql import connections

    await _seed(make)
    whole: list[bool] = []
    made = connections.to_connection

    def spy(*args: Any, builds_edges: bool = False, **kw: Any) -> Any:
        whole.append(builds_edges)
        return made(*args, builds_edges=builds_edges, **kw)

    monkeypatch.setattr(connections, "to_connection", spy)
    orders = [None, {"field": "CODE", "direction": "DESC"}, {"field": "VALID_TO"},
              {"field": "CREATED_AT", "direction": "DESC"}, {"field": "EXTERNAL_ID"}]  # fmt: skip
    for order in orders:
        body = await _both(gql, rendering, TOP_EDGES, {"first": 4, "order": order})
        edges = body["data"]["couponCodes"]["edges"]
        assert len(edges) == 4 and edges[0]["cursor"] == edges[0]["later"]
        page = body["data"]["couponCodes"]["pageInfo"]
        assert (page["startCursor"], page["endCursor"]) == (edges[0]["cursor"], edges[-1]["cursor"])
        after = {"first": 3, "order": order, "after": edges[1]["cursor"]}
        assert (await _both(gql, rendering, TOP_EDGES, after))["data"]["couponCodes"]["edges"][0][
            "cursor"
        ] == edges[2]["cursor"]
        await _both(gql, rendering, TOP_EDGES, {"last": 2, "order": order})
    # Per request: rendering on, the suite's shadow run through the standard executor (which
    # never renders), rendering off, its shadow; on PostgreSQL the first made whole edges.
    assert whole == [is_postgres, False, False, False] * (len(whole) // 4) and whole
