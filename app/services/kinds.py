"""The kinds of record the write paths handle, with the live-uniqueness rule each must respect."""

from __future__ import annotations

from typing import Any

from app.db import tables as t
from app.db import uniqueness as indexes
from app.db.handles import Columns, Record
from app.services.problems import ProblemCode
from app.services.records import Owner, RecordKind
from app.services.uniqueness import LiveUnique

DISCOUNT_CODE_RULE = LiveUnique(
    indexes.DISCOUNT_CODE_LIVE,
    code=ProblemCode.CODE_TAKEN,
    message="a live discount code of this site already has this code (in any letter case)",
)
COUPON_CODE_RULE = LiveUnique(
    indexes.COUPON_CODE_LIVE,
    code=ProblemCode.CODE_TAKEN,
    message="a live code of this coupon already has this code (in any letter case)",
)
CUSTOMER_EXTERNAL_ID_RULE = LiveUnique(
    indexes.CUSTOMER_EXTERNAL_ID_LIVE,
    code=ProblemCode.CONFLICT,
    message="a live customer of this organisation already has this externalId",
)
_HELD = "the customer already holds this code (a live assignment)"
DISCOUNT_CODE_ASSIGNMENT_RULE = LiveUnique(
    indexes.DISCOUNT_CODE_ASSIGNMENT_LIVE, code=ProblemCode.ALREADY_ASSIGNED, message=_HELD
)
COUPON_CODE_ASSIGNMENT_RULE = LiveUnique(
    indexes.COUPON_CODE_ASSIGNMENT_LIVE, code=ProblemCode.ALREADY_ASSIGNED, message=_HELD
)


def assignment_rule(values: Columns) -> tuple[LiveUnique, dict[str, object]]:
    """The rule an assignment falls under (by the kind of code it holds), and its key."""
    if values["discount_code_id"] is not None:
        rule = DISCOUNT_CODE_ASSIGNMENT_RULE
    else:
        rule = COUPON_CODE_ASSIGNMENT_RULE
    return rule, {name: values[name] for name in rule.index.columns}


def _customer_key(row: Record) -> tuple[LiveUnique, dict[str, object]] | None:
    """A customer is unique by its host system's id, when it has one."""
    if row.external_id is None:
        return None
    key = {"organisation_id": row.organisation_id, "external_id": row.external_id}
    return CUSTOMER_EXTERNAL_ID_RULE, key


def _key(rule: LiveUnique) -> Any:
    def key(row: Record) -> tuple[LiveUnique, dict[str, object]]:
        return rule, {name: row._mapping[name] for name in (*rule.index.columns, "code")}

    return key


ORGANISATIONS = RecordKind("Organisation", "organisation", t.ORGANISATION, owner=Owner.ITSELF)
SITES = RecordKind("Site", "site", t.SITE, owner=Owner.ITSELF)
CUSTOMERS = RecordKind(
    "Customer", "customer", t.CUSTOMER, unique=_customer_key, owner=Owner.ORGANISATION
)
COUPONS = RecordKind("Coupon", "coupon", t.COUPON)
DISCOUNT_CODES = RecordKind(
    "DiscountCode", "discount code", t.DISCOUNT_CODE, unique=_key(DISCOUNT_CODE_RULE)
)
COUPON_CODES = RecordKind("CouponCode", "coupon code", t.COUPON_CODE, unique=_key(COUPON_CODE_RULE))
ASSIGNMENTS = RecordKind(
    "Assignment", "assignment", t.ASSIGNMENT, unique=lambda row: assignment_rule(row._mapping)
)
