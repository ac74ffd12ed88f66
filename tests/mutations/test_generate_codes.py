"""generateCouponCodes: many codes at once, all or nothing, unique within the coupon."""

from __future__ import annotations

import time
import uuid
from itertools import product
from typing import Any

import sqlalchemy as sa

from app.clock import utcnow
from app.db import codes as stored_codes
from app.db import tables as t
from app.domain.codes import code_problem
from app.graphql.ids import to_global_id
from tests.http.conftest import statements_run
from tests.mutations.helpers import count, errors_of, gid

GENERATE = """mutation($couponId: ID!, $count: Int!, $prefix: String!, $length: Int!,
    $charset: CodeCharset!) {
  generateCouponCodes(couponId: $couponId, count: $count, prefix: $prefix, length: $length,
      charset: $charset) {
    count codes { id code coupon { id } } userErrors { field code message } } }"""


def generate(coupon: Any, count: int, **kw: Any) -> dict[str, Any]:
    defaults = {"prefix": "", "length": 8, "charset": "ALPHANUMERIC"}
    return {"couponId": gid(coupon), "count": count, **defaults, **kw}


async def test_generates_5000_unique_codes_in_one_call(gql: Any, make: Any, db: Any) -> None:
    coupon = await make.coupon(await make.site(await make.organisation()))
    await make.coupon_code(coupon, code="SPRING-AAAAAA")
    started = time.perf_counter()
    data = await gql(GENERATE, generate(coupon, 5000, prefix="SPRING-", length=6))
    elapsed = time.perf_counter() - started
    payload = data["generateCouponCodes"]
    assert payload["userErrors"] == [] and payload["count"] == 5000
    assert len(payload["codes"]) == 100  # the first page only
    assert all(c["coupon"]["id"] == gid(coupon) for c in payload["codes"])
    assert all(c["code"].startswith("SPRING-") and len(c["code"]) == 13 for c in payload["codes"])
    assert await count(db, t.CouponCode, t.CouponCode.coupon_id == coupon.id) == 5001
    codes = await gql(
        "query($id: ID!) { coupon(id: $id) { codes(first: 1000) { totalCount nodes { code } } } }",
        {"id": gid(coupon)},
    )
    keys = [n["code"].lower() for n in codes["coupon"]["codes"]["nodes"]]
    assert len(set(keys)) == len(keys)
    assert elapsed < 20, f"5000 codes took {elapsed:.1f}s"


async def test_charset_digits_have_no_look_alikes(gql: Any, make: Any) -> None:
    coupon = await make.coupon(await make.site(await make.organisation()))
    data = await gql(GENERATE, generate(coupon, 50, length=6, charset="DIGITS"))
    codes = [c["code"] for c in data["generateCouponCodes"]["codes"]]
    assert len(codes) == 50 and set("".join(codes)) <= set("23456789")


async def test_bad_requests_write_nothing(gql: Any, make: Any, db: Any) -> None:
    coupon = await make.coupon(await make.site(await make.organisation()))
    data = await gql(GENERATE, generate(coupon, 0, length=2, prefix="no space"))
    assert errors_of(data["generateCouponCodes"]) == [
        (["count"], "OUT_OF_RANGE"),
        (["length"], "OUT_OF_RANGE"),
        (["prefix"], "INVALID"),
    ]
    # Asking for more than half of what the length and charset allow is refused.
    data = await gql(GENERATE, generate(coupon, 3000, length=4, charset="DIGITS"))
    assert errors_of(data["generateCouponCodes"]) == [(["count"], "OUT_OF_RANGE")]
    assert data["generateCouponCodes"]["count"] == 0
    data = await gql(GENERATE, generate(coupon, 5) | {"couponId": to_global_id("Coupon", 10**6)})
    assert errors_of(data["generateCouponCodes"]) == [(["couponId"], "NOT_FOUND")]
    assert await count(db, t.CouponCode) == 0


async def test_each_chunk_goes_in_sorted_with_random_uuids_in_order(
    gql: Any, make: Any, db: Any, monkeypatch: Any
) -> None:
    """Given chunks of 100, when 300 codes are generated, then each chunk's rows were inserted
    in the order of their codes and of their UUIDs (the indexes' locality, app.db.codes), and
    every UUID is a distinct random (version 4) one, as the database stored and returns it."""
    monkeypatch.setattr(stored_codes, "CHUNK", 100)
    coupon = await make.coupon(await make.site(await make.organisation()))
    data = await gql(GENERATE, generate(coupon, 300))
    assert data["generateCouponCodes"]["count"] == 300
    code = t.COUPON_CODE
    async with db.connect() as connection:
        rows = (
            await connection.execute(
                sa.select(code.c.code, code.c.unique_id)
                .where(code.c.coupon_id == coupon.id)
                .order_by(code.c.id)
            )
        ).all()
    assert len(rows) == 300
    for start in (0, 100, 200):
        chunk = rows[start : start + 100]
        assert [r.code for r in chunk] == sorted(r.code for r in chunk)
        assert [r.unique_id for r in chunk] == sorted(r.unique_id for r in chunk)
    uuids = [r.unique_id for r in rows]
    assert len(set(uuids)) == 300
    assert all(u.version == 4 and u.variant == uuid.RFC_4122 for u in uuids)
    assert [c["code"] for c in data["generateCouponCodes"]["codes"]] == [r.code for r in rows[:100]]


def _inserts(statements: list[str]) -> int:
    # PostgreSQL's chunk is `WITH added AS (INSERT INTO coupon_code ...) SELECT array_agg(...)`.
    return sum(1 for s in statements if "INSERT INTO COUPON_CODE" in s.upper())


async def test_collisions_are_drawn_again_the_count_stays_exact(
    gql: Any, make: Any, db: Any, app: Any, monkeypatch: Any
) -> None:
    """4-digit codes (4,096 in all) against 1,200 live and 100 deleted ones: about a third of
    the drawn codes collide with a live one, which the insert leaves out and the next chunk
    draws again; deleted codes' strings are never handed out again."""
    coupon = await make.coupon(await make.site(await make.organisation()))
    data = await gql(GENERATE, generate(coupon, 1200, length=4, charset="DIGITS"))
    assert data["generateCouponCodes"]["count"] == 1200
    async with db.connect() as connection:
        live = set((await connection.execute(sa.select(t.CouponCode.code))).scalars())
    deleted = sorted({"".join(p) for p in product("23456789", repeat=4)} - live)[:100]
    for code in deleted:
        await make.coupon_code(coupon, code=code, deleted_at=utcnow())
    monkeypatch.setattr(stored_codes, "CHUNK", 100)
    with statements_run(app.state.engine) as statements:
        data = await gql(GENERATE, generate(coupon, 800, length=4, charset="DIGITS"))
    payload = data["generateCouponCodes"]
    assert payload["userErrors"] == [] and payload["count"] == 800
    assert _inserts(statements) > 8  # collisions happened: more chunks than 800 / 100
    async with db.connect() as connection:
        rows = (
            await connection.execute(
                sa.select(t.CouponCode.code, t.CouponCode.deleted_at).where(
                    t.CouponCode.coupon_id == coupon.id
                )
            )
        ).all()
    alive = [code for code, gone in rows if gone is None]
    assert len(rows) == 1200 + 100 + 800 and len(alive) == 2000
    assert len({c.lower() for c in alive}) == 2000  # no duplicate, case-insensitively
    assert not set(deleted) & set(alive)  # no deleted code's string came back
    assert all(code_problem(c) is None and set(c) <= set("23456789") for c in alive)
    assert {c["code"] for c in payload["codes"]} <= set(alive) - live
    # One change event per code added (docs/events.md), none twice.
    event, code = t.EVENT, t.COUPON_CODE
    async with db.connect() as connection:
        added = (
            await connection.execute(
                sa.select(code.c.id).where(
                    code.c.coupon_id == coupon.id, code.c.code.not_in(live | set(deleted))
                )
            )
        ).scalars()
        logged = (
            await connection.execute(
                sa.select(event.c.object_id).where(
                    event.c.type == "couponCode.created",
                    event.c.object_id.in_(
                        sa.select(code.c.id).where(code.c.coupon_id == coupon.id)
                    ),
                )
            )
        ).scalars()
        added_ids, logged_ids = sorted(added), list(logged)
    assert len(added_ids) == 800
    assert len(logged_ids) == len(set(logged_ids)) and set(added_ids) <= set(logged_ids)


async def test_one_statement_per_chunk_whatever_the_count(
    gql: Any, make: Any, app: Any, monkeypatch: Any
) -> None:
    monkeypatch.setattr(stored_codes, "CHUNK", 50)
    counted = {}
    for chunks in (1, 4):
        coupon = await make.coupon(await make.site(await make.organisation()))
        with statements_run(app.state.engine) as statements:
            data = await gql(GENERATE, generate(coupon, 50 * chunks, charset="LETTERS"))
        assert data["generateCouponCodes"]["count"] == 50 * chunks
        assert _inserts(statements) == chunks
        counted[chunks] = len(statements)
    # A chunk without collision is SAVEPOINT, one INSERT, RELEASE, whatever its size.
    assert counted[4] - counted[1] == 3 * 3
