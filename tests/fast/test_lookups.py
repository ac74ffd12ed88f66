"""Lookups by id answered from a remembered statement (app.fast.lookups) answer byte for byte
what the plain path answers.

Two apps on the same database, one with the fast path and one without
(`DISCOUNTS_FAST_PATH=false`: strawberry's own execution, no prepared statements, no
rendering); the same requests go through both (an administrator and a caller limited to one
site; found, not found, soft-deleted, another site's record, ids of another type or none,
variables missing or wrong, literal ids, the read budget), and the responses (status, headers
that matter, body bytes) must be identical. The fast app's counters show whether the lookup
answered from its remembered statement: on PostgreSQL, where records render, every lookup the
module docstring admits does, and nothing else; on SQLite none does.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.auth.roles import Action
from app.fast.lookups import LookupSchema
from app.main import create_app
from app.settings import Settings
from tests.engine.support import gid, open_shop, role_token
from tests.fast.apps import BAD_VARIABLES, send, side_by_side

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
from benchmarks.queries import CLIENT_DOCUMENTS, QUERIES  # noqa: E402

DOCUMENTS = {q.name: q.ours for q in (*QUERIES, *CLIENT_DOCUMENTS)}
ONE_COUPON, NODE = DOCUMENTS["one_coupon"], DOCUMENTS["client_node"]
CODE = "query C($id: ID!) { couponCode(id: $id) { code coupon { name site { name } } } }"
SITE = "query S($id: ID!) { site(id: $id) { __typename id name organisation { name } } }"
ALIASED = "query A($id: ID!) { c: coupon(id: $id) { name } }"
TRASHED = "query T($id: ID!) { coupon(id: $id, trashed: WITH) { name } }"
TWO_FIELDS = "query W($id: ID!) { coupon(id: $id) { name } __typename }"
NODE_INLINE = (
    "query N($id: ID!) { node(id: $id) { id ... on Coupon { name } ... on CouponCode { code } } }"
)
READS = [f"{kind}-{Action.READ.value}" for kind in ("Coupon", "CouponCode", "Site")]


@pytest.fixture
async def apps(settings: Settings, db: Any) -> AsyncIterator[dict[str, httpx.AsyncClient]]:
    async with _apps(settings, max_cost=2000) as clients:
        yield clients


def _apps(settings: Settings, **limits: Any) -> Any:
    made = {
        "fast": create_app(settings.model_copy(update={**limits, "fast_path": True})),
        "plain": create_app(settings.model_copy(update={**limits, "fast_path": False})),
    }
    return side_by_side(made)


@pytest.fixture
async def records(make: Any) -> dict[str, Any]:
    shop = await open_shop(make)
    coupon = await make.coupon(shop.site, name="Looked up")
    code = await make.coupon_code(coupon, code="LOOK1")
    other = await make.coupon(shop.site, name="Another")
    gone = await make.coupon(shop.site, name="Gone", deleted_at=datetime(2026, 1, 1, tzinfo=UTC))
    away = await open_shop(make)
    far = await make.coupon(away.site, name="Far away")
    far_code = await make.coupon_code(far, code="FAR1")
    return {
        "shop": shop, "coupon": coupon, "code": code, "other": other, "gone": gone,
        "away": away, "far": far, "far_code": far_code,
    }  # fmt: skip


def _looked_up() -> int:
    stats = LookupSchema.lookup_stats
    return int(stats["answered"] - stats["learning"])


_send = send


async def _both(
    apps: dict[str, httpx.AsyncClient],
    token: str | None,
    body: dict[str, Any],
    *,
    looked_up: bool,
    method: str = "POST",
) -> bytes:
    """One request through both apps: the same answer; the fast app answered it from a
    remembered statement (`looked_up`, PostgreSQL only) or not. The fast app sees the request
    twice before: the first is parsed by the lean path, the second learns the statement."""
    fast = await _fast(apps, token, body, looked_up=looked_up, method=method)
    plain = await _send(apps["plain"], token, body, method)
    assert fast == plain, body
    return fast[3]


async def _fast(
    apps: dict[str, httpx.AsyncClient],
    token: str | None,
    body: dict[str, Any],
    *,
    looked_up: bool,
    method: str = "POST",
) -> tuple[int, str | None, str | None, bytes]:
    """The fast app's answer to its third `body`, and whether it was `looked_up`: the same
    as its second, which the planned path answered (learning the statement)."""
    await _send(apps["fast"], token, body, method)
    learning = await _send(apps["fast"], token, body, method)
    before = _looked_up()
    fast = await _send(apps["fast"], token, body, method)
    took = _looked_up() - before == 1
    assert took is looked_up, (looked_up, body, fast)
    assert fast == learning, body
    return fast


def _body(query: str, id_: Any) -> dict[str, Any]:
    return {"query": query, "variables": {"id": id_}}


async def test_found_records_answer_as_the_plain_path(
    apps: dict[str, httpx.AsyncClient], records: dict[str, Any], admin_token: str,
    is_postgres: bool,
) -> None:  # fmt: skip
    coupon, code, site = records["coupon"], records["code"], records["shop"].site
    answer = await _both(apps, admin_token, _body(ONE_COUPON, gid(coupon)), looked_up=is_postgres)
    assert b'"name":"Looked up"' in answer and b'"terms":{' in answer
    # the same statement for another record of the same kind
    answer = await _both(apps, admin_token, _body(ONE_COUPON, gid(records["other"])),
                         looked_up=is_postgres)  # fmt: skip
    assert b'"name":"Another"' in answer
    answer = await _both(apps, admin_token, _body(NODE, gid(code)), looked_up=is_postgres)
    assert b'"code":"LOOK1"' in answer and b'"organisation":{"id"' in answer
    await _both(apps, admin_token, _body(CODE, gid(code)), looked_up=is_postgres)
    await _both(apps, admin_token, _body(SITE, gid(site)), looked_up=is_postgres)
    # node(id:) of several kinds in one document: each kind its own statement
    await _both(apps, admin_token, _body(NODE_INLINE, gid(coupon)), looked_up=is_postgres)
    await _both(apps, admin_token, _body(NODE_INLINE, gid(code)), looked_up=is_postgres)
    # GET, and an id written in the document
    await _both(apps, admin_token, _body(ONE_COUPON, gid(coupon)), looked_up=is_postgres,
                method="GET")  # fmt: skip
    literal = {"query": f'{{ coupon(id: "{gid(coupon)}") {{ id name }} }}'}
    await _both(apps, admin_token, literal, looked_up=is_postgres)


async def test_missing_and_invisible_records_answer_as_the_plain_path(
    apps: dict[str, httpx.AsyncClient], records: dict[str, Any], admin_token: str,
    is_postgres: bool,
) -> None:  # fmt: skip
    missing = "Q291cG9uOjk5OTk5OQ=="  # Coupon:999999
    for query in (ONE_COUPON, NODE):
        answer = await _both(apps, admin_token, _body(query, missing), looked_up=is_postgres)
        assert b'":null' in answer
        await _both(apps, admin_token, _body(query, gid(records["gone"])), looked_up=is_postgres)
    # a caller with read roles on one site: its records, not another site's
    reader = role_token("reader", READS, records["shop"].site)
    answer = await _both(apps, reader, _body(ONE_COUPON, gid(records["coupon"])),
                         looked_up=is_postgres)  # fmt: skip
    assert b'"name":"Looked up"' in answer
    answer = await _both(apps, reader, _body(ONE_COUPON, gid(records["far"])),
                         looked_up=is_postgres)  # fmt: skip
    assert answer.startswith(b'{"data":{"coupon":null}')
    await _both(apps, reader, _body(NODE, gid(records["code"])), looked_up=is_postgres)
    await _both(apps, reader, _body(NODE, gid(records["far_code"])), looked_up=is_postgres)
    # the administrator's statement is not the reader's: the administrator still sees it
    answer = await _both(apps, admin_token, _body(ONE_COUPON, gid(records["far"])),
                         looked_up=is_postgres)  # fmt: skip
    assert b'"name":"Far away"' in answer


async def test_refused_requests_answer_as_the_plain_path(
    apps: dict[str, httpx.AsyncClient], records: dict[str, Any], admin_token: str
) -> None:
    coupon, code = records["coupon"], records["code"]
    # ids the resolvers refuse: another type, not a global id, an unknown type, empty
    unknown = "Tm9wZToz"  # Nope:3
    for id_ in (gid(code), "nope", unknown, ""):
        answer = await _both(apps, admin_token, _body(ONE_COUPON, id_), looked_up=False)
        assert b"BAD_USER_INPUT" in answer or b'"errors"' in answer
    for id_ in ("nope", unknown, ""):
        await _both(apps, admin_token, _body(NODE, id_), looked_up=False)
    # no role on the record's kind; no token; a broken token
    customers = role_token("reader", [f"Customer-{Action.READ.value}"], records["shop"].site)
    for token in (customers, None, "not.a.token"):
        answer = await _both(apps, token, _body(ONE_COUPON, gid(coupon)), looked_up=False)
        assert b'"errors"' in answer
        await _both(apps, token, _body(NODE, gid(code)), looked_up=False)


@pytest.mark.parametrize(("name", "variables"), BAD_VARIABLES, ids=[v[0] for v in BAD_VARIABLES])
async def test_bad_variables_answer_as_the_plain_path(
    apps: dict[str, httpx.AsyncClient],
    records: dict[str, Any],
    admin_token: str,
    name: str,
    variables: dict[str, Any] | None,
) -> None:
    for query in (ONE_COUPON, NODE):
        body: dict[str, Any] = {"query": query}
        if variables is not None:
            body["variables"] = variables
        await _both(apps, admin_token, body, looked_up=False)


async def test_other_documents_are_left_to_the_planned_path(
    apps: dict[str, httpx.AsyncClient], records: dict[str, Any], admin_token: str
) -> None:
    id_ = gid(records["coupon"])
    for query in (ALIASED, TRASHED, TWO_FIELDS):
        await _both(apps, admin_token, _body(query, id_), looked_up=False)
    # a selection that reads a variable of its own
    paged = "query P($id: ID!, $n: Int!) { coupon(id: $id) { name codes(first: $n) { nodes { code } } } }"
    body = {"query": paged, "variables": {"id": id_, "n": 1}}
    await _both(apps, admin_token, body, looked_up=False)
    # a field that does not exist, a syntax error
    await _both(apps, admin_token, _body("query X($id: ID!) { coupon(id: $id) { nope } }", id_),
                looked_up=False)  # fmt: skip
    await _both(apps, admin_token, {"query": "{ coupon(id: "}, looked_up=False)


async def test_the_read_budget_answers_as_the_plain_path(
    settings: Settings, db: Any, records: dict[str, Any], admin_token: str, is_postgres: bool
) -> None:
    """The rendered record counts its JSON (the plain path counts its columns' text): the
    answer is the planned path's, which renders it too."""
    if not is_postgres:
        pytest.skip("records are rendered in PostgreSQL only")
    async with _apps(settings, max_cost=2000, max_response_bytes=40) as apps:
        answer = await _fast(apps, admin_token, _body(ONE_COUPON, gid(records["coupon"])),
                             looked_up=is_postgres)  # fmt: skip
        assert b"RESPONSE_TOO_LARGE" in answer[3]


FAILURES = [
    ("a failing statement", lambda: RuntimeError("the statement failed")),
    ("the database unreachable", lambda: ConnectionRefusedError("refused")),
]


@pytest.mark.parametrize(("name", "failure"), FAILURES, ids=[f[0] for f in FAILURES])
async def test_a_failing_read_answers_as_the_plain_path(
    apps: dict[str, httpx.AsyncClient],
    records: dict[str, Any],
    admin_token: str,
    is_postgres: bool,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    failure: Any,
) -> None:
    """A read that fails is the field's error (masked, 200) or, the database unreachable,
    a 503: the same bytes as the plain path's, request id and all."""
    from app.db.session import RequestDatabase

    body = _body(ONE_COUPON, gid(records["coupon"]))
    await _fast(apps, admin_token, body, looked_up=is_postgres)  # the statement learned

    async def failing(*_args: Any, **_kwargs: Any) -> Any:
        raise failure()

    monkeypatch.setattr(RequestDatabase, "fetch", failing)
    monkeypatch.setattr(RequestDatabase, "execute", failing)
    headers = {"authorization": f"Bearer {admin_token}", "x-request-id": "lookup-failure"}
    before = _looked_up()
    answers = [
        await apps[app].post("/graphql", json=body, headers=headers) for app in ("fast", "plain")
    ]
    assert _looked_up() - before == (1 if is_postgres else 0)
    fast, plain = ((a.status_code, a.headers.get("retry-after"), a.content) for a in answers)
    assert fast == plain
    if name == "the database unreachable":
        assert fast[0] == 503, fast
    else:
        assert fast[0] == 200 and b'"path":["coupon"]' in fast[2], fast


async def test_an_app_that_renders_nothing_leaves_lookups_to_the_planned_path(
    settings: Settings, db: Any, records: dict[str, Any], admin_token: str
) -> None:
    """Rendering off: the first planned request finds nothing to learn, and the document is
    not asked again (no second admission per request)."""
    async with _apps(settings, max_cost=2000, render_in_database=False) as apps:
        learning = LookupSchema.lookup_stats["learning"]
        for id_ in (gid(records["coupon"]), gid(records["other"])):
            await _both(apps, admin_token, _body(ONE_COUPON, id_), looked_up=False)
        assert LookupSchema.lookup_stats["learning"] - learning == 1
