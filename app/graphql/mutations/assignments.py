"""Assignment mutations: give a code to a customer, change, delete and restore the assignment."""

from __future__ import annotations

from typing import Annotated

import strawberry

from app.auth.roles import Action
from app.db.handles import Record, Sessions
from app.graphql import resolvers
from app.graphql.context import Info
from app.graphql.mutations.payloads import UserError, user_errors_field, written
from app.graphql.mutations.state_changes import Target, state_change_mutations
from app.graphql.mutations.support import built, decode_ids, given, update, write
from app.graphql.scalars import DateOrDateTime
from app.graphql.types.assignment import Assignment
from app.services import assignments
from app.services.actor import Actor
from app.services.kinds import ASSIGNMENTS
from app.services.records import StateChange

_IDS = {
    "customer_id": "Customer",
    "referrer_id": "Customer",
    "discount_code_id": "DiscountCode",
    "coupon_code_id": "CouponCode",
}


@strawberry.input(
    description="A discount code or a coupon code (exactly one) given to a customer "
    "(Nexudus CoworkerDiscountCode)."
)
class AssignCodeInput:
    customer_id: strawberry.ID = strawberry.field(
        description="The customer (of the code's organisation)."
    )
    discount_code_id: strawberry.ID | None = strawberry.field(
        default=None, description="The discount code given; or couponCodeId."
    )
    coupon_code_id: strawberry.ID | None = strawberry.field(
        default=None, description="The coupon code given; or discountCodeId."
    )
    assigned_at: DateOrDateTime | None = strawberry.field(
        default=None,
        description="When the code was given, for an import of past assignments (administrators "
        "only; never ahead of now; a date is the start of that local day): becomes createdAt, "
        "and relative expiry runs from it. Omitted: now.",
    )
    valid_from: DateOrDateTime | None = strawberry.field(
        default=None, description="Customer-specific start of validity."
    )
    expires_on: strawberry.Maybe[DateOrDateTime | None] = strawberry.field(
        description="Customer-specific expiry (a date: the end of that local day). Omitted: "
        "assignedAt (now) plus the code's relative expiry (expirationUnit x expiresIn), if it "
        "has one, clamped to the month's end (Jan 31 + 1 month = Feb 28); null: none."
    )
    referrer_id: strawberry.ID | None = strawberry.field(
        default=None, description="The customer who referred this one (referral programme)."
    )
    booking_reference: str | None = strawberry.field(
        default=None, description="The booking the code was applied to."
    )
    notes: str | None = strawberry.field(default=None, description="Notes about the assignment.")
    external_id: str | None = strawberry.field(default=None, description="The source system's id.")


@strawberry.input(
    description="Changes to an assignment: an omitted field keeps its value, null clears it."
)
class UpdateAssignmentInput:
    id: strawberry.ID = strawberry.field(description="The assignment to change.")
    valid_from: strawberry.Maybe[DateOrDateTime | None] = strawberry.field(
        description="Customer-specific start of validity."
    )
    expires_on: strawberry.Maybe[DateOrDateTime | None] = strawberry.field(
        description="Customer-specific expiry."
    )
    referrer_id: strawberry.Maybe[strawberry.ID | None] = strawberry.field(
        description="The customer who referred this one."
    )
    booking_reference: strawberry.Maybe[str | None] = strawberry.field(
        description="The booking the code was applied to."
    )
    notes: strawberry.Maybe[str | None] = strawberry.field(description="Notes.")
    external_id: strawberry.Maybe[str | None] = strawberry.field(
        description="The source system's id."
    )


@strawberry.type(description="What assignCode answers.")
class AssignCodePayload:
    assignment: Assignment | None = written("The assignment created")
    user_errors: list[UserError] = user_errors_field()


@strawberry.type(description="What updateAssignment answers.")
class UpdateAssignmentPayload:
    assignment: Assignment | None = written("The assignment changed")
    user_errors: list[UserError] = user_errors_field()


@strawberry.type(description="Writing assignments.")
class AssignmentMutation:
    @resolvers.mutation(
        description="Gives a code to a customer (needs Assignment-Create on the code's site); "
        "a customer holds a code at most once (ALREADY_ASSIGNED)."
    )
    async def assign_code(
        self,
        info: Info,
        input: Annotated[
            AssignCodeInput,
            strawberry.argument(description="The customer, the code and the assignment's window."),
        ],
    ) -> AssignCodePayload:
        async def work(sessions: Sessions, actor: Actor) -> Record:
            fields = given(input)
            decode_ids(fields, _IDS)
            return await assignments.assign_code(sessions, actor, fields)

        row, errors = await write(info, "Assignment", Action.CREATE, work)
        return AssignCodePayload(assignment=built(Assignment, row), user_errors=errors)

    @resolvers.mutation(
        description="Changes the fields given of an assignment (needs Assignment-Edit)."
    )
    async def update_assignment(
        self,
        info: Info,
        input: Annotated[
            UpdateAssignmentInput,
            strawberry.argument(description="The assignment and the fields to change."),
        ],
    ) -> UpdateAssignmentPayload:
        use_case = assignments.update_assignment
        row, errors = await update(info, "Assignment", input, use_case, _IDS)
        return UpdateAssignmentPayload(assignment=built(Assignment, row), user_errors=errors)


AssignmentStateMutation = state_change_mutations(
    Target(
        ASSIGNMENTS,
        Assignment,
        field="assignment",
        plural="assignments",
        changes=(StateChange.DELETE, StateChange.RESTORE),
        bulk=False,
    )
)
