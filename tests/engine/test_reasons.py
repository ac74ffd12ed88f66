"""Every reason a code is refused, as validateCode answers it to a caller who may read codes.

Each case sets a shop up (given), asks about one attempt (when) and expects one reason (then);
the code is always typed in another letter case with spaces around it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from app.domain.enums import Channel, DiscountKind
from tests.engine.support import VALIDATE, Shop, gid, open_shop

NOW = datetime.now(UTC)
DAY = timedelta(days=1)
Setup = Callable[[Any, Shop], Awaitable[dict[str, Any]]]
CASES: dict[str, Setup] = {}


def case(name: str) -> Callable[[Setup], Setup]:
    def register(setup: Setup) -> Setup:
        CASES[name] = setup
        return setup

    return register


@case("VALID")
async def _valid(make: Any, shop: Shop) -> dict[str, Any]:
    await make.discount_code(shop.site, code="Code1")
    return {}


@case("NOT_FOUND")
async def _not_found(make: Any, shop: Shop) -> dict[str, Any]:
    other = await make.site(shop.organisation)
    await make.discount_code(other, code="Code1")  # the same code at another site
    return {}


@case("NOT_FOUND:coupon-narrows-to-another")
async def _not_found_in_coupon(make: Any, shop: Shop) -> dict[str, Any]:
    await make.discount_code(shop.site, code="Code1")
    other = await make.coupon(shop.site)
    return {"couponId": gid(other)}


@case("AMBIGUOUS_CODE")
async def _ambiguous(make: Any, shop: Shop) -> dict[str, Any]:
    for _ in range(2):
        await make.coupon_code(await make.coupon(shop.site), code="CODE1")
    return {}


@case("AMBIGUOUS_CODE:coupon-code-and-discount-code")
async def _ambiguous_kinds(make: Any, shop: Shop) -> dict[str, Any]:
    await make.coupon_code(await make.coupon(shop.site), code="CODE1")
    await make.discount_code(shop.site, code="code1")
    return {}


@case("VALID:coupon-narrows-the-ambiguity")
async def _narrowed(make: Any, shop: Shop) -> dict[str, Any]:
    chosen = await make.coupon(shop.site)
    await make.coupon_code(chosen, code="CODE1")
    await make.coupon_code(await make.coupon(shop.site), code="CODE1")
    return {"couponId": gid(chosen)}


@case("VALID:deleted-twin-is-ignored")
async def _deleted_twin(make: Any, shop: Shop) -> dict[str, Any]:
    await make.coupon_code(await make.coupon(shop.site), code="CODE1", deleted_at=NOW)
    await make.coupon_code(await make.coupon(shop.site), code="CODE1")
    return {}


@case("DELETED")
async def _deleted_code(make: Any, shop: Shop) -> dict[str, Any]:
    await make.coupon_code(await make.coupon(shop.site), code="CODE1", deleted_at=NOW)
    return {}


@case("DELETED:coupon")
async def _deleted_coupon(make: Any, shop: Shop) -> dict[str, Any]:
    await make.coupon_code(await make.coupon(shop.site, deleted_at=NOW), code="CODE1")
    return {}


@case("DELETED:assignment")
async def _deleted_assignment(make: Any, shop: Shop) -> dict[str, Any]:
    code = await make.discount_code(shop.site, code="CODE1")
    await make.assignment(shop.member, code, deleted_at=NOW)
    await make.assignment(shop.contact, code)  # the code is still for assignees only
    return {}


@case("DISABLED")
async def _disabled(make: Any, shop: Shop) -> dict[str, Any]:
    await make.discount_code(shop.site, code="CODE1", disabled_at=NOW)
    return {}


@case("DISABLED:coupon")
async def _disabled_coupon(make: Any, shop: Shop) -> dict[str, Any]:
    await make.coupon_code(await make.coupon(shop.site, disabled_at=NOW), code="CODE1")
    return {}


@case("NOT_YET_VALID")
async def _not_yet_valid(make: Any, shop: Shop) -> dict[str, Any]:
    coupon = await make.coupon(shop.site, valid_to=NOW - DAY)  # closed, but not yet opened wins
    await make.coupon_code(coupon, code="CODE1", valid_from=NOW + DAY, multi_use=True)
    return {}


@case("EXPIRED")
async def _expired(make: Any, shop: Shop) -> dict[str, Any]:
    await make.discount_code(shop.site, code="CODE1", valid_to=NOW - DAY)
    return {}


@case("EXPIRED:assignment")
async def _expired_assignment(make: Any, shop: Shop) -> dict[str, Any]:
    code = await make.discount_code(shop.site, code="CODE1")
    await make.assignment(shop.member, code, expires_on=NOW - DAY)
    return {}


@case("VALID:at-inside-the-window")
async def _at_in_window(make: Any, shop: Shop) -> dict[str, Any]:
    await make.discount_code(shop.site, code="CODE1", valid_to=NOW - DAY)
    return {"at": (NOW - 2 * DAY).isoformat()}


@case("USAGE_LIMIT_REACHED")
async def _used_up(make: Any, shop: Shop) -> dict[str, Any]:
    code = await make.discount_code(shop.site, code="CODE1", max_uses=2)
    for _ in range(2):
        await make.redemption(code)
    await make.redemption(code, voided_at=NOW)  # voided uses do not count
    return {}


@case("USAGE_LIMIT_REACHED:across-the-coupon")
async def _used_up_coupon(make: Any, shop: Shop) -> dict[str, Any]:
    coupon = await make.coupon(shop.site, max_uses=1)
    await make.redemption(await make.coupon_code(coupon, multi_use=True))
    await make.coupon_code(coupon, code="CODE1", multi_use=True)
    return {}


@case("CUSTOMER_REQUIRED")
async def _customer_required(make: Any, shop: Shop) -> dict[str, Any]:
    await make.discount_code(shop.site, code="CODE1", max_uses_per_customer=1)
    return {"customerId": None}


@case("CUSTOMER_LIMIT_REACHED")
async def _customer_limit(make: Any, shop: Shop) -> dict[str, Any]:
    code = await make.discount_code(shop.site, code="CODE1", max_uses_per_customer=1)
    await make.redemption(code, customer_id=shop.member.id)
    await make.redemption(code, customer_id=shop.contact.id)
    return {}


@case("ALREADY_USED")
async def _single_use(make: Any, shop: Shop) -> dict[str, Any]:
    code = await make.coupon_code(await make.coupon(shop.site), code="CODE1", multi_use=False)
    await make.redemption(code, customer_id=shop.contact.id)
    return {}


@case("ALREADY_USED:once-per-customer")
async def _once_per_customer(make: Any, shop: Shop) -> dict[str, Any]:
    code = await make.coupon_code(await make.coupon(shop.site), code="CODE1", multi_use=True)
    await make.redemption(code, customer_id=shop.member.id)
    return {}


@case("ORDER_LIMIT_REACHED")
async def _order_limit(make: Any, shop: Shop) -> dict[str, Any]:
    code = await make.discount_code(shop.site, code="CODE1", max_uses_per_order=1)
    await make.redemption(code, order_reference="ORDER-7")
    return {"orderReference": "ORDER-7"}


@case("NOT_ASSIGNED_TO_CUSTOMER")
async def _someone_elses(make: Any, shop: Shop) -> dict[str, Any]:
    coupon = await make.coupon(shop.site)
    await make.coupon_code(coupon, code="CODE1", multi_use=True, customer_id=shop.contact.id)
    return {}


@case("NOT_ASSIGNED_TO_CUSTOMER:assignees-only")
async def _assigned_to_another(make: Any, shop: Shop) -> dict[str, Any]:
    code = await make.discount_code(shop.site, code="CODE1")
    await make.assignment(shop.contact, code)
    return {}


@case("MEMBERS_ONLY")
async def _members_only(make: Any, shop: Shop) -> dict[str, Any]:
    await make.discount_code(shop.site, code="CODE1", members_only=True)
    return {"customerId": gid(shop.contact)}


@case("CONTACTS_ONLY")
async def _contacts_only(make: Any, shop: Shop) -> dict[str, Any]:
    await make.discount_code(shop.site, code="CODE1", contacts_only=True)
    return {}


@case("LEAD_BOOKER_ONLY")
async def _lead_booker_only(make: Any, shop: Shop) -> dict[str, Any]:
    await make.discount_code(shop.site, code="CODE1", lead_booker_only=True)
    return {"isLeadBooker": False}


@case("BOX_OFFICE_ONLY")
async def _box_office_only(make: Any, shop: Shop) -> dict[str, Any]:
    await make.discount_code(shop.site, code="CODE1", box_office_only=True)
    return {"channel": Channel.ONLINE.value}


@case("VALID:box-office")
async def _at_box_office(make: Any, shop: Shop) -> dict[str, Any]:
    await make.discount_code(shop.site, code="CODE1", box_office_only=True, lead_booker_only=True)
    return {"channel": Channel.BOX_OFFICE.value, "isLeadBooker": True}


@case("CURRENCY_NOT_SUPPORTED")
async def _currency(make: Any, shop: Shop) -> dict[str, Any]:
    await make.discount_code(
        shop.site, code="CODE1", kind=DiscountKind.FIXED, percentage_bp=None, amounts={"EUR": 500}
    )
    return {}


@case("NO_ELIGIBLE_ITEMS")
async def _no_eligible(make: Any, shop: Shop) -> dict[str, Any]:
    await make.discount_code(shop.site, code="CODE1", discount_events=True)
    return {}


@case("MINIMUM_SPEND_NOT_REACHED")
async def _minimum_spend(make: Any, shop: Shop) -> dict[str, Any]:
    await make.discount_code(shop.site, code="CODE1", minimum_spend={"GBP": 2001})
    return {}


@pytest.mark.parametrize("name", list(CASES))
async def test_validate_code_names_the_first_failing_rule(gql: Any, make: Any, name: str) -> None:
    # Given
    shop = await open_shop(make)
    overrides = await CASES[name](make, shop)
    # When
    data = await gql(VALIDATE, {"input": shop.attempt("  code1 ", **overrides)})
    # Then
    answer = data["validateCode"]
    expected = name.split(":")[0]
    assert answer["reason"] == (None if expected == "VALID" else expected), answer
    assert answer["valid"] is (expected == "VALID")
    assert answer["discountTotal"] == (200 if expected == "VALID" else 0)
    found = expected not in {"NOT_FOUND", "AMBIGUOUS_CODE"}
    assert (answer["code"] is not None) is found


async def test_every_reason_has_a_case() -> None:
    from app.domain.enums import Reason

    assert {name.split(":")[0] for name in CASES} == {r.value for r in Reason} | {"VALID"}
