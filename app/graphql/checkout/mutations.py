"""redeemCode and voidRedemption: the two writes of the engine, each one transaction that
the use case opens, given the caller's rights as data (app.services.code_rights)."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry

from app.auth.roles import Action
from app.graphql import resolvers
from app.graphql.checkout.inputs import RedeemCodeInput, to_request
from app.graphql.checkout.rights import code_rights, refusals
from app.graphql.checkout.running import redemption
from app.graphql.checkout.types import (
    LineDiscount,
    RedeemCodePayload,
    VoidRedemptionPayload,
    check_reason,
    line_discounts,
    redemption_of,
)
from app.graphql.errors import Forbidden
from app.graphql.ids import parse_global_id
from app.graphql.mutations.payloads import run_use_case
from app.observability.metrics import REDEMPTIONS
from app.services import redemptions
from app.services.engine_facts import COUPON_CODE, DISCOUNT_CODE

VOID_PERMISSIONS = (
    ("Redemption", Action.EDIT),
    (COUPON_CODE, Action.REDEEM),
    (DISCOUNT_CODE, Action.REDEEM),
)


def _refuse(permissions: tuple[tuple[str, Action], ...], where: str) -> Forbidden:
    roles = [f"{type_name}-{action.value}" for type_name, action in permissions]
    return Forbidden(f"one of the roles {', '.join(roles)} is required{where}", roles=roles)


@strawberry.type
class EngineMutation:
    @resolvers.mutation(
        description="Uses a code on a basket: re-checks every rule inside one transaction, "
        "records a Redemption and counts it against every cap (exact under concurrency). A "
        "refusal is valid false with a reason, not an error. Needs CouponCode- or "
        "DiscountCode-Redeem on the site."
    )
    async def redeem_code(
        self,
        info: strawberry.Info,
        input: Annotated[
            RedeemCodeInput,
            strawberry.argument(
                description="The code, the site, the basket and the idempotency key."
            ),
        ],
    ) -> RedeemCodePayload:
        run = await redemption(
            info,
            lambda sessions, redeemer: redemptions.redeem(sessions, to_request(input), redeemer),
        )
        redeemed = run.answer
        if redeemed is None:
            return RedeemCodePayload(
                redemption=None,
                valid=False,
                reason=None,
                discount_total=0,
                lines=[],
                replayed=False,
                user_errors=run.errors,
            )
        row, rights = redeemed.redemption, redeemed.rights
        if redeemed.check is None:  # the earlier redemption made with this key
            assert row is not None
            REDEMPTIONS.labels("replayed", "").inc()
            return RedeemCodePayload(
                redemption=redemption_of(row),
                valid=True,
                reason=None,
                discount_total=row.amount,
                lines=[LineDiscount(index=i, amount=a) for i, a in enumerate(row.line_amounts)],
                replayed=True,
                user_errors=[],
            )
        outcome = redeemed.check.outcome
        await run.brake.record(rights, outcome.reason)
        if row is None:
            REDEMPTIONS.labels("refused", outcome.reason.value if outcome.reason else "").inc()
        else:
            REDEMPTIONS.labels("redeemed", "").inc()
        return RedeemCodePayload(
            redemption=redemption_of(row),
            valid=row is not None,
            reason=check_reason(
                rights.reason_for(outcome.reason, redeemed.check.type_name, rights.redeemable)
            ),
            discount_total=0 if row is None else row.amount,
            lines=line_discounts(outcome.discount if row is not None else None),
            replayed=False,
            user_errors=[],
        )

    @resolvers.mutation(
        description="Voids a redemption: keeps it with voidedAt set and gives its use back to "
        "every cap it counted against. Idempotent: voiding a voided redemption answers it "
        "unchanged. Needs Redemption-Edit, or the Redeem role on the redeemed code's type, on "
        "the redemption's site; a redemption the caller may not read is NOT_FOUND, as an id "
        "of nothing is."
    )
    async def void_redemption(
        self,
        info: strawberry.Info,
        id: Annotated[
            strawberry.ID, strawberry.argument(description="The redemption's global id.")
        ],
    ) -> VoidRedemptionPayload:
        context = info.context
        access = context.access
        # Refused before the id is read when the caller holds none of the roles anywhere.
        if all(access.scope(name, action).is_empty for name, action in VOID_PERMISSIONS):
            raise _refuse(VOID_PERMISSIONS, "")
        rights = code_rights(access)

        async def use_case() -> Any:
            parsed = parse_global_id(id)
            if parsed is None or parsed[0] != "Redemption":
                raise redemptions.missing_redemption()
            return await redemptions.void(
                context.services.sessions, parsed[1], rights, context.principal.subject
            )

        with refusals():
            row, errors = await run_use_case(use_case, context.db)
        return VoidRedemptionPayload(redemption=redemption_of(row), user_errors=errors)
