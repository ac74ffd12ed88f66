"""The engine's inputs: a basket and the attempt to use a code on it."""

from __future__ import annotations

from datetime import datetime

import strawberry

from app.domain.enums import Channel, ItemCategory
from app.graphql.ids import parse_global_id
from app.services.engine_request import CodeRequest, build_request
from app.services.problems import Problem, ProblemCode


@strawberry.input(description="One basket line: a quantity of an item at a unit price.")
class BasketLineInput:
    category: ItemCategory = strawberry.field(description="What the item is.")
    item_id: str = strawberry.field(description="The item's id in its category (plan, event...).")
    quantity: int = strawberry.field(description="How many (>= 0).")
    unit_price: int = strawberry.field(description="Gross price of one, in minor units (>= 0).")
    net_unit_price: int | None = strawberry.field(
        default=None,
        description="Net price of one (>= 0), for terms that apply to net prices; null: gross.",
    )


@strawberry.input(description="An attempt to use a code on a basket (nothing is written).")
class ValidateCodeInput:
    code: str = strawberry.field(description="The code as typed; matched trimmed, in any case.")
    site_id: strawberry.ID = strawberry.field(description="The site the code is used at.")
    currency: str = strawberry.field(description="ISO 4217 currency of the basket's prices.")
    lines: list[BasketLineInput] = strawberry.field(description="The basket, in order.")
    coupon_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="Looks among this coupon's codes only: needed when the same code string is "
        "live under two coupons of the site (AMBIGUOUS_CODE).",
    )
    customer_id: strawberry.ID | None = strawberry.field(
        default=None, description="The customer using the code (of the site's organisation)."
    )
    is_lead_booker: bool = strawberry.field(
        default=False, description="Whether the customer is the booking's lead booker."
    )
    channel: Channel = strawberry.field(
        default=Channel.ONLINE, description="Where the code is used."
    )
    order_reference: str | None = strawberry.field(
        default=None, description="The order or booking; counted for the per-order cap."
    )
    at: datetime | None = strawberry.field(
        default=None,
        description="The moment the discount is for (e.g. the booking's time): windows and the "
        "usage period are taken at it. Null: now; without an offset: the site's local time.",
    )


# redeemCode's and redeemCodes' `at` (app.services.redemptions.Redeemer.rights_at).
DATED_REDEMPTION = (
    "Leave out: a redemption happens now. Only an import of past uses may date one "
    "(administrators, or the Redemption-Create role on the site), never ahead of now; anyone "
    "else gets the user error FORBIDDEN at input.at. Without an offset: the site's local time."
)


@strawberry.input(description="A redemption: the attempt, and a key that makes retries safe.")
class RedeemCodeInput(ValidateCodeInput):
    at: datetime | None = strawberry.field(default=None, description=DATED_REDEMPTION)
    idempotency_key: str = strawberry.field(
        description="Unique per redemption at the site (e.g. the order id and line): the same key "
        "with the same input answers the first redemption again; with another input it is the "
        "user error IDEMPOTENCY_KEY_REUSED. Up to 128 characters."
    )


def input_id(value: str | None, type_name: str, name: str, problems: list[Problem]) -> int | None:
    """The database id of an input's global id `name`; a problem at input.<name> when it is
    not the id of a `type_name`."""
    if value is None:
        return None
    parsed = parse_global_id(value)
    if parsed is None or parsed[0] != type_name:
        message = f"{value!r} is not the id of a {type_name}"
        problems.append(Problem(("input", name), ProblemCode.INVALID, message))
        return None
    return parsed[1]


def to_request(given: ValidateCodeInput) -> CodeRequest:
    """The checked request; raises `Problems` naming every bad field at once."""
    problems: list[Problem] = []
    site_id = input_id(given.site_id, "Site", "siteId", problems)
    redeeming = isinstance(given, RedeemCodeInput)
    return build_request(
        site_id=site_id or 0,
        code=given.code,
        currency=given.currency,
        lines=given.lines,
        coupon_id=input_id(given.coupon_id, "Coupon", "couponId", problems),
        customer_id=input_id(given.customer_id, "Customer", "customerId", problems),
        is_lead_booker=given.is_lead_booker,
        channel=given.channel,
        order_reference=given.order_reference,
        at=given.at,
        idempotency_key=given.idempotency_key if isinstance(given, RedeemCodeInput) else None,
        redeeming=redeeming,
        problems=problems,
    )
