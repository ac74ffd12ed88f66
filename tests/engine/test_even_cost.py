"""A checkout that may only redeem cannot tell a missing code from a hidden one by the time the
answer takes (issue 22, item 7). The answers were already identical (NOT_FOUND); the work was
not: a missing code took 4.2 ms (median) to validate, a deleted, disabled or not-yet-valid one
5.5 to 5.8 ms, because only a found code had its terms, items, assignments and uses read.

Here the work is checked: every hidden code, and no code, runs the same number of statements,
and the same statements. The time is a benchmark's figure, not a test's (a timed test fails
on a busy machine whatever the code): `scripts/bench --only redemptions` prints a hidden
code's time against a missing one's (scripts/benchmarks/even_cost.py).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from app.main import create_app
from app.settings import Settings
from tests.engine.support import Shop, open_shop, role_token
from tests.http.conftest import statements_run

VALIDATE = "query($input: ValidateCodeInput!) { validateCode(input: $input) { valid reason } }"
REDEEM = """mutation($input: RedeemCodeInput!) {
  redeemCode(input: $input) { valid reason userErrors { code } } }"""
MISSING = "NO-SUCH-CODE"
LATER = datetime.now(UTC) + timedelta(days=30)
PAST = datetime(2025, 1, 1, tzinfo=UTC)


@pytest.fixture
async def unlimited(
    settings: Settings, db: AsyncEngine
) -> AsyncIterator[tuple[httpx.AsyncClient, Any]]:
    """The app, without the failed-guess limit (a guesser's every call here fails)."""
    app = create_app(settings.model_copy(update={"failed_code_attempts_per_minute": 10**6}))
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client, app
    finally:
        await app.state.engine.dispose()


async def hidden_codes(make: Any, shop: Shop) -> list[str]:
    """One code of each kind a redeem-only caller must not tell from a missing one."""
    site, stranger = shop.site, await make.customer(shop.organisation)
    await make.discount_code(site, code="GONE-DC", deleted_at=PAST)
    await make.discount_code(site, code="OFF-DC", disabled_at=PAST)
    await make.discount_code(site, code="LATER-DC", valid_from=LATER, discount_bookings=True)
    await make.assignment(stranger, await make.discount_code(site, code="THEIRS-DC"))
    coupon = await make.coupon(site)
    await make.coupon_code(coupon, code="GONE-CC", deleted_at=PAST)
    await make.coupon_code(coupon, code="LATER-CC", valid_from=LATER)
    await make.coupon_code(await make.coupon(site, disabled_at=PAST), code="OFF-CC")
    await make.coupon_code(await make.coupon(site), code="TWICE-CC")
    await make.coupon_code(await make.coupon(site), code="TWICE-CC")
    return [
        "GONE-DC",
        "OFF-DC",
        "LATER-DC",
        "THEIRS-DC",
        "GONE-CC",
        "LATER-CC",
        "OFF-CC",
        "TWICE-CC",
    ]


class Checkout:
    """A checkout holding only the Redeem roles, trying codes for its customer."""

    def __init__(self, client: httpx.AsyncClient, shop: Shop) -> None:
        self.client, self.shop = client, shop
        self.token = role_token(
            "checkout@example.com", ["DiscountCode-Redeem", "CouponCode-Redeem"], shop.site
        )
        self.keys = iter(range(10**9))

    async def attempt(self, operation: str, code: str, **overrides: Any) -> dict[str, Any]:
        values = self.shop.attempt(code, **overrides)
        if operation == "redeem":
            values["idempotencyKey"] = f"order-{next(self.keys)}"
        response = await self.client.post(
            "/graphql",
            json={
                "query": REDEEM if operation == "redeem" else VALIDATE,
                "variables": {"input": values},
            },
            headers={"authorization": f"Bearer {self.token}"},
        )
        body = response.json()
        assert response.status_code == 200 and "errors" not in body, body
        return body["data"]["redeemCode" if operation == "redeem" else "validateCode"]  # type: ignore[no-any-return]


OPERATIONS = ["validate", "redeem"]
CUSTOMER = {"with a customer": {}, "without one": {"customerId": None}}


@pytest.mark.parametrize("customer", list(CUSTOMER))
@pytest.mark.parametrize("operation", OPERATIONS)
async def test_a_missing_code_runs_the_statements_a_hidden_one_does(
    unlimited: tuple[httpx.AsyncClient, Any], make: Any, operation: str, customer: str
) -> None:
    client, app = unlimited
    shop = await open_shop(make)
    checkout = Checkout(client, shop)
    work: dict[str, list[str]] = {}
    # The process's first check at a site reads the site before the codes (its time zone is
    # then known: engine_facts.find_place), whatever the code: that is not what is compared.
    await checkout.attempt(operation, MISSING, **CUSTOMER[customer])
    for code in [MISSING, *await hidden_codes(make, shop)]:
        with statements_run(app.state.engine) as seen:
            answer = await checkout.attempt(operation, code, **CUSTOMER[customer])
        assert (answer["valid"], answer["reason"]) == (False, "NOT_FOUND"), (code, answer)
        # SQLite's busy timeout is set on a connection when a write finds it otherwise
        # (app.db.time_budget): the connection's history, not the code, decides that one
        work[code] = [s for s in seen if not s.startswith("PRAGMA busy_timeout")]
    assert work[MISSING], "no statement seen: the check was not observed"
    # The same statements, in the same order: their texts (every value is a parameter).
    assert {code: ran for code, ran in work.items() if ran != work[MISSING]} == {}, work[MISSING]
