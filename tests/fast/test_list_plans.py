"""A top-level list's plan kept with its document (app.graphql.connections, `_planned_list`:
ordering, filter conditions and what the selection shows, worked out once; the window per
request) answers byte for byte what the plain path answers, while the variables change
between the requests of one document: cursors paging forward and backward, filters, orders,
page sizes, soft deletion, callers with different scopes, and errors in between.

The same requests go to an app with the fast path and to one without it (no plans, no
rendering, strawberry's own execution), in the same order, and every answer must be the same
bytes with the same status."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson
import pytest

from app.auth.roles import Action
from app.fast.executor.cache import PLANS
from tests.engine.support import gid, open_shop, role_token
from tests.fast.test_planned_requests import _send, apps  # noqa: F401 (the fixture)

PAGED = """
query Paged($first: Int, $last: Int, $after: String, $before: String,
            $filter: AssignmentFilter, $order: AssignmentOrder, $trashed: Trashed) {
  assignments(first: $first, last: $last, after: $after, before: $before, filter: $filter,
              orderBy: $order, trashed: $trashed) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { id notes bookingReference timesUsed createdAt } }
  }
}
"""
# As the benchmark asks it: the filter's site a variable inside a literal input, the order
# a literal, nodes only.
SITE_PAGE = """
query SitePage($site: ID!, $after: String, $before: String, $first: Int, $last: Int) {
  assignments(first: $first, last: $last, after: $after, before: $before,
              filter: {siteId: {eq: $site}}, orderBy: {field: CREATED_AT, direction: DESC}) {
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    nodes { id notes createdAt }
  }
}
"""
ORDERS: list[dict[str, Any] | None] = [
    None,
    {"field": "CREATED_AT", "direction": "DESC"},
    {"field": "TIMES_USED"},  # ties
    {"field": "BOOKING_REFERENCE", "direction": "DESC"},  # nullable
    {"field": "EXPIRES_ON"},  # nullable instants
]


@pytest.fixture
async def seeded(make: Any) -> dict[str, Any]:
    """Two sites, eleven assignments each (ties, NULLs, one soft-deleted)."""
    shops = [await open_shop(make), await open_shop(make)]
    start = datetime(2026, 3, 1, tzinfo=UTC)
    for number, shop in enumerate(shops):
        coupon = await make.coupon(shop.site, name=f"Plans {number}")
        codes = [await make.coupon_code(coupon, code=f"PL{number}X{i}") for i in range(3)]
        for index in range(11):
            customer = await make.customer(
                shop.organisation, full_name=("Mia " if index % 2 else "Carl ") + str(index)
            )
            await make.assignment(
                customer,
                codes[index % 3],
                notes=f"n{number}-{index}",
                # some share an instant, some have no reference or expiry
                created_at=start + timedelta(minutes=index // 2),
                booking_reference=None if index % 4 == 0 else f"b{index % 5}",
                expires_on=None if index % 3 == 0 else start + timedelta(days=index),
                times_used=index % 3,
                deleted_at=start if index == 7 else None,
            )
    return {"shops": shops}


class Both:
    """Sends each request to both apps and requires the same answer."""

    def __init__(self, clients: dict[str, httpx.AsyncClient], token: str) -> None:
        self.apps = clients
        self.token = token
        self.sent = 0

    async def ask(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        body = {"query": query, "variables": variables}
        fast = await _send(self.apps["fast"], self.token, body, "POST")
        plain = await _send(self.apps["plain"], self.token, body, "POST")
        assert fast == plain, (variables, fast, plain)
        self.sent += 1
        return orjson.loads(fast[3])  # type: ignore[no-any-return]

    async def walk(self, query: str, variables: dict[str, Any], size: int) -> list[str]:
        """Every page forward from the start, then back from the end: the ids seen, each
        way (the same records, each once, in the order the list holds them)."""
        forward: list[str] = []
        after = None
        while True:
            body = await self.ask(query, {**variables, "first": size, "after": after})
            page = body["data"]["assignments"]
            forward += _ids(page)
            if not page["pageInfo"]["hasNextPage"]:
                break
            after = page["pageInfo"]["endCursor"]
        backward: list[str] = []
        before = None
        while True:
            body = await self.ask(query, {**variables, "last": size, "before": before})
            page = body["data"]["assignments"]
            backward = _ids(page) + backward
            if not page["pageInfo"]["hasPreviousPage"]:
                break
            before = page["pageInfo"]["startCursor"]
        assert forward == backward, variables
        assert len(set(forward)) == len(forward)
        return forward


def _ids(page: dict[str, Any]) -> list[str]:
    if "edges" in page:
        return [edge["node"]["id"] for edge in page["edges"]]
    return [node["id"] for node in page["nodes"]]


def _lists_planned() -> int:
    """How many top-level list plans the documents' plans hold now."""
    return sum(
        len(plan.lists)
        for _schema, _operation, facts in PLANS._entries.values()
        for plan in facts.variants.values()
        if not isinstance(plan, str)
    )


async def test_pages_answer_as_the_plain_path_while_the_variables_change(
    apps: dict[str, httpx.AsyncClient],  # noqa: F811
    seeded: dict[str, Any],
    admin_token: str,
) -> None:
    sites = [gid(shop.site) for shop in seeded["shops"]]
    both = Both(apps, admin_token)
    filters: list[dict[str, Any] | None] = [
        None,
        {"siteId": {"eq": sites[0]}},
        {"siteId": {"eq": sites[1]}},
        {"customerFullName": {"startsWith": "mia"}, "timesUsed": {"gte": 1}},
        {"or": [{"notes": {"eq": "n0-3"}}, {"bookingReference": {"in": ["b1", "b2"]}}]},
    ]
    seen: dict[str, list[str]] = {}
    # The same document throughout: each order with each filter, then again in another
    # order of requests, so that plans made for one set of variables meet the others.
    for round_ in range(2):
        for order in ORDERS if round_ == 0 else ORDERS[::-1]:
            for filter_ in filters if round_ == 0 else filters[::-1]:
                variables = {"filter": filter_, "order": order}
                ids = await both.walk(PAGED, variables, 3)
                assert seen.setdefault(repr(variables), ids) == ids
    # soft deletion chosen by a variable
    for trashed in ("WITH", "ONLY", "WITHOUT"):
        await both.walk(PAGED, {"trashed": trashed, "order": ORDERS[1]}, 4)
    assert len(seen[repr({"filter": None, "order": None})]) == 20  # two sites, one deleted each
    assert _lists_planned() > 0  # the fast app kept plans (this test compares them)


async def test_the_benchmark_spelling_pages_each_site_alike(
    apps: dict[str, httpx.AsyncClient],  # noqa: F811
    seeded: dict[str, Any],
    admin_token: str,
) -> None:
    both = Both(apps, admin_token)
    for site in (seeded["shops"][0].site, seeded["shops"][1].site, seeded["shops"][0].site):
        ids = await both.walk(SITE_PAGE, {"site": gid(site)}, 4)
        assert len(ids) == 10


async def test_callers_of_other_scopes_and_errors_between_pages(
    apps: dict[str, httpx.AsyncClient],  # noqa: F811
    seeded: dict[str, Any],
    admin_token: str,
) -> None:
    first_site = seeded["shops"][0].site
    sites = [gid(shop.site) for shop in seeded["shops"]]
    lister = role_token("lister", [f"Assignment-{Action.LIST.value}"], first_site)
    stranger = role_token("stranger", [f"Customer-{Action.READ.value}"], first_site)
    admin, limited, refused = (
        Both(apps, admin_token), Both(apps, lister), Both(apps, stranger),
    )  # fmt: skip
    for site in sites:
        # the site-limited caller sees its own site's records only, on the same document
        admin_ids = await admin.walk(SITE_PAGE, {"site": site}, 3)
        limited_ids = await limited.walk(SITE_PAGE, {"site": site}, 3)
        assert limited_ids == (admin_ids if site == sites[0] else [])
        await refused.ask(SITE_PAGE, {"site": site, "first": 3})
    # A filter through a related record shows only what the caller may read of it: the
    # lister may not read customers, so a filter on their names matches nothing for it.
    by_name = {"filter": {"customerFullName": {"startsWith": "mia"}}, "order": ORDERS[1]}
    for caller, matches in ((admin, True), (limited, False), (admin, True)):
        assert bool(await caller.walk(PAGED, by_name, 4)) is matches
    page = await admin.ask(SITE_PAGE, {"site": sites[0], "first": 3})
    cursor = page["data"]["assignments"]["pageInfo"]["endCursor"]
    other_order = await admin.ask(PAGED, {"first": 2, "order": ORDERS[2]})
    foreign = other_order["data"]["assignments"]["pageInfo"]["endCursor"]
    bad: list[dict[str, Any]] = [
        {"site": sites[0], "first": 3, "after": "not-a-cursor"},
        {"site": sites[0], "first": 3, "after": foreign},  # a cursor of another order
        {"site": sites[0], "first": 3, "last": 3},
        {"site": sites[0], "first": -1, "after": cursor},
        {"site": sites[0], "last": 5000, "before": cursor},
        {"site": "not-an-id", "first": 3, "after": cursor},
        {"site": gid(seeded["shops"][0].member), "first": 3},  # an id of another type
    ]
    for variables in bad:
        for caller in (admin, limited):
            answer = await caller.ask(SITE_PAGE, variables)
            assert answer.get("errors"), variables
            # and the next page after an error is still the plain path's
            await caller.ask(SITE_PAGE, {"site": sites[0], "first": 3, "after": cursor})
