"""Eligibility and discount amounts: exact, never negative, never above what lines cost."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain import (
    Basket,
    BasketLine,
    DiscountKind,
    ItemCategory,
    Terms,
    compute_discount,
    eligible_base,
    eligible_total,
    is_eligible,
    spread,
)

from .strategies import baskets, discount_terms, eligibility, moderate, money, percentages

PRODUCT, EVENT, BOOKING = ItemCategory.PRODUCT, ItemCategory.EVENT, ItemCategory.BOOKING


def line(category=PRODUCT, item="a", quantity=1, price=1000, net=None) -> BasketLine:
    return BasketLine(category, item, quantity, price, net)


def pct(p: str, **kw) -> Terms:
    return Terms(kind=DiscountKind.PERCENTAGE, percentage=Decimal(p), **kw)


def fixed(amount: int, currency: str = "GBP", **kw) -> Terms:
    return Terms(kind=DiscountKind.FIXED, amounts={currency: amount}, **kw)


def test_eligibility_by_category_and_id() -> None:
    everything = pct("10")
    events = pct("10", eligible={EVENT: frozenset()})
    some_products = pct("10", eligible={PRODUCT: frozenset({"a", "b"})})
    assert is_eligible(everything, line(BOOKING))
    assert is_eligible(events, line(EVENT, "z")) and not is_eligible(events, line(PRODUCT))
    assert is_eligible(some_products, line(PRODUCT, "b"))
    assert not is_eligible(some_products, line(PRODUCT, "c"))
    assert not is_eligible(some_products, line(EVENT, "a"))


def test_eligible_base_uses_net_or_gross() -> None:
    item = line(quantity=3, price=1200, net=1000)
    assert eligible_base(pct("10"), item) == 3600
    assert eligible_base(pct("10", apply_to_net_price=True), item) == 3000
    assert eligible_base(pct("10", apply_to_net_price=True), line(quantity=2, price=700)) == 1400
    assert eligible_base(pct("10", eligible={EVENT: frozenset()}), item) == 0


def test_invalid_basket_values_are_refused() -> None:
    with pytest.raises(ValueError):
        line(quantity=-1)
    with pytest.raises(ValueError):
        line(price=-1)
    with pytest.raises(ValueError):
        line(net=-1)
    with pytest.raises(ValueError):
        Basket("gbp", ())


def test_percentage_rounds_half_up_per_line() -> None:
    # 12.5% of 1004 = 125.5 -> 126; 12.5% of 1003 = 125.375 -> 125; 12.5% of 4 = 0.5 -> 1.
    basket = Basket("GBP", (line(price=1004), line(price=1003), line(price=4)))
    assert compute_discount(pct("12.5"), basket).lines == (126, 125, 1)
    assert compute_discount(pct("12.5"), basket).total == 252


def test_fixed_amount_is_spread_by_largest_remainder() -> None:
    # 1000 over bases 1, 1, 1 (x 1000): 333.33 each, the spare unit to the first line.
    basket = Basket("GBP", (line(), line(), line(EVENT)))
    assert compute_discount(fixed(1000), basket).lines == (334, 333, 333)
    only_products = fixed(1000, eligible={PRODUCT: frozenset()})
    assert compute_discount(only_products, basket).lines == (500, 500, 0)


def test_fixed_amount_never_exceeds_the_eligible_total() -> None:
    basket = Basket("GBP", (line(price=300), line(price=200)))
    assert compute_discount(fixed(10_000), basket).lines == (300, 200)
    assert compute_discount(fixed(500, "EUR"), basket).total == 0


def test_maximum_discount_is_re_spread_over_discounted_lines() -> None:
    basket = Basket("GBP", (line(price=1000), line(price=3000)))
    capped = pct("50", maximum_discount={"GBP": 1001, "EUR": 5})
    # 500 and 1500 scaled to 1001: 250.25 and 750.75 -> 250 and 751.
    assert compute_discount(capped, basket).lines == (250, 751)
    # A cap in another currency does not apply.
    assert compute_discount(pct("50", maximum_discount={"EUR": 5}), basket).total == 2000


def test_empty_basket_gets_nothing() -> None:
    assert compute_discount(fixed(500), Basket("GBP")) == compute_discount(pct("10"), Basket("GBP"))
    assert compute_discount(fixed(500), Basket("GBP")).total == 0


@moderate
@given(discount_terms(), baskets())
def test_discount_invariants(terms: Terms, basket: Basket) -> None:
    discount = compute_discount(terms, basket)
    bases = [eligible_base(terms, item) for item in basket.lines]
    assert len(discount.lines) == len(basket.lines)
    assert all(0 <= amount <= base for amount, base in zip(discount.lines, bases, strict=True))
    assert sum(discount.lines) == discount.total
    assert 0 <= discount.total <= eligible_total(terms, basket)
    cap = terms.maximum_discount.get(basket.currency)
    if cap is not None:
        assert discount.total <= cap
    if terms.kind is DiscountKind.FIXED:
        assert discount.total <= terms.amounts.get(basket.currency, 0)
        if cap is None:
            assert discount.total == min(terms.amounts.get(basket.currency, 0), sum(bases))


@moderate
@given(percentages, eligibility, st.booleans(), baskets())
def test_percentage_lines_are_exact_half_up(p, eligible, net, basket) -> None:
    terms = Terms(
        kind=DiscountKind.PERCENTAGE, percentage=p, eligible=eligible, apply_to_net_price=net
    )
    expected = tuple(
        int((eligible_base(terms, item) * p / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
        for item in basket.lines
    )
    assert compute_discount(terms, basket).lines == expected


@moderate
@given(eligibility, st.booleans(), baskets())
def test_hundred_percent_without_cap_is_the_eligible_total(eligible, net, basket) -> None:
    terms = Terms(
        kind=DiscountKind.PERCENTAGE,
        percentage=Decimal(100),
        eligible=eligible,
        apply_to_net_price=net,
    )
    assert compute_discount(terms, basket).total == eligible_total(terms, basket)


@moderate
@given(money(1).filter(bool), money(1), baskets())
def test_a_fixed_discount_never_exceeds_its_amount(amounts, caps, basket) -> None:
    terms = Terms(kind=DiscountKind.FIXED, amounts=amounts, maximum_discount=caps)
    assert compute_discount(terms, basket).total <= amounts.get(basket.currency, 0)


@moderate
@given(st.lists(st.integers(0, 10**6), max_size=8), st.data())
def test_spread_sums_exactly_and_respects_weights(weights, data) -> None:
    amount = data.draw(st.integers(0, sum(weights)))
    parts = spread(amount, weights)
    assert sum(parts) == (amount if sum(weights) else 0)
    assert all(0 <= part <= weight for part, weight in zip(parts, weights, strict=True))
    # Proportional to within one unit of each exact share.
    total = sum(weights)
    assert all(
        total == 0 or abs(part * total - amount * w) < total
        for part, w in zip(parts, weights, strict=True)
    )


def test_spread_gives_ties_to_the_earlier_line() -> None:
    assert spread(1, [5, 5]) == (1, 0)
    assert spread(2, [1, 1, 1]) == (1, 1, 0)
    assert spread(0, []) == ()
