"""Mutations: each returns a payload with the object and `userErrors`; one transaction each."""

from app.graphql.mutations.assignments import AssignmentMutation, AssignmentStateMutation
from app.graphql.mutations.coupon_codes import CouponCodeMutation, CouponCodeStateMutation
from app.graphql.mutations.coupons import CouponMutation, CouponStateMutation
from app.graphql.mutations.directory import (
    CustomerMutation,
    CustomerStateMutation,
    DirectoryMutation,
    OrganisationStateMutation,
    SiteStateMutation,
)
from app.graphql.mutations.discount_codes import DiscountCodeMutation, DiscountCodeStateMutation

# The write API (issue 3), in the order the schema lists them.
WRITE_MUTATIONS: tuple[type, ...] = (
    CouponMutation,
    CouponStateMutation,
    CouponCodeMutation,
    CouponCodeStateMutation,
    DiscountCodeMutation,
    DiscountCodeStateMutation,
    AssignmentMutation,
    AssignmentStateMutation,
    DirectoryMutation,
    OrganisationStateMutation,
    SiteStateMutation,
    CustomerMutation,
    CustomerStateMutation,
)

__all__ = ["WRITE_MUTATIONS"]
