"""Concurrent writes settle on the partial unique indexes (PostgreSQL runs them in parallel;
SQLite's write transactions are serialised, so there is no race to lose there)."""

from __future__ import annotations

import asyncio
import os
from typing import Any

import pytest

from app.db import tables as t
from tests.mutations.helpers import count, gid

pytestmark = pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql"),
    reason="a race needs concurrent writers: PostgreSQL",
)

CREATE = """mutation($input: CreateCouponCodeInput!) {
  createCouponCode(input: $input) { couponCode { id } userErrors { field code } } }"""


async def test_one_of_many_concurrent_creates_of_one_code_wins(
    gql: Any, make: Any, db: Any
) -> None:
    coupon = await make.coupon(await make.site(await make.organisation()))
    spellings = ["race-CODE", "RACE-code", "Race-Code", "race-code", "RACE-CODE"] * 4

    results = await asyncio.gather(
        *(gql(CREATE, {"input": {"couponId": gid(coupon), "code": code}}) for code in spellings)
    )

    payloads = [r["createCouponCode"] for r in results]
    winners = [p for p in payloads if p["couponCode"] is not None]
    losers = [p["userErrors"] for p in payloads if p["couponCode"] is None]
    assert len(winners) == 1
    assert losers == [[{"field": ["input", "code"], "code": "CODE_TAKEN"}]] * 19
    assert await count(db, t.CouponCode) == 1
