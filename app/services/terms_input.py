"""Terms as the API gives them (a set of changes) -> the Terms columns and eligible lists to store.

One path for coupons and discount codes, for creating (over the defaults) and updating (over
what is stored): the changes are merged first and the result is validated as a whole by the
domain's `validate_terms`, so an update is judged by what the record will be, and every problem
is reported at once under its input path.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

from app.db.handles import Columns
from app.domain.enums import DiscountKind
from app.domain.terms import Terms, validate_terms
from app.domain.windows import Window
from app.services.combinations import COLUMN_DEFAULTS, combination_of, flags_for
from app.services.eligible_items import Eligible, flag_values, next_eligible
from app.services.input_checks import Given, bound, camel, window_problems
from app.services.problems import Problem, ProblemCode

Path = tuple[str, ...]

# Columns taken from the input as they are.
PLAIN = (
    "apply_to_net_price",
    "members_only",
    "contacts_only",
    "lead_booker_only",
    "box_office_only",
    "max_uses",
    "max_uses_per_customer",
    "max_uses_per_order",
    "usage_period",
    "expiration_unit",
    "expires_in",
    "is_referral",
)
MONEY = ("amounts", "minimum_spend", "maximum_discount")
# Window bounds, and whether each ends its window (a date then means the end of that day).
BOUNDS = {"valid_from": False, "valid_to": True, "publish_from": False, "publish_to": True}

DEFAULTS: Mapping[str, Any] = {
    "kind": None,
    "amounts": None,
    "minimum_spend": {},
    "maximum_discount": {},
    "apply_to_net_price": False,
    "members_only": False,
    "contacts_only": False,
    "lead_booker_only": False,
    "box_office_only": False,
    "max_uses": None,
    "max_uses_per_customer": None,
    "max_uses_per_order": None,
    "usage_period": None,
    "expiration_unit": None,
    "expires_in": None,
    "is_referral": False,
    **dict.fromkeys(BOUNDS),
    "disabled_at": None,
    **COLUMN_DEFAULTS,
}
# How the discount combines with others on one order: taken as they are, but for the kinds,
# which are stored as one flag each (app.services.combinations).
COMBINATION = ("exclusive", "priority")
# validate_terms names the eligible lists after the domain; the API calls them this.
_API_NAMES = {"eligible": "eligibleCategories"}


class MoneyLike(Protocol):
    currency: str | None  # None: the site's currency
    amount: int


@dataclass(frozen=True)
class TermsValues:
    """What to store: every Terms column, and the eligible lists."""

    columns: dict[str, Any]
    eligible: Eligible


def merge_terms(
    changes: Given,
    current: Columns | None,
    current_eligible: Eligible,
    *,
    time_zone: str,
    currency: str,
    now: datetime,
    path: Path,
) -> tuple[TermsValues, list[Problem]]:
    """`changes` (snake_case input fields that were given) over `current` (None to create)."""
    values = dict(DEFAULTS) if current is None else {name: current[name] for name in DEFAULTS}
    bp = None if current is None else current["percentage_bp"]
    percentage = None if bp is None else Decimal(bp) / 100
    problems: list[Problem] = []

    kind = changes.get("kind")
    if kind is not None and current is not None and kind is not values["kind"]:
        # Switching kinds drops the other kind's value instead of asking the client to clear it.
        if "percentage" not in changes:
            percentage = None
        if "amounts" not in changes:
            values["amounts"] = None
    if kind is not None:
        values["kind"] = kind
    if "percentage" in changes:
        percentage = changes["percentage"]
    for name in MONEY:
        if name in changes:
            mapped, found = _money_map(changes[name], currency, (*path, camel(name)))
            values[name] = (mapped or None) if name == "amounts" else mapped
            problems += found
    for name in (*PLAIN, *COMBINATION):
        if name in changes:
            values[name] = changes[name]
    if "combines_with" in changes:  # null: none
        values.update(flags_for(changes["combines_with"]))
    for name, end in BOUNDS.items():
        if name in changes:
            here = (*path, camel(name))
            values[name], found = bound(changes[name], time_zone, end=end, path=here)
            problems += found
    if "active" in changes:
        values["disabled_at"] = None if changes["active"] else values["disabled_at"] or now
    eligible, found = next_eligible(current_eligible, changes, path)
    problems += found

    problems += _validate(values, percentage, eligible, path)
    values.update(flag_values(eligible))
    # Basis points: exact on every database; only a valid percentage (2 decimals) converts.
    values["percentage_bp"] = None if percentage is None or problems else int(percentage * 100)
    return TermsValues(values, eligible), problems


def domain_terms(
    values: Mapping[str, Any], percentage: Decimal | None, eligible: Eligible
) -> Terms:
    """The domain's Terms for stored column values."""
    return Terms(
        kind=values["kind"],
        percentage=percentage,
        amounts=values["amounts"] or {},
        minimum_spend=values["minimum_spend"] or {},
        maximum_discount=values["maximum_discount"] or {},
        eligible=eligible,
        window=Window(values["valid_from"], values["valid_to"]),
        combination=combination_of(values),
        **{name: values[name] for name in PLAIN if name != "is_referral"},
    )


def _validate(
    values: dict[str, Any], percentage: Decimal | None, eligible: Eligible, path: Path
) -> list[Problem]:
    problems = []
    kind = values["kind"]
    if kind is None:
        problems.append(Problem((*path, "kind"), ProblemCode.REQUIRED, "kind is required"))
        # Judge the rest as the kind the other fields suggest, leaving out what only the
        # missing kind would make wrong (a value required, or not allowed, by that kind).
        guess = DiscountKind.FIXED if percentage is None and values["amounts"] else None
        values = {**values, "kind": guess or DiscountKind.PERCENTAGE}
    for found in validate_terms(domain_terms(values, percentage, eligible)):
        by_kind = found.field in ("percentage", "amounts")
        if kind is None and by_kind and found.code in ("REQUIRED", "NOT_ALLOWED"):
            continue
        field = _API_NAMES.get(found.field, found.field)
        problems.append(Problem((*path, field), ProblemCode(found.code), found.message))
    start, end = values["publish_from"], values["publish_to"]
    problems += window_problems(start, end, (*path, "publishTo"), start_name="publishFrom")
    return problems


def _money_map(
    items: Sequence[MoneyLike] | None, default_currency: str, path: Path
) -> tuple[dict[str, int], list[Problem]]:
    """One amount per currency; an item without a currency is in the site's currency."""
    mapped: dict[str, int] = {}
    problems = []
    for index, item in enumerate(items or ()):
        currency = item.currency or default_currency
        if currency in mapped:
            message = f"{currency} is listed twice"
            problems.append(Problem((*path, str(index), "currency"), ProblemCode.INVALID, message))
        mapped[currency] = item.amount
    return mapped, problems
