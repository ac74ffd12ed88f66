"""The domain's vocabularies as GraphQL enums (registered once, used everywhere), each value
described: a generated client shows the text beside the constant, and
tests/contract/test_descriptions.py fails on a value without one."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import TypeVar

import strawberry

from app.db.filters import Trashed
from app.domain.enums import (
    Channel,
    CodeCharset,
    CustomerKind,
    DiscountKind,
    ExpirationUnit,
    ItemCategory,
    Reason,
    StackReason,
    UsagePeriod,
)
from app.services.problems import ProblemCode

E = TypeVar("E", bound=type[enum.Enum])


class CheckReason(str, enum.Enum):
    """The API's `Reason`: why one code cannot be used (the rules' `Reason`), and why a code
    sent with others takes no part (the stacking's `StackReason`). The domain keeps the two
    apart because no single-code operation can give the second; an answer about a set of
    codes shows both in one enumeration. Values are the domain's, so its members serialize
    as these."""

    NOT_FOUND = "NOT_FOUND"
    AMBIGUOUS_CODE = "AMBIGUOUS_CODE"
    DELETED = "DELETED"
    DISABLED = "DISABLED"
    NOT_YET_VALID = "NOT_YET_VALID"
    EXPIRED = "EXPIRED"
    USAGE_LIMIT_REACHED = "USAGE_LIMIT_REACHED"
    CUSTOMER_REQUIRED = "CUSTOMER_REQUIRED"
    CUSTOMER_LIMIT_REACHED = "CUSTOMER_LIMIT_REACHED"
    ALREADY_USED = "ALREADY_USED"
    ORDER_LIMIT_REACHED = "ORDER_LIMIT_REACHED"
    NOT_ASSIGNED_TO_CUSTOMER = "NOT_ASSIGNED_TO_CUSTOMER"
    MEMBERS_ONLY = "MEMBERS_ONLY"
    CONTACTS_ONLY = "CONTACTS_ONLY"
    LEAD_BOOKER_ONLY = "LEAD_BOOKER_ONLY"
    BOX_OFFICE_ONLY = "BOX_OFFICE_ONLY"
    CURRENCY_NOT_SUPPORTED = "CURRENCY_NOT_SUPPORTED"
    NO_ELIGIBLE_ITEMS = "NO_ELIGIBLE_ITEMS"
    MINIMUM_SPEND_NOT_REACHED = "MINIMUM_SPEND_NOT_REACHED"
    DOES_NOT_COMBINE = "DOES_NOT_COMBINE"


_DOMAIN_REASONS = {member.value for member in (*Reason, *StackReason)}
if {member.value for member in CheckReason} != _DOMAIN_REASONS:
    raise TypeError("CheckReason must hold exactly the values of Reason and StackReason")


def described_enum(
    cls: E, *, description: str, values: Mapping[str, str], name: str | None = None
) -> E:
    """`strawberry.enum(cls)` with a description for every value (keyed by member name). A
    member without one, or a description for no member, is an error at import: a new value
    cannot reach the schema undocumented."""
    members = {member.name for member in cls}
    if members != set(values):
        raise TypeError(
            f"{name or cls.__name__}: values without a description {sorted(members - set(values))}"
            f", descriptions of no value {sorted(set(values) - members)}"
        )
    registered = strawberry.enum(cls, name=name, description=description)
    # strawberry.enum sets the definition on the class; its annotations do not say so.
    for value in registered.__strawberry_definition__.values:  # type: ignore[attr-defined]
        value.description = values[value.name]
    return registered


described_enum(
    DiscountKind,
    description="How a discount is expressed.",
    values={
        "PERCENTAGE": "A percentage of each eligible line (two decimals, `percentage`).",
        "FIXED": "An amount per currency in minor units (`amounts`), spread over eligible lines.",
    },
)
described_enum(
    ItemCategory,
    description="Kinds of basket items a discount can be limited to.",
    values={
        "PRICE_PLAN": "Price plans (memberships and their tariffs).",
        "BOOKING": "Bookings of a room, desk or other resource.",
        "PRODUCT": "Products sold on their own.",
        "EVENT": "Event tickets.",
        "OFFERING": "Offerings and sale items (Trybe).",
    },
)
described_enum(
    ExpirationUnit,
    description="Unit of the relative expiry after assignment (Nexudus ExpirationType).",
    values={
        "DAY": "Days after the assignment.",
        "WEEK": "Weeks (7 days) after the assignment.",
        "MONTH": "Calendar months after the assignment, clamped to the month's end.",
        "YEAR": "Calendar years after the assignment (Feb 29 + 1 year = Feb 28).",
    },
)
described_enum(
    UsagePeriod,
    description="Calendar period a total cap counts over (ISO 8601), in the site's time zone.",
    values={
        "P1D": "A calendar day.",
        "P1W": "An ISO week, Monday to Sunday.",
        "P1M": "A calendar month.",
        "P1Y": "A calendar year.",
    },
)
described_enum(
    Channel,
    description="Where a redemption happens.",
    values={
        "ONLINE": "A web or app checkout.",
        "BOX_OFFICE": "In person, at the site's desk or till.",
    },
)
described_enum(
    CustomerKind,
    description="Individual or company (Nexudus CoworkerType).",
    values={
        "INDIVIDUAL": "A person.",
        "COMPANY": "A company, billed as one customer.",
    },
)
described_enum(
    CheckReason,
    name="Reason",
    description="Why a code cannot be used: the first failing rule, in the order they are checked.",
    values={
        "NOT_FOUND": "No usable code has this text at the site (also the enumeration-safe answer "
        "for a code the caller may not read).",
        "AMBIGUOUS_CODE": "The text is live in two coupons of the site: pass couponId.",
        "DELETED": "The code, its coupon or the customer's assignment is soft-deleted.",
        "DISABLED": "The code, its coupon or discount code is disabled.",
        "NOT_YET_VALID": "Before the start of a window (the code's, its owner's or the "
        "assignment's).",
        "EXPIRED": "After the end of a window (the code's, its owner's or the assignment's).",
        "USAGE_LIMIT_REACHED": "The total cap (maxUses, in the usage period when set) is used up.",
        "CUSTOMER_REQUIRED": "A per-customer rule applies and no customer was given.",
        "CUSTOMER_LIMIT_REACHED": "This customer has used maxUsesPerCustomer.",
        "ALREADY_USED": "A single-use coupon code was used, or a multi-use one by this customer.",
        "ORDER_LIMIT_REACHED": "This order has used maxUsesPerOrder.",
        "NOT_ASSIGNED_TO_CUSTOMER": "The code is pre-allocated or assigned to other customers.",
        "MEMBERS_ONLY": "Only for members; the customer is not one.",
        "CONTACTS_ONLY": "Only for contacts (non-members); the customer is a member.",
        "LEAD_BOOKER_ONLY": "Only for the lead booker of a group booking.",
        "BOX_OFFICE_ONLY": "Only at the box office (channel BOX_OFFICE).",
        "CURRENCY_NOT_SUPPORTED": "The terms have no amount, minimum spend or maximum discount "
        "in the basket's currency.",
        "NO_ELIGIBLE_ITEMS": "No basket line is in the eligible categories and item ids.",
        "MINIMUM_SPEND_NOT_REACHED": "The eligible lines cost less than the minimum spend.",
        "DOES_NOT_COMBINE": "Sent with other codes for one order (validateCodes, redeemCodes): "
        "it does not combine with a code applied before it (one of the two is exclusive, or "
        "does not accept the other's kind); conflictsWith names that code.",
    },
)
described_enum(
    CodeCharset,
    description="Alphabet of generated codes (look-alikes 0/O, 1/I/L left out).",
    values={
        "ALPHANUMERIC": "Upper-case letters and digits.",
        "LETTERS": "Upper-case letters only.",
        "DIGITS": "Digits only.",
    },
)

described_enum(
    ProblemCode,
    name="UserErrorCode",
    description="What is wrong with the input (the `code` of a userError; `field` says where).",
    values={
        "REQUIRED": "A value is needed here and was missing, empty or null.",
        "INVALID": "The value is not in the expected form (a malformed id, code, prefix, e-mail "
        "address...).",
        "NOT_ALLOWED": "The value cannot be combined with the rest of the input (a percentage on "
        "a FIXED discount, an item listed twice, a customer of another organisation...).",
        "OUT_OF_RANGE": "A number or date is outside its bounds (a count, a length, a date ahead "
        "of now...).",
        "INVALID_CURRENCY": "Not a current ISO 4217 currency, or not an IANA time zone.",
        "WINDOW_INVERTED": "A window ends before it starts.",
        "NOT_FOUND": "No record the caller can see has this id.",
        "CODE_TAKEN": "The code is already used by a live record where it must be unique.",
        "ALREADY_ASSIGNED": "The customer already holds this code (a live assignment).",
        "ALREADY_DELETED": "The record is already soft-deleted.",
        "NOT_DELETED": "The record to restore is not deleted.",
        "ALREADY_DISABLED": "The record is already disabled.",
        "NOT_DISABLED": "The record to enable is not disabled.",
        "CONFLICT": "The change contradicts stored data (an externalId taken, a currency that "
        "live codes are not priced in...).",
        "IDEMPOTENCY_KEY_REUSED": "The idempotency key was used before with a different request.",
        "ALREADY_VOIDED": "The redemption is already voided.",
        "CODE_NOT_REDEEMABLE": "Reserved: not answered by this version (a refused code is "
        "`valid: false` with a `reason`).",
        "FORBIDDEN": "The caller may not set this field (e.g. a checkout sending `at`).",
    },
)

described_enum(
    Trashed,
    name="Trashed",
    description="Soft-deleted records: leave out (WITHOUT), include (WITH) or only them (ONLY).",
    values={
        "WITHOUT": "Live records only.",
        "WITH": "Live and soft-deleted records.",
        "ONLY": "Soft-deleted records only.",
    },
)

__all__ = [
    "Channel",
    "CodeCharset",
    "CustomerKind",
    "DiscountKind",
    "ExpirationUnit",
    "ItemCategory",
    "Reason",
    "UsagePeriod",
    "described_enum",
]
