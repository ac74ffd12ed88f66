"""The closed vocabularies of the discount model, shared by the rules, the tables and the API."""

from __future__ import annotations

import enum


class DiscountKind(str, enum.Enum):
    """How a discount is expressed."""

    PERCENTAGE = "PERCENTAGE"
    FIXED = "FIXED"


class ItemCategory(str, enum.Enum):
    """What a basket line is; the categories a discount can be limited to."""

    PRICE_PLAN = "PRICE_PLAN"
    BOOKING = "BOOKING"
    PRODUCT = "PRODUCT"
    EVENT = "EVENT"
    OFFERING = "OFFERING"


class ExpirationUnit(str, enum.Enum):
    """Unit of the relative expiry after assignment (Nexudus ExpirationType 1-4)."""

    DAY = "DAY"
    WEEK = "WEEK"
    MONTH = "MONTH"
    YEAR = "YEAR"


class UsagePeriod(str, enum.Enum):
    """Calendar period over which a total cap is counted (Trybe's ISO 8601 durations)."""

    P1D = "P1D"
    P1W = "P1W"
    P1M = "P1M"
    P1Y = "P1Y"


class Channel(str, enum.Enum):
    """Where a redemption happens."""

    ONLINE = "ONLINE"
    BOX_OFFICE = "BOX_OFFICE"


class CustomerKind(str, enum.Enum):
    """Whether a customer is a person or a company (Nexudus CoworkerType)."""

    INDIVIDUAL = "INDIVIDUAL"
    COMPANY = "COMPANY"


class Reason(str, enum.Enum):
    """Why a code cannot be used; the first failing condition, in the order the rules check."""

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


class StackReason(str, enum.Enum):
    """Why a code that passes its own rules takes no part when several are sent for one order.

    Apart from `Reason` because no single-code operation can give it; the API that answers
    for several codes shows both in one list.
    """

    DOES_NOT_COMBINE = "DOES_NOT_COMBINE"


class CodeCharset(str, enum.Enum):
    """Alphabets for generated codes; every one leaves out look-alikes (0/O, 1/I/L)."""

    ALPHANUMERIC = "ALPHANUMERIC"
    LETTERS = "LETTERS"
    DIGITS = "DIGITS"
