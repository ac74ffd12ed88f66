"""validateCodes and redeemCodes: several codes on one order (app.services.stacked_redemptions,
docs/stacking.md). validateCode and redeemCode stay as they are for clients of one code.

They take validateCode's and redeemCode's inputs with `codes` for `code`, report bad input the
same way (userErrors), and answer every code in the order sent: whether it applies, the reason
if not (as the caller may see it: the enumeration-safe view of validateCode, per code), its
discount per line; then what the set takes off.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Annotated

import strawberry

from app.db.handles import Record
from app.domain.enums import Channel, Reason, StackReason
from app.graphql.checkout.inputs import DATED_REDEMPTION, BasketLineInput, input_id
from app.graphql.checkout.running import dry_run, redemption
from app.graphql.checkout.types import CodeDetails, LineDiscount, check_reason, redemption_of
from app.graphql.enums import CheckReason
from app.graphql.mutations.payloads import UserError, user_errors
from app.graphql.types.redemption import Redemption
from app.observability.metrics import REDEMPTIONS
from app.services import stacked_redemptions as stacked
from app.services.code_rights import SiteRights
from app.services.engine_facts import Ahead
from app.services.problems import Problem, Problems


@strawberry.input(description="What validateCodes and redeemCodes share: the codes and the basket.")
class CodesAttempt:
    codes: list[str] = strawberry.field(
        description="The codes as typed, in the order the customer gave them (equal priorities "
        "apply in this order); each matched trimmed, in any case, at most once. At most "
        "DISCOUNTS_MAX_CODES_PER_ORDER (5 by default). A code live under two coupons of the "
        "site answers AMBIGUOUS_CODE: check it alone with validateCode and couponId."
    )
    site_id: strawberry.ID = strawberry.field(description="The site the codes are used at.")
    currency: str = strawberry.field(description="ISO 4217 currency of the basket's prices.")
    lines: list[BasketLineInput] = strawberry.field(description="The basket, in order.")
    customer_id: strawberry.ID | None = strawberry.field(
        default=None, description="The customer using the codes (of the site's organisation)."
    )
    is_lead_booker: bool = strawberry.field(
        default=False, description="Whether the customer is the booking's lead booker."
    )
    channel: Channel = strawberry.field(
        default=Channel.ONLINE, description="Where the codes are used."
    )
    order_reference: str | None = strawberry.field(
        default=None, description="The order or booking; counted for the per-order caps."
    )


@strawberry.input(description="Several codes tried together on one basket (nothing is written).")
class ValidateCodesInput(CodesAttempt):
    at: datetime | None = strawberry.field(
        default=None,
        description="The moment the discounts are for: windows and usage periods are taken at "
        "it. Null: now; without an offset: the site's local time.",
    )


@strawberry.input(
    description="Several codes redeemed together for one order, all or none, and a key that "
    "makes retries safe."
)
class RedeemCodesInput(CodesAttempt):
    # Declared again only for its description; it keeps its place, first.
    codes: list[str] = strawberry.field(
        description="The codes, as in validateCodes. Every one must apply: validate first and "
        "send the codes that do."
    )
    idempotency_key: str = strawberry.field(
        description="Unique per order at the site; one key covers the whole set: the same key "
        "with the same codes and basket answers the set redeemed first; with another input it "
        "is the user error IDEMPOTENCY_KEY_REUSED. Up to 120 characters."
    )
    at: datetime | None = strawberry.field(default=None, description=DATED_REDEMPTION)


@strawberry.type(description="One code of a set sent for one order: whether it applies, and how.")
class StackedCode:
    code: str = strawberry.field(description="The code as sent (trimmed).")
    applied: bool = strawberry.field(description="It applies, with the others that apply.")
    reason: CheckReason | None = strawberry.field(
        description="Why not (null when it applies): its own first failing rule, as validateCode "
        "gives it (enumeration-safe for callers who may not read it), or DOES_NOT_COMBINE."
    )
    conflicts_with: str | None = strawberry.field(
        description="DOES_NOT_COMBINE: the code, applied before this one, it cannot be used "
        "beside (one the caller sent)."
    )
    discount_total: int = strawberry.field(description="Amount it takes off (0 when not).")
    lines: list[LineDiscount] = strawberry.field(
        description="Amount it takes off each basket line, after the codes applied before it "
        "(empty when it does not apply)."
    )
    details: CodeDetails | None = strawberry.field(
        description="The code, for callers who may read it; null when none was found."
    )


@strawberry.type(description="Whether several codes can be used together on a basket.")
class CodesCheck:
    valid: bool = strawberry.field(
        description="Every code sent applies (false when any is refused: see codes)."
    )
    discount_total: int = strawberry.field(
        description="Amount the codes that apply take off together."
    )
    lines: list[LineDiscount] = strawberry.field(
        description="Amount they take off each basket line, summing to discountTotal."
    )
    currency: str = strawberry.field(description="The basket's currency.")
    codes: list[StackedCode] = strawberry.field(
        description="Every code, in the order sent (empty on userErrors)."
    )
    user_errors: list[UserError] = strawberry.field(
        default_factory=list,
        description="Problems with the input: when there are any, nothing was checked.",
    )


@strawberry.type(description="What redeemCodes answers.")
class RedeemCodesPayload:
    valid: bool = strawberry.field(
        description="Every code was redeemed. When false nothing was written: see codes for "
        "the code refused and why."
    )
    redemptions: list[Redemption] = strawberry.field(
        description="One redemption per code, in the order sent (or recorded earlier under the "
        "same key); empty when refused or on userErrors. Each is voided on its own."
    )
    discount_total: int = strawberry.field(description="Amount off the basket (0 when refused).")
    lines: list[LineDiscount] = strawberry.field(description="Amount off each basket line.")
    codes: list[StackedCode] = strawberry.field(
        description="Every code, in the order sent: what it took off, or why the set was "
        "refused (the code refused carries the reason)."
    )
    replayed: bool = strawberry.field(
        description="The idempotency key was seen before: these are the earlier redemptions."
    )
    user_errors: list[UserError] = strawberry.field(
        description="Problems with the input; when there are any, nothing was written."
    )


def to_codes_request(
    given: ValidateCodesInput | RedeemCodesInput, max_codes: int
) -> stacked.CodesRequest:
    """The checked set; raises `Problems` naming every bad field at once."""
    problems: list[Problem] = []
    site_id = input_id(given.site_id, "Site", "siteId", problems)
    redeeming = isinstance(given, RedeemCodesInput)
    return stacked.build_codes_request(
        site_id=site_id or 0,
        codes=given.codes,
        currency=given.currency,
        lines=given.lines,
        customer_id=input_id(given.customer_id, "Customer", "customerId", problems),
        is_lead_booker=given.is_lead_booker,
        channel=given.channel,
        order_reference=given.order_reference,
        at=given.at,
        idempotency_key=given.idempotency_key if isinstance(given, RedeemCodesInput) else None,
        redeeming=redeeming,
        max_codes=max_codes,
        problems=problems,
    )


def _lines(amounts: Sequence[int]) -> list[LineDiscount]:
    return [LineDiscount(index=i, amount=a) for i, a in enumerate(amounts)]


def _shown(
    verdict: stacked.CodeVerdict, rights: SiteRights, searched: frozenset[str]
) -> CheckReason | None:
    """The verdict's reason as this caller may see it."""
    reason = verdict.reason
    if isinstance(reason, StackReason):
        # Only given to a code that passed its own rules, beside one the caller sent.
        return check_reason(reason)
    return check_reason(rights.reason_for(reason, verdict.type_name, searched))


def _stacked_codes(
    check: stacked.StackCheck, rights: SiteRights, searched: frozenset[str], currency: str
) -> list[StackedCode]:
    answers = []
    for verdict in check.verdicts:
        gathered = verdict.check.gathered
        details = None
        if gathered is not None and rights.may_read(verdict.type_name, searched):
            details = CodeDetails.of(gathered, currency)
        discount = verdict.discount if verdict.applied else None
        answers.append(
            StackedCode(
                code=verdict.code,
                applied=verdict.applied,
                reason=_shown(verdict, rights, searched),
                conflicts_with=verdict.conflicts_with,
                discount_total=0 if discount is None else discount.total,
                lines=[] if discount is None else _lines(discount.lines),
                details=details,
            )
        )
    return answers


def _written(codes: Sequence[str], rows: Sequence[Record]) -> list[StackedCode]:
    """The codes of a set as its redemptions record them."""
    return [
        StackedCode(
            code=code,
            applied=True,
            reason=None,
            conflicts_with=None,
            discount_total=row.amount,
            lines=_lines(row.line_amounts),
            details=None,
        )
        for code, row in zip(codes, rows, strict=True)
    ]


def _reasons(check: stacked.StackCheck) -> list[Reason | StackReason | None]:
    return [verdict.reason for verdict in check.verdicts]


async def validate_codes(
    info: strawberry.Info,
    input: Annotated[
        ValidateCodesInput,
        strawberry.argument(description="The codes, the site, the basket and who asks."),
    ],
) -> CodesCheck:
    max_codes = info.context.settings.max_codes_per_order
    checked = await dry_run(
        info,
        lambda: to_codes_request(input, max_codes),
        stacked.check_codes,
        _reasons,
        lambda request, search: Ahead(request.each, search, many=True),
    )
    if isinstance(checked, Problems):
        return CodesCheck(
            valid=False,
            discount_total=0,
            lines=[],
            currency=input.currency,
            codes=[],
            user_errors=user_errors(checked),
        )
    request, rights, check = checked.request, checked.rights, checked.verdict
    return CodesCheck(
        valid=check.valid,
        discount_total=check.total,
        lines=_lines(check.lines),
        currency=request.currency,
        codes=_stacked_codes(check, rights, rights.usable, request.currency),
    )


async def redeem_codes(
    info: strawberry.Info,
    input: Annotated[
        RedeemCodesInput,
        strawberry.argument(description="The codes, the site, the basket and the idempotency key."),
    ],
) -> RedeemCodesPayload:
    max_codes = info.context.settings.max_codes_per_order
    run = await redemption(
        info,
        lambda sessions, redeemer: stacked.redeem_codes(
            sessions, to_codes_request(input, max_codes), redeemer
        ),
    )
    codes = [code.strip() for code in input.codes]
    redeemed = run.answer
    if redeemed is None:
        return RedeemCodesPayload(
            valid=False,
            redemptions=[],
            discount_total=0,
            lines=[],
            codes=[],
            replayed=False,
            user_errors=run.errors,
        )
    rows, rights = redeemed.redemptions, redeemed.rights
    found = [redemption_of(row) for row in rows]
    if redeemed.check is None:  # the set redeemed earlier with this key
        REDEMPTIONS.labels("replayed", "").inc(len(rows))
        return RedeemCodesPayload(
            valid=True,
            redemptions=[r for r in found if r is not None],
            discount_total=sum(row.amount for row in rows),
            lines=_lines(
                [sum(parts) for parts in zip(*(r.line_amounts for r in rows), strict=True)]
            ),
            codes=_written(codes, rows),
            replayed=True,
            user_errors=[],
        )
    check = redeemed.check
    await run.brake.record_all(rights, _reasons(check))
    for verdict in check.verdicts:
        if not verdict.applied:
            reason = verdict.reason.value if verdict.reason is not None else ""
            REDEMPTIONS.labels("refused", reason).inc()
    REDEMPTIONS.labels("redeemed", "").inc(len(rows))
    return RedeemCodesPayload(
        valid=bool(rows),
        redemptions=[r for r in found if r is not None],
        discount_total=check.total if rows else 0,
        lines=_lines(check.lines) if rows else [],
        codes=_stacked_codes(check, rights, rights.redeemable, input.currency),
        replayed=False,
        user_errors=[],
    )


@strawberry.type
class StackingQuery:
    validate_codes: CodesCheck = strawberry.field(
        resolver=validate_codes,
        description="Whether several codes can be used together on one basket, and what each "
        "takes off: each code checked as validateCode checks one, then the ones that pass "
        "applied by priority (higher first), then in the order sent, each on what the lines "
        "still cost; a code that does not combine with one applied before it is refused "
        "(DOES_NOT_COMBINE). Nothing is written. Needs CouponCode- or DiscountCode-Redeem or "
        "-Read on the site; enumeration-safe per code as validateCode is.",
    )


@strawberry.type
class StackingMutation:
    redeem_codes: RedeemCodesPayload = strawberry.mutation(
        resolver=redeem_codes,
        description="Redeems several codes for one order, all or none, in one transaction: "
        "every code's rows are locked in a fixed order, the codes checked and stacked again "
        "as validateCodes does, and a redemption recorded per code, each counted against its "
        "caps (exact under concurrency). If any code does not apply, or its cap is found full "
        "under the lock, nothing is written and codes says which code and why. Each "
        "redemption is voided with voidRedemption. Needs CouponCode- or DiscountCode-Redeem on "
        "the site.",
    )
