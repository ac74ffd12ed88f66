"""The embedded set of discount rules (Terms) shared by Coupon and DiscountCode, and its checks.

Constructing Terms never fails on business grounds; `validate_terms` reports every problem at
once, under the camelCase API input name, so a mutation can return them all as `userErrors`
and write nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from decimal import Decimal
from types import MappingProxyType

from app.domain.combination import MAX_PRIORITY, Combination
from app.domain.currencies import currency_problem, is_currency_code
from app.domain.enums import DiscountKind, ExpirationUnit, ItemCategory, UsagePeriod
from app.domain.windows import Window, intersect

__all__ = ["Terms", "TermsProblem", "Window", "intersect", "priced_in", "validate_terms"]

_HUNDREDTH = Decimal("0.01")
# Relative expiry is added to assignment times; beyond about a century it can only be a typo,
# and it would risk overflowing `datetime` when an assignment is made.
_MAX_EXPIRES_IN: Mapping[ExpirationUnit, int] = MappingProxyType(
    {
        ExpirationUnit.DAY: 36_600,
        ExpirationUnit.WEEK: 5_200,
        ExpirationUnit.MONTH: 1_200,
        ExpirationUnit.YEAR: 100,
    }
)


@dataclass(frozen=True)
class Terms:
    """What a discount gives, on what, to whom, how often and when.

    Mappings passed in are copied into read-only views (and eligible id sets into frozensets)
    so Terms cannot change after they were validated. They compare and hash by value.
    """

    kind: DiscountKind
    percentage: Decimal | None = None
    amounts: Mapping[str, int] = field(default_factory=dict)
    minimum_spend: Mapping[str, int] = field(default_factory=dict)
    maximum_discount: Mapping[str, int] = field(default_factory=dict)
    apply_to_net_price: bool = False
    eligible: Mapping[ItemCategory, frozenset[str]] = field(default_factory=dict)
    members_only: bool = False
    contacts_only: bool = False
    lead_booker_only: bool = False
    box_office_only: bool = False
    max_uses: int | None = None
    max_uses_per_customer: int | None = None
    max_uses_per_order: int | None = None
    usage_period: UsagePeriod | None = None
    window: Window = field(default_factory=Window)
    expiration_unit: ExpirationUnit | None = None
    expires_in: int | None = None
    # How it combines with other codes on one order; the default keeps one code per order.
    combination: Combination = field(default_factory=Combination)

    def __post_init__(self) -> None:
        for name in ("amounts", "minimum_spend", "maximum_discount"):
            object.__setattr__(self, name, MappingProxyType(dict(getattr(self, name))))
        eligible = {category: frozenset(ids) for category, ids in self.eligible.items()}
        object.__setattr__(self, "eligible", MappingProxyType(eligible))

    def __hash__(self) -> int:
        # The generated hash would fail on the mapping views; hash their items instead.
        return hash(
            tuple(
                frozenset(value.items()) if isinstance(value, Mapping) else value
                for value in (getattr(self, f.name) for f in fields(self))
            )
        )


@dataclass(frozen=True)
class TermsProblem:
    """One reason Terms are unacceptable; `field` is the camelCase API input name."""

    field: str
    code: str
    message: str


def _is_int(value: object) -> bool:
    # bool is an int subclass, but True as a cap or an amount is a client bug, not 1.
    return isinstance(value, int) and not isinstance(value, bool)


def _kind_problems(terms: Terms) -> list[TermsProblem]:
    """A percentage xor amounts, as the kind says, and a well-formed percentage."""
    problems = []
    if terms.kind is DiscountKind.PERCENTAGE:
        if terms.percentage is None:
            message = "a percentage discount needs a percentage"
            problems.append(TermsProblem("percentage", "REQUIRED", message))
        if terms.amounts:
            message = "a percentage discount has no fixed amounts"
            problems.append(TermsProblem("amounts", "NOT_ALLOWED", message))
        return problems + _percentage_problems(terms.percentage)
    if terms.percentage is not None:
        message = "a fixed discount has no percentage"
        problems.append(TermsProblem("percentage", "NOT_ALLOWED", message))
    if not terms.amounts:
        problems.append(TermsProblem("amounts", "REQUIRED", "a fixed discount needs an amount"))
    return problems


def _percentage_problems(p: Decimal | None) -> list[TermsProblem]:
    if p is None:
        return []
    # Floats are refused rather than converted: 0.1 is not exactly one tenth.
    if not isinstance(p, Decimal) or not p.is_finite():
        return [TermsProblem("percentage", "INVALID", "the percentage must be a decimal number")]
    if not 0 < p <= 100:
        return [TermsProblem("percentage", "OUT_OF_RANGE", "the percentage must be in (0, 100]")]
    if p != p.quantize(_HUNDREDTH):
        return [TermsProblem("percentage", "INVALID", "the percentage has at most 2 decimals")]
    return []


def _money_problems(name: str, values: Mapping[str, int], minimum: int) -> list[TermsProblem]:
    problems = []
    for currency, amount in values.items():
        if not is_currency_code(currency):
            problems.append(TermsProblem(name, "INVALID_CURRENCY", currency_problem(currency)))
        elif not _is_int(amount):
            message = f"the {currency} amount must be a whole number of minor units"
            problems.append(TermsProblem(name, "INVALID", message))
        elif amount < minimum:
            message = f"the {currency} amount must be at least {minimum}"
            problems.append(TermsProblem(name, "OUT_OF_RANGE", message))
    return problems


def _eligible_problems(eligible: Mapping[ItemCategory, frozenset[str]]) -> list[TermsProblem]:
    problems = []
    for category, ids in eligible.items():
        if not isinstance(category, ItemCategory):
            message = f"{category!r} is not an item category"
            problems.append(TermsProblem("eligible", "INVALID", message))
        elif any(not isinstance(i, str) or not i.strip() for i in ids):
            message = f"{category.value} item ids must be non-empty strings"
            problems.append(TermsProblem("eligible", "INVALID", message))
    return problems


def _cap_problems(terms: Terms) -> list[TermsProblem]:
    problems = []
    for name, value in (
        ("maxUses", terms.max_uses),
        ("maxUsesPerCustomer", terms.max_uses_per_customer),
        ("maxUsesPerOrder", terms.max_uses_per_order),
    ):
        if value is None:
            continue
        if not _is_int(value):
            problems.append(TermsProblem(name, "INVALID", "a cap must be a whole number"))
        elif value < 1:
            message = "a cap must be at least 1 (leave it empty for no cap)"
            problems.append(TermsProblem(name, "OUT_OF_RANGE", message))
    # A usage period only says over what span maxUses is counted; alone it means nothing and
    # most likely hides a forgotten maxUses.
    if terms.usage_period is not None and terms.max_uses is None:
        problems.append(TermsProblem("usagePeriod", "NOT_ALLOWED", "a usage period needs maxUses"))
    return problems


def _expiry_problems(unit: ExpirationUnit | None, count: int | None) -> list[TermsProblem]:
    if unit is None and count is None:
        return []
    if unit is None:
        return [TermsProblem("expirationUnit", "REQUIRED", "expiresIn needs an expiration unit")]
    if count is None:
        return [TermsProblem("expiresIn", "REQUIRED", "an expiration unit needs expiresIn")]
    if not _is_int(count):
        return [TermsProblem("expiresIn", "INVALID", "expiresIn must be a whole number")]
    if not 1 <= count <= _MAX_EXPIRES_IN[unit]:
        message = f"expiresIn must be between 1 and {_MAX_EXPIRES_IN[unit]} for {unit.value}"
        return [TermsProblem("expiresIn", "OUT_OF_RANGE", message)]
    return []


def _combination_problems(combination: Combination) -> list[TermsProblem]:
    problems = []
    kinds = combination.combines_with
    if any(not isinstance(kind, DiscountKind) for kind in kinds):
        message = "combinesWith lists discount kinds (PERCENTAGE, FIXED)"
        problems.append(TermsProblem("combinesWith", "INVALID", message))
    # Not exclusive but combining with no kind would be a second spelling of exclusive.
    if not combination.exclusive and not kinds:
        message = "a discount that is not exclusive needs the kinds it combines with"
        problems.append(TermsProblem("combinesWith", "REQUIRED", message))
    if not _is_int(combination.priority):
        problems.append(TermsProblem("priority", "INVALID", "a priority is a whole number"))
    elif not 0 <= combination.priority <= MAX_PRIORITY:
        message = f"the priority must be between 0 and {MAX_PRIORITY}"
        problems.append(TermsProblem("priority", "OUT_OF_RANGE", message))
    return problems


def priced_in(terms: Terms, currency: str) -> bool:
    """Whether the terms say what they give in `currency`. A currency map that is set but
    silent about a currency means the discount was not priced for it; guessing (0, or no
    limit) would be wrong either way."""
    if terms.kind is DiscountKind.FIXED and currency not in terms.amounts:
        return False
    if terms.minimum_spend and currency not in terms.minimum_spend:
        return False
    return not terms.maximum_discount or currency in terms.maximum_discount


def validate_terms(terms: Terms) -> list[TermsProblem]:
    """Every problem with `terms`, in field order; an empty list means they are acceptable."""
    problems = _kind_problems(terms)
    problems += _money_problems("amounts", terms.amounts, minimum=1)
    # A minimum spend of 0 is a harmless, explicit "no minimum in this currency".
    problems += _money_problems("minimumSpend", terms.minimum_spend, minimum=0)
    problems += _money_problems("maximumDiscount", terms.maximum_discount, minimum=1)
    problems += _eligible_problems(terms.eligible)
    problems += _cap_problems(terms)
    start, end = terms.window.start, terms.window.end
    if start is not None and end is not None and end <= start:
        message = "validTo must be after validFrom"
        problems.append(TermsProblem("validTo", "WINDOW_INVERTED", message))
    problems += _expiry_problems(terms.expiration_unit, terms.expires_in)
    if terms.members_only and terms.contacts_only:
        message = "a discount cannot be for members only and for contacts only"
        problems.append(TermsProblem("contactsOnly", "NOT_ALLOWED", message))
    problems += _combination_problems(terms.combination)
    return problems
