"""redeemCode and voidRedemption: the two writes of the engine, each one transaction."""

from __future__ import annotations

from typing import Any

import strawberry
from sqlalchemy.engine import Row

from app.auth.roles import Action
from app.graphql.checkout.inputs import RedeemCodeInput, to_request
from app.graphql.checkout.rights import GuessBrake, site_rights
from app.graphql.checkout.types import (
    LineDiscount,
    RedeemCodePayload,
    VoidRedemptionPayload,
    line_discounts,
    redemption_of,
)
from app.graphql.errors import Forbidden
from app.graphql.ids import parse_global_id
from app.graphql.mutations.payloads import run_use_case
from app.observability.metrics import REDEMPTIONS
from app.services import redemptions
from app.services.engine_facts import COUPON_CODE, DISCOUNT_CODE, CodeSearch

VOID_PERMISSIONS = (
    ("Redemption", Action.EDIT),
    (COUPON_CODE, Action.REDEEM),
    (DISCOUNT_CODE, Action.REDEEM),
)


def _refuse(permissions: tuple[tuple[str, Action], ...], where: str) -> Forbidden:
    roles = [f"{type_name}-{action.value}" for type_name, action in permissions]
    return Forbidden(f"one of the roles {', '.join(roles)} is required{where}", roles=roles)


def _void_authorizer(info: strawberry.Info) -> Any:
    """Voiding needs Redemption-Edit on the redemption's site, or the Redeem role on the
    redeemed code's type there: the checkout that redeemed a code must be able to give the
    use back when the order is cancelled, without holding a second role.

    A caller who may not void a redemption is told which role they lack only when they may
    read it; to anyone else it is NOT_FOUND, as an id of nothing is, since the role would
    tell the kind of code it was for (and that it exists)."""
    access = info.context.access

    def authorize(row: Row[Any]) -> None:
        code_type = COUPON_CODE if row.coupon_code_id is not None else DISCOUNT_CODE
        permissions = (("Redemption", Action.EDIT), (code_type, Action.REDEEM))
        for type_name, action in permissions:
            if access.scope(type_name, action).covers(row.site_id, row.organisation_id):
                return
        if access.scope("Redemption", Action.READ).covers(row.site_id, row.organisation_id):
            raise _refuse(permissions, " on this site")
        raise redemptions.missing_redemption()

    return authorize


@strawberry.type
class EngineMutation:
    @strawberry.mutation(
        description="Uses a code on a basket: re-checks every rule inside one transaction, "
        "records a Redemption and counts it against every cap (exact under concurrency). A "
        "refusal is valid false with a reason, not an error. Needs CouponCode- or "
        "DiscountCode-Redeem on the site."
    )
    async def redeem_code(self, info: strawberry.Info, input: RedeemCodeInput) -> RedeemCodePayload:
        context = info.context
        context.access.require_authenticated()

        held: dict[str, Any] = {}
        brake = GuessBrake(info)
        await brake.consult()  # before the transaction: it holds locks while it runs

        def search_at(site: Row[Any]) -> CodeSearch:
            # Called inside the transaction, once the site is read: the rights and the brake
            # are the caller's at that site.
            held["rights"] = rights = site_rights(context.access, site, Action.REDEEM)
            brake.guard(rights)
            return rights.search(rights.redeemable)

        def may_date(site: Row[Any]) -> bool:
            scope = context.access.scope("Redemption", Action.CREATE)
            return scope.covers(site.id, site.organisation_id)

        async def use_case() -> Any:
            request = to_request(input)
            return await redemptions.redeem(
                context.services.sessions, request, search_at, context.principal.subject, may_date
            )

        result, errors = await run_use_case(use_case, context.db)
        if result is None:
            for error in errors:
                REDEMPTIONS.labels("rejected", str(getattr(error.code, "value", error.code))).inc()
            return RedeemCodePayload(
                redemption=None,
                valid=False,
                reason=None,
                discount_total=0,
                lines=[],
                replayed=False,
                user_errors=errors,
            )
        redeemed, rights = result, held["rights"]
        row = redeemed.redemption
        if redeemed.check is None:  # the earlier redemption made with this key
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
        await brake.record(outcome.reason)
        if row is None:
            REDEMPTIONS.labels("refused", outcome.reason.value if outcome.reason else "").inc()
        else:
            REDEMPTIONS.labels("redeemed", "").inc()
        return RedeemCodePayload(
            redemption=redemption_of(row),
            valid=row is not None,
            reason=rights.reason_for(outcome.reason, redeemed.check.type_name, rights.redeemable),
            discount_total=0 if row is None else row.amount,
            lines=line_discounts(outcome.discount if row is not None else None),
            replayed=False,
            user_errors=[],
        )

    @strawberry.mutation(
        description="Voids a redemption: keeps it with voidedAt set and gives its use back to "
        "every cap it counted against. Idempotent: voiding a voided redemption answers it "
        "unchanged. Needs Redemption-Edit, or the Redeem role on the redeemed code's type, on "
        "the redemption's site; a redemption the caller may not read is NOT_FOUND, as an id "
        "of nothing is."
    )
    async def void_redemption(
        self, info: strawberry.Info, id: strawberry.ID
    ) -> VoidRedemptionPayload:
        context = info.context
        access = context.access
        # Refused before the id is read when the caller holds none of the roles anywhere.
        if all(access.scope(name, action).is_empty for name, action in VOID_PERMISSIONS):
            raise _refuse(VOID_PERMISSIONS, "")
        authorize = _void_authorizer(info)

        async def use_case() -> Any:
            parsed = parse_global_id(id)
            if parsed is None or parsed[0] != "Redemption":
                raise redemptions.missing_redemption()
            return await redemptions.void(
                context.services.sessions, parsed[1], authorize, context.principal.subject
            )

        row, errors = await run_use_case(use_case, context.db)
        return VoidRedemptionPayload(redemption=redemption_of(row), user_errors=errors)
