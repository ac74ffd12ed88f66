"""The kinds of record the write paths handle, with the live-uniqueness rule each must respect."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.engine import Row

from app.db import tables as t
from app.services.problems import ProblemCode
from app.services.records import RecordKind
from app.services.uniqueness import LiveUnique

_DISCOUNT_CODE: Any = t.DiscountCode.__table__
_COUPON_CODE: Any = t.CouponCode.__table__
_ASSIGNMENT: Any = t.Assignment.__table__

DISCOUNT_CODE_RULE = LiveUnique(
    _DISCOUNT_CODE,
    columns=("site_id",),
    by_code=True,
    markers=("uq_discount_code_site_code_live",),
    code=ProblemCode.CODE_TAKEN,
    message="a live discount code of this site already has this code (in any letter case)",
)
COUPON_CODE_RULE = LiveUnique(
    _COUPON_CODE,
    columns=("coupon_id",),
    by_code=True,
    markers=("uq_coupon_code_coupon_code_live",),
    code=ProblemCode.CODE_TAKEN,
    message="a live code of this coupon already has this code (in any letter case)",
)
_HELD = "the customer already holds this code (a live assignment)"
DISCOUNT_CODE_ASSIGNMENT_RULE = LiveUnique(
    _ASSIGNMENT,
    columns=("customer_id", "discount_code_id"),
    by_code=False,
    markers=(
        "uq_assignment_customer_discount_code_live",
        "assignment.customer_id, assignment.discount_code_id",
    ),
    code=ProblemCode.ALREADY_ASSIGNED,
    message=_HELD,
)
COUPON_CODE_ASSIGNMENT_RULE = LiveUnique(
    _ASSIGNMENT,
    columns=("customer_id", "coupon_code_id"),
    by_code=False,
    markers=(
        "uq_assignment_customer_coupon_code_live",
        "assignment.customer_id, assignment.coupon_code_id",
    ),
    code=ProblemCode.ALREADY_ASSIGNED,
    message=_HELD,
)


def assignment_rule(values: Mapping[str, Any]) -> tuple[LiveUnique, dict[str, Any]]:
    """The rule an assignment falls under (by the kind of code it holds), and its key."""
    if values["discount_code_id"] is not None:
        rule = DISCOUNT_CODE_ASSIGNMENT_RULE
    else:
        rule = COUPON_CODE_ASSIGNMENT_RULE
    return rule, {name: values[name] for name in rule.columns}


def _key(rule: LiveUnique) -> Any:
    def key(row: Row[Any]) -> tuple[LiveUnique, dict[str, Any]]:
        return rule, {name: row._mapping[name] for name in (*rule.columns, "code")}

    return key


SITES = RecordKind("Site", "site", t.Site.__table__)  # type: ignore[attr-defined]
CUSTOMERS = RecordKind("Customer", "customer", t.Customer.__table__)  # type: ignore[attr-defined]
COUPONS = RecordKind("Coupon", "coupon", t.Coupon.__table__)  # type: ignore[attr-defined]
DISCOUNT_CODES = RecordKind(
    "DiscountCode", "discount code", _DISCOUNT_CODE, unique=_key(DISCOUNT_CODE_RULE)
)
COUPON_CODES = RecordKind("CouponCode", "coupon code", _COUPON_CODE, unique=_key(COUPON_CODE_RULE))
ASSIGNMENTS = RecordKind(
    "Assignment", "assignment", _ASSIGNMENT, unique=lambda row: assignment_rule(row._mapping)
)
