"""Baskets, which lines a discount applies to, and how much it takes off each line.

All money is integer minor units and all arithmetic is integer (percentages enter as exact
fractions), so a discount is reproducible to the unit and its lines always add up to its total.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from app.domain.currencies import is_currency_code
from app.domain.enums import DiscountKind, ItemCategory
from app.domain.terms import Terms


@dataclass(frozen=True)
class BasketLine:
    """One line of a basket: `quantity` of an item at a unit price, gross and optionally net."""

    category: ItemCategory
    item_id: str
    quantity: int
    unit_price: int
    net_unit_price: int | None = None

    def __post_init__(self) -> None:
        # Negative lines (refunds, credits) would let a discount exceed what is paid.
        if self.quantity < 0:
            raise ValueError(f"quantity must not be negative, got {self.quantity}")
        if self.unit_price < 0:
            raise ValueError(f"unit_price must not be negative, got {self.unit_price}")
        if self.net_unit_price is not None and self.net_unit_price < 0:
            raise ValueError(f"net_unit_price must not be negative, got {self.net_unit_price}")
        # A net price is the gross price less tax: one above it would let a discount on net
        # prices take more than the line costs.
        if self.net_unit_price is not None and self.net_unit_price > self.unit_price:
            raise ValueError(
                f"net_unit_price {self.net_unit_price} must not be above unit_price"
                f" {self.unit_price}"
            )

    @property
    def gross(self) -> int:
        return self.quantity * self.unit_price

    @property
    def net(self) -> int:
        price = self.unit_price if self.net_unit_price is None else self.net_unit_price
        return self.quantity * price


@dataclass(frozen=True)
class Basket:
    """What is being bought, in one currency (a current ISO 4217 code, see `currencies`)."""

    currency: str
    lines: tuple[BasketLine, ...] = ()

    def __post_init__(self) -> None:
        if not is_currency_code(self.currency):
            raise ValueError(f"currency must be an ISO 4217 code like 'GBP', got {self.currency!r}")
        object.__setattr__(self, "lines", tuple(self.lines))


@dataclass(frozen=True)
class Discount:
    """The amount taken off, in total and per basket line (0 for lines it does not apply to)."""

    total: int
    lines: tuple[int, ...]


def is_eligible(terms: Terms, line: BasketLine) -> bool:
    """Whether the discount applies to `line` at all.

    No categories at all means everything; a listed category with no ids means every item
    of that category; otherwise only the listed ids.
    """
    if not terms.eligible:
        return True
    ids = terms.eligible.get(line.category)
    if ids is None:
        return False
    return not ids or line.item_id in ids


def eligible_base(terms: Terms, line: BasketLine) -> int:
    """What the discount is computed on for `line`: its net or gross total, 0 if not eligible."""
    if not is_eligible(terms, line):
        return 0
    return line.net if terms.apply_to_net_price else line.gross


def eligible_total(terms: Terms, basket: Basket) -> int:
    """The sum of the eligible bases of the basket: the most a discount may take off."""
    return sum(eligible_base(terms, line) for line in basket.lines)


def spread(amount: int, weights: Sequence[int]) -> tuple[int, ...]:
    """Split `amount` into integer parts proportional to `weights` (largest-remainder method).

    Each part is the floor of its exact share, and the units left over go to the largest
    fractional remainders, ties to the earlier position, so the parts sum exactly to `amount`
    and no part exceeds the ceiling of its share. With `amount` <= sum(weights) that keeps
    every part within its weight.
    """
    denominator = sum(weights)
    if amount <= 0 or denominator <= 0:
        return tuple(0 for _ in weights)
    parts = []
    remainders = []
    for index, weight in enumerate(weights):
        whole, remainder = divmod(amount * weight, denominator)
        parts.append(whole)
        remainders.append((-remainder, index))
    left = amount - sum(parts)
    # `left` < number of positive weights, and every one of those gets at most one unit.
    for _, index in sorted(remainders)[:left]:
        parts[index] += 1
    return tuple(parts)


def _percentage_of(base: int, percentage: Decimal) -> int:
    """`base` * `percentage` / 100, rounded half up to the unit, exactly."""
    numerator, denominator = percentage.as_integer_ratio()
    # floor(x + 1/2) with x = base*numerator / (100*denominator), in integers.
    return (2 * base * numerator + 100 * denominator) // (200 * denominator)


def compute_discount(terms: Terms, basket: Basket) -> Discount:
    """The discount `terms` give on `basket`, per line and in total.

    PERCENTAGE: each eligible line's base * p / 100, rounded half up per line. FIXED: the
    amount for the basket's currency (none = 0), at most the eligible total, spread over the
    eligible lines in proportion to their bases. Then the maximum discount for the currency,
    if any, is re-spread over the lines in proportion to what they already got, so no line
    gains. Out-of-range terms (which `validate_terms` refuses) are clamped rather than trusted:
    every line stays within 0 and its base.
    """
    bases = [eligible_base(terms, line) for line in basket.lines]
    if terms.kind is DiscountKind.PERCENTAGE:
        percentage = Decimal(terms.percentage if terms.percentage is not None else 0)
        if not percentage.is_finite() or percentage <= 0:
            lines = tuple(0 for _ in bases)
        else:
            lines = tuple(min(base, _percentage_of(base, percentage)) for base in bases)
    else:
        amount = min(max(terms.amounts.get(basket.currency, 0), 0), sum(bases))
        lines = spread(amount, bases)

    cap = terms.maximum_discount.get(basket.currency)
    if cap is not None and sum(lines) > cap:
        lines = spread(max(cap, 0), lines)
    return Discount(total=sum(lines), lines=lines)
