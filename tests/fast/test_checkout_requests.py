"""The checkout's documents answered without graphql-core's execution
(app.fast.checkout_requests) answer byte for byte what the plain path answers.

Two apps on the same database, one with the fast path and one without
(`DISCOUNTS_FAST_PATH=false`: strawberry's own execution, no prepared statements), each given
its own shop built the same way; the same requests (selections, variables good and bad, user
errors, replays, refusals, the brake on guessing, every Reason) go through both, and the
responses (status, headers that matter, body bytes) must be identical. The fast app's counters
show which requests its shortcut answered, so each case also says which path it expects.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from app.auth.roles import Action
from app.domain.enums import UsagePeriod
from app.fast.checkout_requests import CheckoutSchema
from app.main import create_app
from app.settings import Settings
from tests.engine.support import BOOKING, Shop, gid, open_shop, role_token
from tests.engine.test_reasons import CASES as REASONS
from tests.fast.apps import side_by_side
from tests.stacking.support import VALIDATE_CODES, codes_input, docs_codes

VALIDATE = """
query Validate($input: ValidateCodeInput!) {
  validateCode(input: $input) {
    valid reason discountTotal currency lines { index amount __typename }
    code { code kind percentage amount description couponName }
    userErrors { field code message } __typename
  }
}
"""
REDEEM = """
mutation Redeem($input: RedeemCodeInput!) {
  redeemCode(input: $input) {
    valid reason discountTotal replayed lines { index amount }
    userErrors { field code message }
  }
}
"""
BENCH_REDEEM = (
    "mutation Redeem($input: RedeemCodeInput!) "
    "{ redeemCode(input: $input) { valid reason userErrors { code } } }"
)
ALIASED = """
query ($basket: ValidateCodeInput!) {
  check: validateCode(input: $basket) { ok: valid why: reason total: discountTotal }
}
"""
# Documents the shortcut leaves to the plain path (they must answer the same all the same).
FRAGMENT = """
query Validate($input: ValidateCodeInput!) { validateCode(input: $input) { ...Check } }
fragment Check on CodeCheck { valid reason }
"""
REDEMPTION = """
mutation Redeem($input: RedeemCodeInput!) {
  redeemCode(input: $input) { valid redemption { amount customer { fullName } } }
}
"""
TWO_FIELDS = """
query Validate($input: ValidateCodeInput!) {
  a: validateCode(input: $input) { valid } b: validateCode(input: $input) { reason }
}
"""
SKIPPED = """
query Validate($input: ValidateCodeInput!, $no: Boolean!) {
  validateCode(input: $input) { valid reason @skip(if: $no) }
}
"""
REPEATED = """
query Validate($input: ValidateCodeInput!) { validateCode(input: $input) { valid valid } }
"""


@pytest.fixture
async def apps(settings: Settings, db: Any) -> AsyncIterator[dict[str, httpx.AsyncClient]]:
    """The fast app and the plain one, with the same limits (a small list limit and a brake
    that trips after two failed lookups, so both refusals are reached)."""
    limits = {"failed_code_attempts_per_minute": 2, "max_list_length": 5}
    made = {
        "fast": create_app(settings.model_copy(update={**limits, "fast_path": True})),
        "plain": create_app(settings.model_copy(update={**limits, "fast_path": False})),
    }
    async with side_by_side(made) as clients:
        yield clients


async def _shop(make: Any) -> Shop:
    shop = await open_shop(make)
    site = shop.site
    await make.discount_code(
        site, code="CAPPED", max_uses=3, max_uses_per_customer=2, max_uses_per_order=1,
        usage_period=UsagePeriod.P1D, discount_bookings=True,
    )  # fmt: skip
    coupon = await make.coupon(site, name="Coupon", max_uses_per_customer=3)
    await make.coupon_code(coupon, code="ONCE", multi_use=False)
    await make.coupon_code(coupon, code="MULTI", multi_use=True)
    await make.discount_code(site, code="MINE")
    return shop


def _answered() -> int:
    return int(CheckoutSchema.stats["answered"])


async def _send(
    client: httpx.AsyncClient, token: str, body: dict[str, Any], method: str = "POST"
) -> tuple[int, str | None, bytes]:
    headers = {"authorization": f"Bearer {token}"}
    if method == "GET":
        import json

        params = {k: v if isinstance(v, str) else json.dumps(v) for k, v in body.items()}
        response = await client.get("/graphql", params=params, headers=headers)
    else:
        response = await client.post("/graphql", json=body, headers=headers)
    return response.status_code, response.headers.get("allow"), response.content


async def _both(
    apps: dict[str, httpx.AsyncClient],
    shops: dict[str, Shop],
    token: dict[str, str] | str,
    make_body: Any,
    *,
    fast: bool,
    method: str = "POST",
) -> bytes:
    """One request (made per shop by `make_body(shop)`) through both apps: the same answer;
    the fast app's shortcut answered it (`fast`) or left it to the plain path."""
    tokens = token if isinstance(token, dict) else dict.fromkeys(apps, token)
    before = _answered()
    fast_answer = await _send(apps["fast"], tokens["fast"], make_body(shops["fast"]), method)
    took_shortcut = _answered() - before == 1
    plain_answer = await _send(apps["plain"], tokens["plain"], make_body(shops["plain"]), method)
    # The two shops' ids, quoted back by some error messages, stand for each other.
    plain_answer = (*plain_answer[:2], _as_fast_shop(plain_answer[2], shops))
    fast_answer, plain_answer = _unnumbered(fast_answer), _unnumbered(plain_answer)
    assert fast_answer == plain_answer, make_body(shops["fast"])
    assert took_shortcut is fast, (fast, make_body(shops["fast"]), fast_answer)
    return fast_answer[2]


def _as_fast_shop(body: bytes, shops: dict[str, Shop]) -> bytes:
    fast, plain = shops["fast"], shops["plain"]
    for mine, theirs in ((plain.site, fast.site), (plain.member, fast.member),
                         (plain.contact, fast.contact)):  # fmt: skip
        body = body.replace(gid(mine).encode(), gid(theirs).encode())
    return body


def _unnumbered(answer: tuple[int, str | None, bytes]) -> tuple[int, str | None, bytes]:
    """The factory numbers the records it names (`Coupon 12`): each shop has its own."""
    return (*answer[:2], re.sub(rb"(Coupon|Code|Site|Customer) \d+", rb"\1 N", answer[2]))


def _body(query: str, variable: str = "input", **values: Any) -> Any:
    def make(shop: Shop) -> dict[str, Any]:
        given = {k: v for k, v in values.items() if k != "_raw"}
        attempt = values.get("_raw") or shop.attempt(given.pop("code", "CAPPED"), **given)
        return {"query": query, "variables": {variable: attempt}}

    return make


async def test_checks_and_redemptions_answer_as_the_plain_path(
    apps: dict[str, httpx.AsyncClient], make: Any, admin_token: str
) -> None:
    shops = {name: await _shop(make) for name in apps}
    for code in ("CAPPED", " capped ", "ONCE", "MULTI", "MINE", "missing"):
        for order in (None, "order-1"):
            await _both(apps, shops, admin_token, _body(VALIDATE, code=code, orderReference=order),
                        fast=True)  # fmt: skip
            for key in ("k1", "k2", "k1"):  # the second k1 is a replay
                body = _body(REDEEM, code=code, orderReference=order, idempotencyKey=f"{code}{key}")
                await _both(apps, shops, admin_token, body, fast=True)
    # the cap is spent by now: refusals, through every selection
    await _both(apps, shops, admin_token, _body(VALIDATE, code="CAPPED"), fast=True)
    for query in (REDEEM, BENCH_REDEEM):
        body = _body(query, code="CAPPED", idempotencyKey="late")
        await _both(apps, shops, admin_token, body, fast=True)
    answer = await _both(apps, shops, admin_token, _body(ALIASED, "basket", code="MULTI"),
                         fast=True)  # fmt: skip
    assert answer.startswith(b'{"data":{"check":{"ok":')


VARIABLES: list[tuple[str, dict[str, Any], bool]] = [
    (
        "every optional field given",
        {
            "code": "MULTI",
            "isLeadBooker": True,
            "channel": "BOX_OFFICE",
            "orderReference": "o",
            "lines": [{**BOOKING, "netUnitPrice": 900}, {**BOOKING, "quantity": 0}],
        },
        True,
    ),  # fmt: skip
    (
        "optional fields null",
        {"code": "MULTI", "orderReference": None, "couponId": None, "at": None},
        True,
    ),  # fmt: skip
    ("no customer", {"code": "MULTI", "customerId": None}, True),
    ("empty basket", {"code": "MULTI", "lines": []}, True),
    (
        "bad ids: user errors",
        {"code": "MULTI", "customerId": "nope", "couponId": "Q291cG9uOjA="},
        True,
    ),  # fmt: skip
    ("a negative quantity: a user error", {"lines": [{**BOOKING, "quantity": -1}]}, True),
    ("a bad currency: a user error", {"currency": "pounds"}, True),
    ("lines over the list limit", {"lines": [BOOKING] * 6}, False),
    ("a NUL in a value", {"code": "MULTI\x00"}, False),
    ("an unknown field", {"code": "MULTI", "colour": "red"}, False),
    ("a float quantity", {"lines": [{**BOOKING, "quantity": 2.0}]}, False),
    ("a string quantity", {"lines": [{**BOOKING, "quantity": "2"}]}, False),
    ("a quantity over 32 bits", {"lines": [{**BOOKING, "quantity": 2**31}]}, False),
    ("a boolean price", {"lines": [{**BOOKING, "unitPrice": True}]}, False),
    ("an unknown enum value", {"lines": [{**BOOKING, "category": "booking"}]}, False),
    ("one line, not a list", {"lines": BOOKING}, False),
    ("a number for an ID", {"siteId": 1}, False),
    ("a required field missing", {"currency": None}, False),
    ("an instant", {"code": "MULTI", "at": "2026-01-01T10:00:00Z"}, False),
]


@pytest.mark.parametrize(("name", "values", "fast"), VARIABLES, ids=[v[0] for v in VARIABLES])
async def test_variables_answer_as_the_plain_path(
    apps: dict[str, httpx.AsyncClient], make: Any, admin_token: str, name: str,
    values: dict[str, Any], fast: bool,
) -> None:  # fmt: skip
    shops = {name: await _shop(make) for name in apps}

    def body(query: str, key: str | None) -> Any:
        def make_body(shop: Shop) -> dict[str, Any]:
            attempt = shop.attempt(values.get("code", "MULTI"))
            attempt.update({k: v for k, v in values.items() if k != "code"})
            attempt["code"] = values.get("code", "MULTI")
            if key is not None:
                attempt["idempotencyKey"] = key
            return {"query": query, "variables": {"input": attempt}}

        return make_body

    await _both(apps, shops, admin_token, body(VALIDATE, None), fast=fast)
    await _both(apps, shops, admin_token, body(REDEEM, "a-key"), fast=fast)


async def test_requests_the_shortcut_leaves_to_the_plain_path(
    apps: dict[str, httpx.AsyncClient], make: Any, admin_token: str
) -> None:
    shops = {name: await _shop(make) for name in apps}
    for query in (FRAGMENT, TWO_FIELDS, REPEATED):
        await _both(apps, shops, admin_token, _body(query, code="MULTI"), fast=False)
    await _both(apps, shops, admin_token, _body(REDEMPTION, code="MULTI", idempotencyKey="r"),
                fast=False)  # fmt: skip

    def skipped(shop: Shop) -> dict[str, Any]:
        return {"query": SKIPPED, "variables": {"input": shop.attempt("MULTI"), "no": True}}

    await _both(apps, shops, admin_token, skipped, fast=False)

    def no_variables(shop: Shop) -> dict[str, Any]:
        return {"query": VALIDATE}

    await _both(apps, shops, admin_token, no_variables, fast=False)

    def other_operation(shop: Shop) -> dict[str, Any]:
        return {"query": VALIDATE, "operationName": "Other", "variables": {}}

    await _both(apps, shops, admin_token, other_operation, fast=False)
    # a mutation over GET is refused (405), a check over GET answered
    redeem = _body(REDEEM, code="MULTI", idempotencyKey="g")
    await _both(apps, shops, admin_token, redeem, fast=False, method="GET")
    await _both(apps, shops, admin_token, _body(VALIDATE, code="MULTI"), fast=True, method="GET")


async def test_refusals_and_the_brake_answer_as_the_plain_path(
    apps: dict[str, httpx.AsyncClient], make: Any
) -> None:
    shops = {name: await _shop(make) for name in apps}

    def tokens(subject: str, roles: list[str]) -> dict[str, str]:
        return {name: role_token(subject, roles, shop.site) for name, shop in shops.items()}

    redeemer = tokens("redeemer", [f"DiscountCode-{Action.REDEEM.value}",
                                   f"CouponCode-{Action.REDEEM.value}"])  # fmt: skip
    reader = tokens("reader", [f"Coupon-{Action.READ.value}"])
    # no role for codes: FORBIDDEN
    await _both(apps, shops, reader, _body(VALIDATE, code="MULTI"), fast=True)
    await _both(apps, shops, reader, _body(REDEEM, code="MULTI", idempotencyKey="f"), fast=True)
    # no token: refused
    await _both(apps, shops, "", _body(VALIDATE, code="MULTI"), fast=True)
    # the enumeration-safe view, then the brake after two failed lookups
    await _both(apps, shops, redeemer, _body(VALIDATE, code="MULTI"), fast=True)
    for turn in range(2):
        await _both(apps, shops, redeemer, _body(VALIDATE, code=f"nothing{turn}"), fast=True)
    braked = await _both(apps, shops, redeemer, _body(VALIDATE, code="nothing"), fast=True)
    assert b"RATE_LIMITED" in braked
    body = _body(REDEEM, code="nothing", idempotencyKey="b")
    assert b"RATE_LIMITED" in await _both(apps, shops, redeemer, body, fast=True)


@pytest.mark.parametrize("name", list(REASONS))
async def test_every_reason_answers_as_the_plain_path(
    apps: dict[str, httpx.AsyncClient], make: Any, admin_token: str, name: str
) -> None:
    shops = {}
    overrides = {}
    for app in apps:
        shop = await open_shop(make)
        shops[app], overrides[app] = shop, await REASONS[name](make, shop)

    def body(query: str, key: str | None) -> Any:
        def make_body(shop: Shop) -> dict[str, Any]:
            app = "fast" if shop is shops["fast"] else "plain"
            attempt = shop.attempt("  code1 ", **overrides[app])
            if key is not None:
                attempt["idempotencyKey"] = key
            return {"query": query, "variables": {"input": attempt}}

        return make_body

    # an instant (`at`) is a custom scalar: the plain path reads it
    fast = "at" not in overrides["fast"]
    await _both(apps, shops, admin_token, body(VALIDATE, None), fast=fast)
    await _both(apps, shops, admin_token, body(REDEEM, "reason"), fast=fast)


# Several codes on one order (validateCodes, redeemCodes): the same shortcut. The stacking
# tests' full redeemCodes selection reads its redemptions' codes through resolvers: plain.
REDEEM_CODES_PLAIN = """
mutation RedeemCodes($input: RedeemCodesInput!) {
  redeemCodes(input: $input) {
    valid discountTotal replayed lines { index amount }
    codes { code applied reason conflictsWith discountTotal lines { index amount } }
    userErrors { field code message }
  }
}
"""
REDEEM_CODES_RESOLVED = """
mutation RedeemCodes($input: RedeemCodesInput!) {
  redeemCodes(input: $input) { valid redemptions { amount discountCode { code } } }
}
"""
STACKED_SETS: list[tuple[str, list[str] | Any, bool]] = [
    ("two that combine", ["TENPC", "FIVEOFF"], True),
    ("an exclusive one", ["HALF", "TENPC"], True),
    ("one missing, one trimmed", ["missing", " fiveoff "], True),
    ("the same code twice", ["TENPC", "tenpc"], True),
    ("none", [], True),
    ("over the list limit", ["TENPC"] * 6, False),
    ("a NUL in a code", ["TENPC\x00"], False),
    ("a number for a code", [5], False),
    ("one code, not a list", "TENPC", False),
]


@pytest.mark.parametrize(("name", "codes", "fast"), STACKED_SETS, ids=[s[0] for s in STACKED_SETS])
async def test_several_codes_answer_as_the_plain_path(
    apps: dict[str, httpx.AsyncClient], make: Any, admin_token: str, name: str, codes: Any,
    fast: bool,
) -> None:  # fmt: skip
    shops = {}
    for app in apps:
        shops[app] = await open_shop(make)
        await docs_codes(make, shops[app])

    def body(query: str, **overrides: Any) -> Any:
        def make_body(shop: Shop) -> dict[str, Any]:
            return {"query": query, "variables": {"input": codes_input(shop, codes, **overrides)}}

        return make_body

    await _both(apps, shops, admin_token, body(VALIDATE_CODES), fast=fast)
    await _both(apps, shops, admin_token, body(VALIDATE_CODES, orderReference="o"), fast=fast)
    for key in ("k1", "k2", "k1"):  # the second k1 is a replay
        redeem = body(REDEEM_CODES_PLAIN, idempotencyKey=f"{name}-{key}")
        await _both(apps, shops, admin_token, redeem, fast=fast)
    # the same key with other codes: IDEMPOTENCY_KEY_REUSED, or the set refused as before
    other = body(REDEEM_CODES_PLAIN, idempotencyKey=f"{name}-k1", lines=[TICKET_ONLY])
    await _both(apps, shops, admin_token, other, fast=fast)
    # a selection through resolvers (the redemptions' codes): the plain path's
    resolved = body(REDEEM_CODES_RESOLVED, idempotencyKey=f"{name}-r")
    await _both(apps, shops, admin_token, resolved, fast=False)


TICKET_ONLY = {"category": "EVENT", "itemId": "gig", "quantity": 1, "unitPrice": 2500}
