"""Discount code mutations: create, update, and their state changes (one and many)."""

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
from app.graphql.types.discount_code import DiscountCode
from app.services import discount_codes
from app.services.kinds import DISCOUNT_CODES
from app.services.records import StateChange


@strawberry.input(description="A new discount code on a site, with its own Terms.")
class CreateDiscountCodeInput:
    site_id: strawberry.ID = strawberry.field(description="The site the code belongs to.")
    code: str = strawberry.field(
        description="What customers type: trimmed, unique among the site's live codes in any "
        "letter case; ASCII letters, digits, '-' and '_'."
    )
    terms: TermsInput = strawberry.field(description="The code's rules.")
    description: str | None = strawberry.field(default=None, description="What it is for.")
    external_id: str | None = strawberry.field(default=None, description="The source system's id.")


@strawberry.input(
    description="Changes to a discount code: an omitted field keeps its value, null clears it."
)
class UpdateDiscountCodeInput:
    id: strawberry.ID = strawberry.field(description="The discount code to change.")
    code: strawberry.Maybe[str] = strawberry.field(
        description="A new code string (unique among the site's live codes)."
    )
    description: strawberry.Maybe[str | None] = strawberry.field(description="What it is for.")
    external_id: strawberry.Maybe[str | None] = strawberry.field(
        description="The source system's id."
    )
    terms: strawberry.Maybe[TermsInput] = strawberry.field(
        description="Changes to the Terms (each field partial in the same way)."
    )


@strawberry.type(description="What createDiscountCode answers.")
class CreateDiscountCodePayload:
    discount_code: DiscountCode | None = written("The discount code created")
    user_errors: list[UserError] = user_errors_field()


@strawberry.type(description="What updateDiscountCode answers.")
class UpdateDiscountCodePayload:
    discount_code: DiscountCode | None = written("The discount code changed")
    user_errors: list[UserError] = user_errors_field()


@strawberry.type(description="Writing discount codes.")
class DiscountCodeMutation:
    @resolvers.mutation(
        description="Creates a discount code (needs DiscountCode-Create on its site); a code "
        "already live on the site, in any letter case, is CODE_TAKEN."
    )
    async def create_discount_code(
        self,
        info: Info,
        input: Annotated[
            CreateDiscountCodeInput, strawberry.argument(description="The discount code to create.")
        ],
    ) -> CreateDiscountCodePayload:
        row, errors = await create_owner(info, discount_codes.OWNER, input)
        return CreateDiscountCodePayload(discount_code=built(DiscountCode, row), user_errors=errors)

    @resolvers.mutation(
        description="Changes the fields given of a discount code (needs DiscountCode-Edit)."
    )
    async def update_discount_code(
        self,
        info: Info,
        input: Annotated[
            UpdateDiscountCodeInput,
            strawberry.argument(description="The discount code and the fields to change."),
        ],
    ) -> UpdateDiscountCodePayload:
        row, errors = await update_owner(info, discount_codes.OWNER, input)
        return UpdateDiscountCodePayload(discount_code=built(DiscountCode, row), user_errors=errors)


DiscountCodeStateMutation = state_change_mutations(
    Target(
        DISCOUNT_CODES,
        DiscountCode,
        field="discount_code",
        plural="discount_codes",
        changes=tuple(StateChange),
        bulk=True,
    )
)
