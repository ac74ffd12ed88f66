"""Hypothesis strategies and shared settings for the domain tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from app.domain import (
    Basket,
    BasketLine,
    Combination,
    DiscountKind,
    ItemCategory,
    Terms,
)

# Per-test settings rather than a global profile: this folder must not change how other
# folders' tests run. No deadline, because the first use of a time zone loads it from disk.
moderate = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
light = settings(max_examples=60, deadline=None)

CURRENCIES = ("GBP", "EUR", "USD")
ITEM_IDS = ("a", "b", "c", "d")
ZONES = ("Europe/London", "America/New_York", "Australia/Sydney", "America/Santiago", "UTC")

categories = st.sampled_from(ItemCategory)
currencies = st.sampled_from(CURRENCIES)


@st.composite
def _lines(draw: st.DrawFn, *, paid: bool) -> BasketLine:
    """A line whose net price, when it has one, is at most its gross price (the tax taken
    off); `paid` lines cost something."""
    low = 1 if paid else 0
    unit_price = draw(st.integers(low, 100_000))
    return BasketLine(
        category=draw(categories),
        item_id=draw(st.sampled_from(ITEM_IDS)),
        quantity=draw(st.integers(low, 5)),
        unit_price=unit_price,
        net_unit_price=draw(st.none() | st.integers(low, unit_price)),
    )


basket_lines = _lines(paid=False)
paid_lines = _lines(paid=True)


def baskets(
    currency: st.SearchStrategy[str] = currencies, *, paid: bool = False
) -> st.SearchStrategy[Basket]:
    """Baskets of up to 6 lines; `paid` ones have at least one line and no free line."""
    lines = (
        st.lists(paid_lines, min_size=1, max_size=6) if paid else st.lists(basket_lines, max_size=6)
    )
    return st.builds(Basket, currency=currency, lines=lines.map(tuple))


percentages = st.decimals(min_value=Decimal("0.01"), max_value=Decimal(100), places=2)
eligibility = st.dictionaries(
    categories, st.frozensets(st.sampled_from(ITEM_IDS), max_size=3), max_size=3
)


def money(minimum: int) -> st.SearchStrategy[dict[str, int]]:
    return st.dictionaries(currencies, st.integers(minimum, 300_000), max_size=3)


@st.composite
def discount_terms(draw: st.DrawFn) -> Terms:
    """Valid terms with any kind, amounts, caps and eligibility (no audience or window)."""
    kind = draw(st.sampled_from(DiscountKind))
    return Terms(
        kind=kind,
        percentage=draw(percentages) if kind is DiscountKind.PERCENTAGE else None,
        amounts=draw(money(1).filter(bool)) if kind is DiscountKind.FIXED else {},
        maximum_discount=draw(money(1)),
        apply_to_net_price=draw(st.booleans()),
        eligible=draw(eligibility),
    )


aware_datetimes = st.datetimes(
    min_value=datetime(2000, 1, 1),
    max_value=datetime(2060, 12, 31),
    timezones=st.just(UTC),
)
offsets = st.integers(0, 400 * 24 * 3600).map(lambda s: timedelta(seconds=s))


# A small range by default, so that equal priorities are common.
FEW_PRIORITIES = st.integers(0, 3)


@st.composite
def combinations(
    draw: st.DrawFn, priorities: st.SearchStrategy[int] = FEW_PRIORITIES
) -> Combination:
    """Valid combinations: exclusive (its kinds, if any, set aside), or not and combining with
    a non-empty set of kinds."""
    # Mostly codes that combine, and with both kinds, or few codes would ever stack.
    exclusive = draw(st.sampled_from((False, False, True)))
    some_kinds = st.frozensets(st.sampled_from(DiscountKind), min_size=0 if exclusive else 1)
    kinds = draw(st.just(frozenset(DiscountKind)) | some_kinds)
    return Combination(exclusive=exclusive, combines_with=kinds, priority=draw(priorities))


def _gbp(low: int, high: int) -> st.SearchStrategy[dict[str, int]]:
    return st.integers(low, high).map(lambda amount: {"GBP": amount})


@st.composite
def stackable_terms(draw: st.DrawFn, priorities: st.SearchStrategy[int] = FEW_PRIORITIES) -> Terms:
    """Valid terms for GBP baskets, with a combination. Nearly all are priced in GBP, since a
    code that is not is refused before any arithmetic; large percentages, maximums and minimum
    spends are frequent, so that codes run into each other."""
    kind = draw(st.sampled_from(DiscountKind))
    percentage = draw(st.sampled_from((Decimal(50), Decimal(100))) | percentages)
    amounts = draw(_gbp(1, 300_000) | _gbp(1, 3_000) | _gbp(1, 300) | st.just({"EUR": 500}))
    return Terms(
        kind=kind,
        percentage=percentage if kind is DiscountKind.PERCENTAGE else None,
        amounts=amounts if kind is DiscountKind.FIXED else {},
        maximum_discount=draw(st.just({}) | _gbp(1, 100_000)),
        minimum_spend=draw(st.just({}) | _gbp(0, 50_000)),
        apply_to_net_price=draw(st.booleans()),
        eligible=draw(st.just({}) | st.just({}) | eligibility),
        combination=draw(combinations(priorities)),
    )


CODE_NAMES = ("ALPHA", "BRAVO", "CHARLIE", "DELTA", "ECHO")
gbp_baskets = baskets(st.just("GBP")) | baskets(st.just("GBP"), paid=True)


def code_sets(
    terms: st.SearchStrategy[Terms] | None = None,
) -> st.SearchStrategy[list[tuple[str, Terms]]]:
    """One to five distinct codes with their terms, in the order a client might send them
    (no code at all is one example, not worth a fifth of the draws)."""
    drawn = stackable_terms() if terms is None else terms
    return st.lists(
        st.tuples(st.sampled_from(CODE_NAMES), drawn),
        min_size=1,
        max_size=5,
        unique_by=lambda c: c[0],
    )
