"""Coupon mutations: create, update, and their state changes (one and many)."""

from __future__ import annotations

from typing import Annotated

import strawberry

from app.graphql import resolvers
from app.graphql.context import Info
from app.graphql.mutations.payloads import UserError, user_errors_field, written
from app.graphql.mutations.state_changes import Target, state_change_mutations
from app.graphql.mutations.support import built
from app.graphql.mutations.terms_inputs import TermsInput
from app.graphql.mutations.terms_owners import create_owner, update_owner
from app.graphql.types.coupon import Coupon
from app.services import coupons
from app.services.kinds import COUPONS
from app.services.records import StateChange


@strawberry.input(description="A new coupon: a campaign on a site, with its Terms.")
class CreateCouponInput:
    site_id: strawberry.ID = strawberry.field(description="The site the coupon belongs to.")
    name: str = strawberry.field(description="Staff-facing name of the campaign.")
    terms: TermsInput = strawberry.field(description="The rules every code of the coupon follows.")
    description: str | None = strawberry.field(default=None, description="What it is for.")
    external_id: str | None = strawberry.field(default=None, description="The source system's id.")


@strawberry.input(
    description="Changes to a coupon: an omitted field keeps its value, null clears it."
)
class UpdateCouponInput:
    id: strawberry.ID = strawberry.field(description="The coupon to change.")
    name: strawberry.Maybe[str] = strawberry.field(description="Staff-facing name.")
    description: strawberry.Maybe[str | None] = strawberry.field(description="What it is for.")
    external_id: strawberry.Maybe[str | None] = strawberry.field(
        description="The source system's id."
    )
    terms: strawberry.Maybe[TermsInput] = strawberry.field(
        description="Changes to the Terms (each field partial in the same way)."
    )


@strawberry.type(description="What createCoupon answers.")
class CreateCouponPayload:
    coupon: Coupon | None = written("The coupon created")
    user_errors: list[UserError] = user_errors_field()


@strawberry.type(description="What updateCoupon answers.")
class UpdateCouponPayload:
    coupon: Coupon | None = written("The coupon changed")
    user_errors: list[UserError] = user_errors_field()


@strawberry.type(description="Writing coupons.")
class CouponMutation:
    @resolvers.mutation(description="Creates a coupon (needs Coupon-Create on its site).")
    async def create_coupon(
        self,
        info: Info,
        input: Annotated[
            CreateCouponInput, strawberry.argument(description="The coupon to create.")
        ],
    ) -> CreateCouponPayload:
        row, errors = await create_owner(info, coupons.OWNER, input)
        return CreateCouponPayload(coupon=built(Coupon, row), user_errors=errors)

    @resolvers.mutation(description="Changes the fields given of a coupon (needs Coupon-Edit).")
    async def update_coupon(
        self,
        info: Info,
        input: Annotated[
            UpdateCouponInput,
            strawberry.argument(description="The coupon and the fields to change."),
        ],
    ) -> UpdateCouponPayload:
        row, errors = await update_owner(info, coupons.OWNER, input)
        return UpdateCouponPayload(coupon=built(Coupon, row), user_errors=errors)


CouponStateMutation = state_change_mutations(
    Target(
        COUPONS,
        Coupon,
        field="coupon",
        plural="coupons",
        changes=tuple(StateChange),
        bulk=True,
    )
)
