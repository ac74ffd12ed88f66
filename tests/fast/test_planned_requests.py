"""Queries of plain variables answered without strawberry's per-request setup
(app.fast.planned_requests) answer byte for byte what the plain path answers.

Two apps on the same database, one with the fast path and one without
(`DISCOUNTS_FAST_PATH=false`: strawberry's own execution, no prepared statements, no
rendering); the same requests (the benchmark's small documents, found and not found, bad ids,
forbidden, bad variables, limits, GET) go through both, and the responses (status, headers that
matter, body bytes) must be identical. The fast app's counters show which requests the
shortcut answered, so each case also says which path it expects.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.auth.roles import Action
from app.fast.lookups import LookupSchema
from app.fast.planned_requests import PlannedSchema
from app.main import create_app
from app.settings import Settings
from tests.engine.support import gid, open_shop, role_token
from tests.fast.apps import BAD_VARIABLES, send, side_by_side

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
from benchmarks.queries import CLIENT_DOCUMENTS, QUERIES  # noqa: E402

DOCUMENTS = {q.name: q.ours for q in (*QUERIES, *CLIENT_DOCUMENTS)}
ONE_COUPON, NODE, PAGE = (
    DOCUMENTS["one_coupon"],
    DOCUMENTS["client_node"],
    DOCUMENTS["assignments_page"],
)
SIZED = """
query Sized($site: ID, $first: Int!, $deleted: Boolean!, $after: String) {
  assignments(first: $first, after: $after, filter: {siteId: {eq: $site}}) {
    totalCount pageInfo { hasNextPage endCursor } nodes { id customer { fullName } }
  }
  trashed: coupons(first: 2, trashed: ONLY) @include(if: $deleted) { nodes { id name } }
}
"""
TWO = "query A($id: ID!) { coupon(id: $id) { name } } query B { __typename }"
DEFAULTED = 'query D($id: ID! = "Q291cG9uOjE=") { coupon(id: $id) { name } }'
LISTED = "query L($ids: [ID!]!) { nodes(ids: $ids) { id } }"
NUL_LITERAL = 'query N { coupons(first: 1, filter: {name: {eq: "a\\u0000"}}) { nodes { id } } }'
SEARCH = (
    "query S($text: String) { coupons(first: 3, filter: {name: {eq: $text}}) { nodes { id } } }"
)


@pytest.fixture
async def apps(settings: Settings, db: Any) -> AsyncIterator[dict[str, httpx.AsyncClient]]:
    limits = {"max_cost": 2000}
    made = {
        "fast": create_app(settings.model_copy(update={**limits, "fast_path": True})),
        "plain": create_app(settings.model_copy(update={**limits, "fast_path": False})),
    }
    async with side_by_side(made) as clients:
        yield clients


@pytest.fixture
async def records(make: Any) -> dict[str, Any]:
    shop = await open_shop(make)
    coupon = await make.coupon(shop.site, name="Planned")
    codes = [await make.coupon_code(coupon, code=f"PLAN{i}") for i in range(4)]
    for code in codes:
        await make.assignment(shop.member, code, notes="n", booking_reference="b")
        await make.assignment(shop.contact, code)
    gone = await make.coupon(shop.site, name="Gone", deleted_at=_past())
    return {"shop": shop, "coupon": coupon, "code": codes[0], "gone": gone}


def _past() -> Any:
    from datetime import UTC, datetime

    return datetime(2026, 1, 1, tzinfo=UTC)


def _planned() -> int:
    """Requests the planned path answered, itself or as the lookups' (app.fast.lookups),
    which answer a lookup by id from the planned path's own statement."""
    return int(PlannedSchema.planned_stats["planned"] + LookupSchema.lookup_stats["answered"])


_send = send


async def _both(
    apps: dict[str, httpx.AsyncClient],
    token: str | None,
    body: dict[str, Any],
    *,
    planned: bool,
    method: str = "POST",
) -> bytes:
    """One request through both apps: the same answer; the fast app's shortcut answered it
    (`planned`) or left it to the lean path. The fast app sees the document once before: a
    document is planned from its second request on (the first is parsed by the lean path)."""
    await _send(apps["fast"], token, body, method)
    before = _planned()
    fast = await _send(apps["fast"], token, body, method)
    took = _planned() - before == 1
    plain = await _send(apps["plain"], token, body, method)
    assert fast == plain, body
    assert took is planned, (planned, body, fast)
    return fast[3]


def _coupon(id_: Any) -> dict[str, Any]:
    return {"query": ONE_COUPON, "variables": {"id": id_}}


async def test_the_bench_documents_answer_as_the_plain_path(
    apps: dict[str, httpx.AsyncClient], records: dict[str, Any], admin_token: str
) -> None:
    coupon, code, site = records["coupon"], records["code"], records["shop"].site
    answer = await _both(apps, admin_token, _coupon(gid(coupon)), planned=True)
    assert b'"name":"Planned"' in answer
    answer = await _both(apps, admin_token, {"query": NODE, "variables": {"id": gid(code)}},
                         planned=True)  # fmt: skip
    assert b'"code":"PLAN0"' in answer and b'"organisation":{"id"' in answer
    page: dict[str, Any] = {"query": PAGE, "variables": {"site": gid(site), "after": None}}
    answer = await _both(apps, admin_token, page, planned=True)
    import orjson

    cursor = orjson.loads(answer)["data"]["assignments"]["pageInfo"]["endCursor"]
    page2 = {"query": PAGE, "variables": {"site": gid(site), "after": cursor}}
    await _both(apps, admin_token, page2, planned=True)
    await _both(apps, admin_token, page2, planned=True, method="GET")
    # the other client documents, all of plain variables
    for query in CLIENT_DOCUMENTS:
        if query.name != "client_node":
            body = {"query": query.ours, "variables": query.ours_vars}
            await _both(apps, admin_token, body, planned=True)


async def test_errors_answer_as_the_plain_path(
    apps: dict[str, httpx.AsyncClient], records: dict[str, Any], admin_token: str
) -> None:
    coupon, code, site = records["coupon"], records["code"], records["shop"].site
    # not found, soft-deleted, a bad id, an id of another type
    for id_ in ("Q291cG9uOjk5OTk5OQ==", gid(records["gone"]), "nope", gid(code), ""):
        await _both(apps, admin_token, _coupon(id_), planned=True)
        await _both(apps, admin_token, {"query": NODE, "variables": {"id": id_}}, planned=True)
    # a bad cursor: the list's own error
    page = {"query": PAGE, "variables": {"site": gid(site), "after": "not-a-cursor"}}
    await _both(apps, admin_token, page, planned=True)
    # forbidden: a role on another kind of record; no token; a broken token
    reader = role_token("reader", [f"Customer-{Action.READ.value}"], site)
    await _both(apps, reader, _coupon(gid(coupon)), planned=True)
    await _both(apps, reader, page, planned=True)
    await _both(apps, None, _coupon(gid(coupon)), planned=True)
    await _both(apps, "not.a.token", _coupon(gid(coupon)), planned=True)


@pytest.mark.parametrize(("name", "variables"), BAD_VARIABLES, ids=[v[0] for v in BAD_VARIABLES])
async def test_bad_variables_go_down_the_plain_path(
    apps: dict[str, httpx.AsyncClient],
    records: dict[str, Any],
    admin_token: str,
    name: str,
    variables: dict[str, Any] | None,
) -> None:
    body: dict[str, Any] = {"query": ONE_COUPON}
    if variables is not None:
        body["variables"] = variables
    await _both(apps, admin_token, body, planned=False)


SIZES: list[tuple[str, dict[str, Any], bool]] = [
    ("nullable variables absent", {"first": 2, "deleted": False}, True),
    ("nullable variables null", {"first": 2, "site": None, "deleted": False, "after": None}, True),
    ("null for a non-null Boolean", {"first": 2, "deleted": None}, False),
    ("a boolean directive", {"first": 3, "deleted": True}, True),
    ("a boolean directive off", {"first": 3, "deleted": False}, True),
    ("the largest Int", {"first": 2**31 - 1, "deleted": False}, True),  # too costly: refused below
    ("an Int over 32 bits", {"first": 2**31, "deleted": False}, False),
    ("a float for an Int", {"first": 2.0, "deleted": False}, False),
    ("a string for an Int", {"first": "2", "deleted": False}, False),
    ("a boolean for an Int", {"first": True, "deleted": False}, False),
    ("a string for a Boolean", {"first": 2, "deleted": "yes"}, False),
    ("a number for a String", {"first": 2, "deleted": False, "after": 1}, False),
    ("a negative page", {"first": -1, "deleted": False}, True),
]


@pytest.mark.parametrize(("name", "variables", "planned"), SIZES, ids=[v[0] for v in SIZES])
async def test_scalar_variables_answer_as_the_plain_path(
    apps: dict[str, httpx.AsyncClient],
    records: dict[str, Any],
    admin_token: str,
    name: str,
    variables: dict[str, Any],
    planned: bool,
) -> None:
    variables = {**variables}
    if "site" not in variables:
        variables["site"] = gid(records["shop"].site)
    if name == "the largest Int":  # over the cost limit: refused by the plain path's checks
        answer = await _both(apps, admin_token, {"query": SIZED, "variables": variables},
                             planned=False)  # fmt: skip
        assert b"QUERY_TOO_COSTLY" in answer
        return
    await _both(apps, admin_token, {"query": SIZED, "variables": variables}, planned=planned)


async def test_documents_the_shortcut_leaves_to_the_lean_path(
    apps: dict[str, httpx.AsyncClient], records: dict[str, Any], admin_token: str
) -> None:
    id_ = gid(records["coupon"])
    # no name: refused on both paths (the spec's GetOperation), not the first one run
    refused = await _both(apps, admin_token, {"query": TWO, "variables": {"id": id_}},
                          planned=False)  # fmt: skip
    assert b"operationName: the document has several operations" in refused
    await _both(apps, admin_token, {"query": TWO, "operationName": "A", "variables": {"id": id_}},
                planned=True)  # fmt: skip
    await _both(apps, admin_token, {"query": TWO, "operationName": "B"}, planned=True)
    await _both(apps, admin_token, {"query": TWO, "operationName": "C"}, planned=False)
    await _both(apps, admin_token, {"query": DEFAULTED}, planned=False)
    await _both(apps, admin_token, {"query": LISTED, "variables": {"ids": [id_]}}, planned=False)
    await _both(apps, admin_token, {"query": NUL_LITERAL}, planned=False)
    codes = ", ".join(f'"C{i}"' for i in range(1001))  # a list over the limit: refused
    too_long = f"{{ couponCodes(filter: {{code: {{in: [{codes}]}}}}) {{ totalCount }} }}"
    await _both(apps, admin_token, {"query": too_long}, planned=False)
    await _both(apps, admin_token, {"query": "{ coupon(id: 1) { nope } }"}, planned=False)
    await _both(apps, admin_token, {"query": "{ coupon(id: "}, planned=False)
    await _both(apps, admin_token, {"query": SEARCH, "variables": {"text": "Planned"}},
                planned=True)  # fmt: skip
    # a mutation is not planned; over GET it is refused (405) as before
    mutation = {"query": "mutation { __typename }"}
    await _both(apps, admin_token, mutation, planned=False)
    await _both(apps, admin_token, mutation, planned=False, method="GET")
    # a query with no variables at all, and introspection
    await _both(apps, admin_token, {"query": "{ __typename }"}, planned=True)
    await _both(apps, admin_token, {"query": "{ __schema { queryType { name } } }"},
                planned=True)  # fmt: skip


async def test_a_lookup_is_priced_once_whatever_its_id(
    apps: dict[str, httpx.AsyncClient],
    records: dict[str, Any],
    admin_token: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The cost depends on an ID's presence, not its value: a document asked with many ids
    is priced once."""
    from app.fast import planned_requests

    real = planned_requests.price
    priced: list[object] = []

    def counting(*args: Any) -> int:
        priced.append(args)
        return real(*args)

    monkeypatch.setattr(planned_requests, "price", counting)
    ids = [gid(records["coupon"]), gid(records["gone"]), "Q291cG9uOjk5OTk5OQ==", "nope"]
    for id_ in ids:
        await _both(apps, admin_token, _coupon(id_), planned=True)
    assert len(priced) == 1
