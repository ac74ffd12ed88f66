"""validateCode (a dry run of a redemption) and codeUsageStats (seed 003's usage statistics).

validateCode takes redeemCode's input and reports bad input as redeemCode does, as
`userErrors` (a client sends one basket to both). codeUsageStats takes plain arguments and
answers a nullable statistic, so it reports bad input as the other reads do: a GraphQL error
`BAD_USER_INPUT`, with `extensions.field` and every problem under `extensions.problems`.
"""

from __future__ import annotations

from typing import Annotated

import strawberry

from app.auth.roles import Action
from app.domain.enums import Reason
from app.graphql import resolvers
from app.graphql.checkout.inputs import ValidateCodeInput, to_request
from app.graphql.checkout.rights import code_rights, refusals
from app.graphql.checkout.running import dry_run
from app.graphql.checkout.types import (
    CodeCheck,
    CodeDetails,
    CodeUsageStats,
    check_reason,
    line_discounts,
)
from app.graphql.errors import BadInput, ExpectedError
from app.graphql.ids import decode_id
from app.graphql.mutations.payloads import user_errors
from app.graphql.scalars import DateOrDateTime
from app.services import redemptions
from app.services.engine_facts import Ahead
from app.services.problems import Problems


def bad_input(problems: Problems) -> BadInput:
    """One GraphQL error for every problem of a query's input."""
    found = problems.problems
    text = "; ".join(f"{'.'.join(p.field)}: {p.message}" for p in found)
    listed = [{"field": list(p.field), "code": p.code.value, "message": p.message} for p in found]
    return BadInput(text, field=".".join(found[0].field), problems=listed)


@strawberry.type
class EngineQuery:
    @resolvers.field(
        description="Whether a code can be used on a basket, and the discount per line: the "
        "redemption's checks without writing anything. Needs CouponCode- or DiscountCode-Redeem "
        "or -Read on the site; answers with the enumeration-safe view to callers who may only "
        "redeem (see CodeCheck.reason). Failed guesses are rate limited per caller."
    )
    async def validate_code(
        self,
        info: strawberry.Info,
        input: Annotated[
            ValidateCodeInput,
            strawberry.argument(description="The code, the site, the basket and who asks."),
        ],
    ) -> CodeCheck:
        checked = await dry_run(
            info,
            lambda: to_request(input),
            redemptions.check_code,
            lambda check: [check.outcome.reason],
            lambda request, search: Ahead((request,), search),
        )
        if isinstance(checked, Problems):
            return CodeCheck(
                valid=False,
                reason=None,
                discount_total=0,
                lines=[],
                currency=input.currency,
                code=None,
                user_errors=user_errors(checked),
            )
        request, rights, check = checked.request, checked.rights, checked.verdict
        outcome = check.outcome
        readable = rights.may_read(check.type_name, rights.usable)
        details = None
        if readable and check.gathered is not None:
            details = CodeDetails.of(check.gathered, request.currency)
        return CodeCheck(
            valid=outcome.valid,
            reason=check_reason(rights.reason_for(outcome.reason, check.type_name, rights.usable)),
            discount_total=0 if outcome.discount is None else outcome.discount.total,
            lines=line_discounts(outcome.discount),
            currency=request.currency,
            code=details,
        )

    @resolvers.field(
        description="Uses of a code's total cap in the usage period that contains a booking "
        "date (Trybe getCouponCodeUsageStats). Null when the coupon or discount code has no "
        "maxUses, or when offeringId names an OFFERING item its terms do not apply to. Needs "
        "CouponCode- or DiscountCode-Read on the site; an unknown code is a NOT_FOUND error."
    )
    async def code_usage_stats(
        self,
        info: strawberry.Info,
        code: Annotated[
            str,
            strawberry.argument(description="The code as a customer types it (any letter case)."),
        ],
        booking_date: Annotated[
            DateOrDateTime,
            strawberry.argument(description="A day or instant in the usage period to report on."),
        ],
        site_id: Annotated[
            strawberry.ID, strawberry.argument(description="The site the code is used at.")
        ],
        offering_id: Annotated[
            str | None,
            strawberry.argument(
                description="An item id: null is answered when the code does not apply to it."
            ),
        ] = None,
        coupon_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(
                description="The coupon, when the same code is live in two coupons."
            ),
        ] = None,
    ) -> CodeUsageStats | None:
        context = info.context
        context.access.require_authenticated()
        site_db_id = decode_id(site_id, "Site", field="siteId")
        coupon = None if coupon_id is None else decode_id(coupon_id, "Coupon", field="couponId")
        try:
            site = await redemptions.find_site(context.db, site_db_id, "siteId")
            with refusals():
                rights = code_rights(context.access).at(site, Action.READ)
            stats = await redemptions.usage_stats(
                context.db,
                site,
                code,
                booking_date,  # type: ignore[arg-type]
                rights.readable,
                coupon_id=coupon,
                offering_id=offering_id,
            )
        except Problems as problems:
            raise bad_input(problems) from None
        if isinstance(stats, Reason):
            message = f"code: no live code {code.strip()!r} at this site"
            if stats is Reason.AMBIGUOUS_CODE:
                message = "code: live under several coupons of the site; pass couponId"
            raise ExpectedError(message, code=stats.value, field="code")
        if stats is None:
            return None
        return CodeUsageStats(
            limit=stats.limit,
            used=stats.used,
            remaining=stats.remaining,
            usage_period=stats.usage_period,
            period_start=stats.period_start,
            period_end=stats.period_end,
        )
