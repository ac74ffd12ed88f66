"""Several codes on one order (`apply_codes`): worked examples, then properties.

The examples are the ones docs/stacking.md walks through, in cents (pence) as written there.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain import (
    MAX_CODES_PER_ORDER,
    Attempt,
    Basket,
    BasketLine,
    CodeFacts,
    Combination,
    Discount,
    DiscountKind,
    ItemCategory,
    Reason,
    StackReason,
    Terms,
    Usage,
    apply_codes,
    combines,
    compute_discount,
    evaluate,
    stack_problem,
)

from .strategies import baskets, code_sets, discount_terms, gbp_baskets, moderate, stackable_terms

PRODUCT, EVENT = ItemCategory.PRODUCT, ItemCategory.EVENT
BOTH = frozenset(DiscountKind)
BASKET = Basket(
    "GBP",
    (BasketLine(PRODUCT, "mug", 2, 1999), BasketLine(EVENT, "gig", 1, 2500)),
)


def pct(p: str, **combination: object) -> Terms:
    return Terms(
        kind=DiscountKind.PERCENTAGE, percentage=Decimal(p), combination=Combination(**combination)
    )


def fixed(pence: int, **combination: object) -> Terms:
    return Terms(
        kind=DiscountKind.FIXED, amounts={"GBP": pence}, combination=Combination(**combination)
    )


STACKS = {"exclusive": False, "combines_with": BOTH}
TEN_PERCENT = pct("10", **STACKS, priority=10)
FIVE_OFF = fixed(500, **STACKS)


def answers(stack) -> dict[str, tuple]:
    """Each code's reason, discount and conflict, by code."""
    return {c.code: (c.reason, c.discount, c.conflicts_with) for c in stack.codes}


# Examples


def test_default_terms_keep_one_code_per_order() -> None:
    # Given two codes whose terms say nothing about combining
    welcome, member = pct("10"), fixed(500)
    # When both are sent
    stack = apply_codes(BASKET, [("WELCOME", welcome), ("MEMBER", member)])
    # Then the first applies alone and the second is refused, naming the first
    first, second = stack.codes
    assert first.applied and first.discount == compute_discount(welcome, BASKET)
    assert second.reason is StackReason.DOES_NOT_COMBINE and second.conflicts_with == "WELCOME"
    assert second.discount is None and not second.applied
    assert stack.applied == ("WELCOME",) and stack.total == 650


def test_two_codes_combine_by_priority_each_on_what_is_left() -> None:
    # Given 10% at priority 10 and 5 pounds off at priority 0, both combining with any kind
    # When the client sends the fixed amount first
    stack = apply_codes(BASKET, [("FIVEOFF", FIVE_OFF), ("TENPC", TEN_PERCENT)])
    # Then the percentage goes first, on 3998 + 2500: 399.8 -> 400 and 250
    assert stack.applied == ("TENPC", "FIVEOFF")
    by_code = answers(stack)
    assert by_code["TENPC"] == (None, Discount(650, (400, 250)), None)
    # and the 500 is spread over what is left, 3598 and 2250: 307.63 -> 308, 192.37 -> 192
    assert by_code["FIVEOFF"] == (None, Discount(500, (308, 192)), None)
    assert stack.codes[0].code == "FIVEOFF"  # answers stay in the order sent
    assert stack.lines == (708, 442) and stack.total == 1150


def test_equal_priorities_go_in_the_order_sent() -> None:
    # Given the same two codes at the same priority
    ten = replace(TEN_PERCENT, combination=Combination(**STACKS))
    # When the fixed amount is sent first, then the percentage first
    fixed_first = apply_codes(BASKET, [("FIVEOFF", FIVE_OFF), ("TENPC", ten)])
    percentage_first = apply_codes(BASKET, [("TENPC", ten), ("FIVEOFF", FIVE_OFF)])
    # Then each is applied in the order sent: 10% of 5998 after the 500 is 369 + 231 = 600
    assert fixed_first.applied == ("FIVEOFF", "TENPC")
    assert answers(fixed_first)["FIVEOFF"][1] == Discount(500, (308, 192))
    assert answers(fixed_first)["TENPC"][1] == Discount(600, (369, 231))
    assert fixed_first.total == 1100
    assert percentage_first.applied == ("TENPC", "FIVEOFF") and percentage_first.total == 1150


def test_an_exclusive_code_is_refused_beside_one_already_applied() -> None:
    # Given a code that combines and an exclusive 50% at a lower priority
    half = pct("50")
    # When both are sent, the exclusive one first
    stack = apply_codes(BASKET, [("HALF", half), ("TENPC", TEN_PERCENT)])
    # Then the higher priority applies and the exclusive one is refused because of it
    assert stack.applied == ("TENPC",)
    assert answers(stack)["HALF"] == (StackReason.DOES_NOT_COMBINE, None, "TENPC")


def test_an_exclusive_code_that_goes_first_shuts_the_others_out() -> None:
    # Given an exclusive 50% at the highest priority
    half = pct("50", priority=20)
    # When it is sent last
    stack = apply_codes(BASKET, [("TENPC", TEN_PERCENT), ("FIVEOFF", FIVE_OFF), ("HALF", half)])
    # Then it alone applies: 1999 and 1250 on 3998 and 2500
    assert stack.applied == ("HALF",) and stack.lines == (1999, 1250)
    assert answers(stack)["TENPC"] == (StackReason.DOES_NOT_COMBINE, None, "HALF")
    assert answers(stack)["FIVEOFF"] == (StackReason.DOES_NOT_COMBINE, None, "HALF")


def test_exclusive_overrides_the_kinds_it_keeps() -> None:
    # Given a code made exclusive that still lists both kinds
    paused = pct("10", exclusive=True, combines_with=BOTH, priority=10)
    # When it is sent with a code that combines with anything
    stack = apply_codes(BASKET, [("PAUSED", paused), ("FIVEOFF", FIVE_OFF)])
    # Then it applies alone
    assert not combines(paused, FIVE_OFF) and not combines(FIVE_OFF, paused)
    assert stack.applied == ("PAUSED",)
    assert answers(stack)["FIVEOFF"] == (StackReason.DOES_NOT_COMBINE, None, "PAUSED")


def test_both_codes_must_accept_each_others_kind() -> None:
    # Given a percentage that combines with fixed amounts only, and one that combines with both
    with_fixed_only = pct("10", exclusive=False, combines_with={DiscountKind.FIXED})
    with_anything = pct("5", **STACKS)
    # Then they do not combine either way round, while a fixed amount combines with each
    assert not combines(with_fixed_only, with_anything)
    assert not combines(with_anything, with_fixed_only)
    assert combines(with_fixed_only, FIVE_OFF) and combines(FIVE_OFF, with_anything)
    # When all three are sent
    codes = [("ONLYFIXED", with_fixed_only), ("ANY", with_anything), ("FIVEOFF", FIVE_OFF)]
    stack = apply_codes(BASKET, codes)
    # Then the second percentage is refused and the fixed amount joins the first
    assert stack.applied == ("ONLYFIXED", "FIVEOFF")
    assert answers(stack)["ANY"] == (StackReason.DOES_NOT_COMBINE, None, "ONLYFIXED")


def test_nothing_goes_below_zero() -> None:
    # Given 100% off at a high priority and 5 pounds off
    free = pct("100", **STACKS, priority=5)
    # When both are sent
    stack = apply_codes(BASKET, [("FIVEOFF", FIVE_OFF), ("FREE", free)])
    # Then the basket is free and nothing is left for the 5 pounds to come off
    assert stack.lines == (3998, 2500) and stack.total == 6498
    assert answers(stack)["FIVEOFF"] == (Reason.NO_ELIGIBLE_ITEMS, None, None)


def test_each_code_keeps_its_own_maximum() -> None:
    # Given 10% capped at 3 pounds, applied after 5 pounds off
    capped = replace(pct("10", **STACKS), maximum_discount={"GBP": 300})
    # When both are sent
    stack = apply_codes(BASKET, [("FIVEOFF", FIVE_OFF), ("CAPPED", capped)])
    # Then 10% of what is left (369 + 231) is cut to 300 in the same proportions: 184.5 -> 185,
    # 115.5 -> 115 (the tie goes to the earlier line)
    assert answers(stack)["CAPPED"][1] == Discount(300, (185, 115))
    assert stack.total == 800


def test_the_minimum_spend_counts_what_is_left_to_pay() -> None:
    # Given a basket of 6000 and 10 pounds off from 55 pounds, after 10%
    basket = Basket("GBP", (BasketLine(PRODUCT, "coat", 1, 6000),))
    from_55 = replace(fixed(1000, **STACKS), minimum_spend={"GBP": 5500})
    # When both are sent
    stack = apply_codes(basket, [("TENPC", TEN_PERCENT), ("SPEND55", from_55)])
    # Then after the 600 only 5400 is left: the minimum spend is not reached
    assert answers(stack)["SPEND55"] == (Reason.MINIMUM_SPEND_NOT_REACHED, None, None)
    # while alone it applies
    assert apply_codes(basket, [("SPEND55", from_55)]).total == 1000


def test_the_net_price_falls_in_proportion_to_the_gross() -> None:
    # Given a line of 1200 with a net price of 1000, 10% off the gross price first, then 10%
    # off the net price
    basket = Basket("GBP", (BasketLine(PRODUCT, "print", 1, 1200, 1000),))
    on_gross = pct("10", **STACKS, priority=1)
    on_net = replace(pct("10", **STACKS), apply_to_net_price=True)
    # When both are sent
    stack = apply_codes(basket, [("NET", on_net), ("GROSS", on_gross)])
    # Then 120 comes off the gross price, leaving 1080 gross, 1000 * 1080 / 1200 = 900 net,
    # and the second takes 10% of that
    assert answers(stack)["GROSS"][1] == Discount(120, (120,))
    assert answers(stack)["NET"][1] == Discount(90, (90,))


def test_a_refused_code_blocks_nothing() -> None:
    # Given an exclusive code for events only, at the highest priority, and a basket of products
    events_only = replace(pct("50", priority=20), eligible={EVENT: frozenset()})
    basket = Basket("GBP", (BasketLine(PRODUCT, "mug", 1, 1000),))
    # When it is sent with two codes that combine
    codes = [("EVENTS", events_only), ("TENPC", TEN_PERCENT), ("FIVEOFF", FIVE_OFF)]
    stack = apply_codes(basket, codes)
    # Then it is refused for its own reason and the other two apply: 100, then 500 of 900
    assert answers(stack)["EVENTS"] == (Reason.NO_ELIGIBLE_ITEMS, None, None)
    assert stack.applied == ("TENPC", "FIVEOFF") and stack.total == 600


def test_no_codes_take_nothing_off() -> None:
    stack = apply_codes(BASKET, [])
    assert stack.codes == () and stack.applied == () and stack.lines == (0, 0)
    assert stack.total == 0


def test_too_many_codes_or_a_code_twice_is_refused_as_input() -> None:
    six = [(f"CODE{n}", FIVE_OFF) for n in range(6)]
    assert MAX_CODES_PER_ORDER == 5
    with pytest.raises(ValueError, match="at most 5 codes can be used on one order, 6 were sent"):
        apply_codes(BASKET, six)
    assert apply_codes(BASKET, six, max_codes=6).applied == tuple(c for c, _ in six)
    with pytest.raises(ValueError, match="at most 2 codes"):
        apply_codes(BASKET, six[:3], max_codes=2)
    with pytest.raises(ValueError, match="'tenpc' was sent more than once"):
        apply_codes(BASKET, [("TENPC", TEN_PERCENT), ("tenpc", TEN_PERCENT)])
    with pytest.raises(ValueError, match="max_codes must be at least 1"):
        apply_codes(BASKET, [], max_codes=0)
    assert stack_problem(["A", "B"]) is None


# Properties


def _gross(basket: Basket) -> tuple[int, ...]:
    return tuple(line.gross for line in basket.lines)


@pytest.mark.slow
@moderate
@given(gbp_baskets, code_sets())
def test_the_total_never_exceeds_the_basket_and_lines_add_up(basket, codes) -> None:
    stack = apply_codes(basket, codes)
    assert all(
        0 <= taken <= gross for taken, gross in zip(stack.lines, _gross(basket), strict=True)
    )
    assert stack.total == sum(stack.lines) <= sum(_gross(basket))
    applied = [c for c in stack.codes if c.applied]
    for code in applied:
        assert code.discount is not None and code.discount.total == sum(code.discount.lines)
        assert min(code.discount.lines, default=0) >= 0
    per_line = [
        sum(c.discount.lines[i] for c in applied if c.discount) for i in range(len(basket.lines))
    ]
    assert tuple(per_line) == stack.lines
    assert sorted(stack.applied) == sorted(c.code for c in applied)


@pytest.mark.slow
@moderate
@given(gbp_baskets, code_sets())
def test_every_maximum_holds(basket, codes) -> None:
    stack = apply_codes(basket, codes)
    terms = dict(codes)
    for code in stack.codes:
        cap = terms[code.code].maximum_discount.get(basket.currency)
        if code.discount is not None and cap is not None:
            assert code.discount.total <= cap


@pytest.mark.slow
@moderate
@given(gbp_baskets, code_sets())
def test_an_exclusive_code_never_applies_beside_another(basket, codes) -> None:
    stack = apply_codes(basket, codes)
    terms = dict(codes)
    applied = [terms[code] for code in stack.applied]
    if any(t.combination.exclusive for t in applied):
        assert len(applied) == 1
    assert all(combines(a, b) for a in applied for b in applied if a is not b)
    for code in stack.codes:
        assert code.applied == (code.reason is None) == (code.discount is not None)
        assert (code.conflicts_with is not None) == (code.reason is StackReason.DOES_NOT_COMBINE)
        assert code.conflicts_with is None or code.conflicts_with in stack.applied


@pytest.mark.slow
@moderate
@given(gbp_baskets, code_sets(stackable_terms(priorities=st.integers(0, 1000))), st.randoms())
def test_codes_of_distinct_priorities_apply_alike_in_any_order(basket, codes, random) -> None:
    priorities = [terms.combination.priority for _, terms in codes]
    if len(set(priorities)) < len(priorities):
        codes = [
            (code, replace(terms, combination=replace(terms.combination, priority=rank)))
            for rank, (code, terms) in enumerate(codes)
        ]
    shuffled = random.sample(codes, len(codes))
    one, other = apply_codes(basket, codes), apply_codes(basket, shuffled)
    assert answers(one) == answers(other)
    assert (one.applied, one.lines, one.total) == (other.applied, other.lines, other.total)


@pytest.mark.slow
@moderate
@given(gbp_baskets, code_sets(stackable_terms(priorities=st.just(7))))
def test_equal_priorities_apply_in_the_order_sent(basket, codes) -> None:
    # Giving the codes descending priorities in the order sent changes nothing.
    ranked = [
        (code, replace(terms, combination=replace(terms.combination, priority=100 - rank)))
        for rank, (code, terms) in enumerate(codes)
    ]
    one, other = apply_codes(basket, codes), apply_codes(basket, ranked)
    assert answers(one) == answers(other) and one.applied == other.applied
    sent = [code for code, _ in codes]
    assert list(one.applied) == [code for code in sent if code in one.applied]


@moderate
@given(baskets(), discount_terms() | stackable_terms())
def test_one_code_is_todays_single_code_computation(basket, terms) -> None:
    # The terms drawn have no audience, window or cap, so `evaluate` gets as far as the basket.
    today = evaluate(CodeFacts(terms), Attempt(datetime(2026, 1, 1, tzinfo=UTC), basket), Usage())
    stack = apply_codes(basket, [("ONLY", terms)])
    (alone,) = stack.codes
    assert (alone.reason, alone.discount) == (today.reason, today.discount)
    empty = tuple(0 for _ in basket.lines)
    expected_lines = today.discount.lines if today.discount is not None else empty
    assert stack.lines == expected_lines and stack.total == sum(expected_lines)


@pytest.mark.slow
@moderate
@given(gbp_baskets, code_sets())
def test_the_code_strings_only_name_the_codes(basket, codes) -> None:
    # Other names for the same codes, sent in the same order, give the same answer under them.
    renamed = {code: f"other-{n}" for n, (code, _) in enumerate(codes)}
    one = apply_codes(basket, codes)
    other = apply_codes(basket, [(renamed[code], terms) for code, terms in codes])
    assert [(c.reason, c.discount) for c in one.codes] == [
        (c.reason, c.discount) for c in other.codes
    ]
    assert [renamed[c.conflicts_with] if c.conflicts_with else None for c in one.codes] == [
        c.conflicts_with for c in other.codes
    ]
    assert tuple(renamed[code] for code in one.applied) == other.applied
    assert (one.lines, one.total) == (other.lines, other.total)
