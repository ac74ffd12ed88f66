"""Coupon code mutations: create one, generate many, update, delete and restore (one and many)."""

from __future__ import annotations

from typing import Annotated

import strawberry

from app.auth.roles import Action
from app.db.handles import Record, Sessions
from app.domain.enums import CodeCharset
from app.graphql import resolvers
from app.graphql.context import Info
from app.graphql.mutations.payloads import UserError, user_errors_field, written
from app.graphql.mutations.state_changes import Target, state_change_mutations
from app.graphql.mutations.support import built, decode_ids, given, record_id, update, write
from app.graphql.scalars import DateOrDateTime
from app.graphql.types.coupon_code import CouponCode
from app.services import code_generation, coupon_codes
from app.services.actor import Actor
from app.services.code_generation import FIRST_ROWS, GeneratedCodes
from app.services.kinds import COUPON_CODES
from app.services.records import StateChange


@strawberry.input(description="A new code under a coupon (Trybe createCouponCode).")
class CreateCouponCodeInput:
    coupon_id: strawberry.ID = strawberry.field(description="The coupon the code belongs to.")
    code: str | None = strawberry.field(
        default=None,
        description="What customers type: trimmed, unique among the coupon's live codes in any "
        "letter case; omitted: generated (8 characters without look-alikes).",
    )
    valid_from: DateOrDateTime | None = strawberry.field(
        default=None, description="Redeemable from; null: at once."
    )
    valid_to: DateOrDateTime | None = strawberry.field(
        default=None, description="Redeemable until; must be after validFrom."
    )
    multi_use: bool = strawberry.field(
        default=False, description="Once per customer (true) or once in total (false)."
    )
    customer_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="Pre-allocates the code to this customer (of the coupon's organisation) and "
        "records the assignment.",
    )
    customer_credit_id: str | None = strawberry.field(
        default=None, description="The customer credit it is for; needs customerId."
    )
    revenue: int | None = strawberry.field(
        default=None, description="Revenue override in minor units (>= 0); null: the coupon's."
    )
    external_id: str | None = strawberry.field(default=None, description="The source system's id.")


@strawberry.input(
    description="Changes to a coupon code: an omitted field keeps its value, null clears it."
)
class UpdateCouponCodeInput:
    id: strawberry.ID = strawberry.field(description="The coupon code to change.")
    code: strawberry.Maybe[str] = strawberry.field(
        description="A new code string (unique among the coupon's live codes)."
    )
    valid_from: strawberry.Maybe[DateOrDateTime | None] = strawberry.field(
        description="Redeemable from."
    )
    valid_to: strawberry.Maybe[DateOrDateTime | None] = strawberry.field(
        description="Redeemable until."
    )
    multi_use: strawberry.Maybe[bool] = strawberry.field(
        description="Once per customer (true) or once in total (false)."
    )
    revenue: strawberry.Maybe[int | None] = strawberry.field(
        description="Revenue override in minor units."
    )
    external_id: strawberry.Maybe[str | None] = strawberry.field(
        description="The source system's id."
    )


@strawberry.type(description="What createCouponCode answers.")
class CreateCouponCodePayload:
    coupon_code: CouponCode | None = written("The coupon code created")
    user_errors: list[UserError] = user_errors_field()


@strawberry.type(description="What updateCouponCode answers.")
class UpdateCouponCodePayload:
    coupon_code: CouponCode | None = written("The coupon code changed")
    user_errors: list[UserError] = user_errors_field()


@strawberry.type(description="What generateCouponCodes answers.")
class GenerateCouponCodesPayload:
    count: int = strawberry.field(description="How many codes were created (0 after userErrors).")
    codes: list[CouponCode] = strawberry.field(
        description=f"The first {FIRST_ROWS} codes created; list the coupon's codes for the rest."
    )
    user_errors: list[UserError] = strawberry.field(
        description="Problems with the input; when there are any, nothing was written."
    )


@strawberry.type(description="Writing coupon codes.")
class CouponCodeMutation:
    @resolvers.mutation(
        description="Creates a code under a coupon (needs CouponCode-Create on its site); a code "
        "already live under the coupon, in any letter case, is CODE_TAKEN."
    )
    async def create_coupon_code(
        self,
        info: Info,
        input: Annotated[
            CreateCouponCodeInput, strawberry.argument(description="The coupon code to create.")
        ],
    ) -> CreateCouponCodePayload:
        async def work(sessions: Sessions, actor: Actor) -> Record:
            fields = given(input)
            decode_ids(fields, {"coupon_id": "Coupon", "customer_id": "Customer"})
            coupon_id = fields.pop("coupon_id")
            return await coupon_codes.create_coupon_code(
                sessions, actor, coupon_id=coupon_id, fields=fields
            )

        row, errors = await write(info, "CouponCode", Action.CREATE, work)
        return CreateCouponCodePayload(coupon_code=built(CouponCode, row), user_errors=errors)

    @resolvers.mutation(
        description="Changes the fields given of a coupon code (needs CouponCode-Edit)."
    )
    async def update_coupon_code(
        self,
        info: Info,
        input: Annotated[
            UpdateCouponCodeInput,
            strawberry.argument(description="The coupon code and the fields to change."),
        ],
    ) -> UpdateCouponCodePayload:
        row, errors = await update(info, "CouponCode", input, coupon_codes.update_coupon_code)
        return UpdateCouponCodePayload(coupon_code=built(CouponCode, row), user_errors=errors)

    @resolvers.mutation(
        description="Creates many codes under a coupon at once, all or nothing: unique within "
        "the coupon, without look-alike characters (0/O, 1/I/L)."
    )
    async def generate_coupon_codes(
        self,
        info: Info,
        coupon_id: Annotated[
            strawberry.ID, strawberry.argument(description="The coupon to add codes to.")
        ],
        count: Annotated[int, strawberry.argument(description="How many codes (at most 100000).")],
        prefix: Annotated[
            str, strawberry.argument(description="Put before every code, e.g. SPRING-.")
        ] = "",
        length: Annotated[
            int, strawberry.argument(description="Random characters after the prefix (4 to 32).")
        ] = 8,
        charset: Annotated[
            CodeCharset, strawberry.argument(description="Alphabet of the random characters.")
        ] = CodeCharset.ALPHANUMERIC,
    ) -> GenerateCouponCodesPayload:
        async def work(sessions: Sessions, actor: Actor) -> GeneratedCodes:
            db_id = record_id(coupon_id, "Coupon", ("couponId",))
            return await code_generation.generate_coupon_codes(
                sessions,
                actor,
                coupon_id=db_id,
                count=count,
                prefix=prefix,
                length=length,
                charset=charset,
            )

        generated, errors = await write(info, "CouponCode", Action.CREATE, work)
        if generated is None:
            return GenerateCouponCodesPayload(count=0, codes=[], user_errors=errors)
        build = CouponCode.from_row
        codes = [build(row) for row in generated.first_rows]
        return GenerateCouponCodesPayload(count=generated.count, codes=codes, user_errors=errors)


CouponCodeStateMutation = state_change_mutations(
    Target(
        COUPON_CODES,
        CouponCode,
        field="coupon_code",
        plural="coupon_codes",
        changes=(StateChange.DELETE, StateChange.RESTORE),
        bulk=True,
    )
)
