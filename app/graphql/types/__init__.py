"""The record types of the API; importing this package registers every one for `node(id:)`."""

from app.graphql.types import (  # noqa: F401
    assignment,
    coupon,
    coupon_code,
    customer,
    discount_code,
    organisation,
    redemption,
    site,
)
