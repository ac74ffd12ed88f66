"""Terms, windows and `validate_terms`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given

from app.domain import (
    DiscountKind,
    ExpirationUnit,
    ItemCategory,
    Terms,
    UsagePeriod,
    Window,
    intersect,
    validate_terms,
)

from .strategies import aware_datetimes, discount_terms, moderate, offsets

T0 = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
PCT = DiscountKind.PERCENTAGE
FIXED = DiscountKind.FIXED


def test_window_is_inclusive_at_both_ends() -> None:
    w = Window(T0, T0 + HOUR)
    assert w.contains(T0) and w.contains(T0 + HOUR) and w.contains(T0 + HOUR / 2)
    assert not w.contains(T0 - timedelta(microseconds=1))
    assert not w.contains(T0 + HOUR + timedelta(microseconds=1))
    assert Window().contains(T0)


def test_window_normalises_to_utc_and_refuses_naive() -> None:
    paris = timezone(timedelta(hours=2))
    w = Window(start=datetime(2025, 6, 1, 14, 0, tzinfo=paris))
    assert w.start == T0 and w.start.tzinfo is UTC
    with pytest.raises(ValueError, match="timezone-aware"):
        Window(start=datetime(2025, 6, 1))
    with pytest.raises(ValueError, match="timezone-aware"):
        Window().contains(datetime(2025, 6, 1))


def test_intersect_takes_latest_start_and_earliest_end() -> None:
    w = intersect(Window(T0, T0 + 5 * HOUR), Window(T0 + HOUR, None), Window(None, T0 + 3 * HOUR))
    assert w == Window(T0 + HOUR, T0 + 3 * HOUR)
    assert intersect() == Window()
    disjoint = intersect(Window(T0, T0 + HOUR), Window(T0 + 2 * HOUR, T0 + 3 * HOUR))
    assert disjoint.is_empty and not disjoint.contains(T0 + HOUR)


@moderate
@given(aware_datetimes, offsets, offsets, aware_datetimes)
def test_intersection_contains_exactly_what_all_contain(start, a, b, t) -> None:
    one, two = Window(start, start + a), Window(start + b, None)
    assert intersect(one, two).contains(t) == (one.contains(t) and two.contains(t))


def test_terms_copy_their_mappings_into_read_only_views() -> None:
    amounts = {"GBP": 500}
    ids = {"x"}
    terms = Terms(kind=FIXED, amounts=amounts, eligible={ItemCategory.PRODUCT: ids})
    amounts["GBP"] = 1
    ids.add("y")
    assert terms.amounts["GBP"] == 500
    assert terms.eligible[ItemCategory.PRODUCT] == frozenset({"x"})
    with pytest.raises(TypeError):
        terms.amounts["GBP"] = 2  # type: ignore[index]


def test_terms_compare_and_hash_by_value() -> None:
    one = Terms(kind=FIXED, amounts={"GBP": 5}, eligible={ItemCategory.EVENT: {"x"}})
    two = Terms(kind=FIXED, amounts={"GBP": 5}, eligible={ItemCategory.EVENT: frozenset("x")})
    assert one == two and hash(one) == hash(two) and len({one, two}) == 1
    assert one != Terms(kind=FIXED, amounts={"GBP": 6}, eligible={ItemCategory.EVENT: {"x"}})


@moderate
@given(discount_terms())
def test_generated_valid_terms_have_no_problems(terms: Terms) -> None:
    assert validate_terms(terms) == []


def pct(p: str, **kw) -> Terms:
    return Terms(kind=PCT, percentage=Decimal(p), **kw)


def fixed(**kw) -> Terms:
    return Terms(kind=FIXED, **{"amounts": {"GBP": 500}, **kw})


FLOAT_PERCENTAGE = Terms(kind=PCT, percentage=12.5)  # type: ignore[arg-type]

PROBLEMS = [
    ("percentage 100 is fine", pct("100"), set()),
    ("trailing zeros are fine", pct("12.500"), set()),
    ("percentage missing", Terms(kind=PCT), {("percentage", "REQUIRED")}),
    ("percentage zero", pct("0"), {("percentage", "OUT_OF_RANGE")}),
    ("percentage negative", pct("-5"), {("percentage", "OUT_OF_RANGE")}),
    ("percentage over 100", pct("100.01"), {("percentage", "OUT_OF_RANGE")}),
    ("three decimals", pct("12.345"), {("percentage", "INVALID")}),
    ("not a number", pct("NaN"), {("percentage", "INVALID")}),
    ("float percentage", FLOAT_PERCENTAGE, {("percentage", "INVALID")}),
    ("amounts on a percentage", pct("10", amounts={"GBP": 1}), {("amounts", "NOT_ALLOWED")}),
    ("fixed without amounts", Terms(kind=FIXED), {("amounts", "REQUIRED")}),
    ("percentage on fixed", fixed(percentage=Decimal(5)), {("percentage", "NOT_ALLOWED")}),
    ("lower-case currency", fixed(amounts={"gbp": 5}), {("amounts", "INVALID_CURRENCY")}),
    ("long currency", fixed(amounts={"POUND": 5}), {("amounts", "INVALID_CURRENCY")}),
    ("currency of no country", fixed(amounts={"XXQ": 5}), {("amounts", "INVALID_CURRENCY")}),
    ("ISO's testing code", fixed(amounts={"XTS": 5}), {("amounts", "INVALID_CURRENCY")}),
    (
        "gold is not money here",
        fixed(minimum_spend={"XAU": 5}),
        {("minimumSpend", "INVALID_CURRENCY")},
    ),
    (
        "withdrawn currency",
        fixed(maximum_discount={"HRK": 5}),
        {("maximumDiscount", "INVALID_CURRENCY")},
    ),
    ("a 2025 currency", fixed(amounts={"XCG": 5, "XOF": 5, "JPY": 5}), set()),
    ("zero amount", fixed(amounts={"GBP": 0}), {("amounts", "OUT_OF_RANGE")}),
    ("bool amount", fixed(amounts={"GBP": True}), {("amounts", "INVALID")}),
    ("zero minimum spend", fixed(minimum_spend={"GBP": 0}), set()),
    (
        "negative minimum spend",
        fixed(minimum_spend={"GBP": -1}),
        {("minimumSpend", "OUT_OF_RANGE")},
    ),
    (
        "bad minimum currency",
        fixed(minimum_spend={"12A": 1}),
        {("minimumSpend", "INVALID_CURRENCY")},
    ),
    (
        "zero maximum discount",
        fixed(maximum_discount={"EUR": 0}),
        {("maximumDiscount", "OUT_OF_RANGE")},
    ),
    ("blank item id", fixed(eligible={ItemCategory.EVENT: {" "}}), {("eligible", "INVALID")}),
    ("not a category", fixed(eligible={"EVENT": set()}), {("eligible", "INVALID")}),
    ("max uses 0", fixed(max_uses=0), {("maxUses", "OUT_OF_RANGE")}),
    ("per customer 0", fixed(max_uses_per_customer=0), {("maxUsesPerCustomer", "OUT_OF_RANGE")}),
    ("per order -1", fixed(max_uses_per_order=-1), {("maxUsesPerOrder", "OUT_OF_RANGE")}),
    ("caps of 1", fixed(max_uses=1, max_uses_per_customer=1, max_uses_per_order=1), set()),
    ("period without cap", fixed(usage_period=UsagePeriod.P1W), {("usagePeriod", "NOT_ALLOWED")}),
    ("period with cap", fixed(usage_period=UsagePeriod.P1W, max_uses=3), set()),
    ("inverted window", fixed(window=Window(T0, T0 - HOUR)), {("validTo", "WINDOW_INVERTED")}),
    ("empty window", fixed(window=Window(T0, T0)), {("validTo", "WINDOW_INVERTED")}),
    ("open window", fixed(window=Window(None, T0)), set()),
    ("unit alone", fixed(expiration_unit=ExpirationUnit.DAY), {("expiresIn", "REQUIRED")}),
    ("count alone", fixed(expires_in=3), {("expirationUnit", "REQUIRED")}),
    (
        "count zero",
        fixed(expiration_unit=ExpirationUnit.WEEK, expires_in=0),
        {("expiresIn", "OUT_OF_RANGE")},
    ),
    (
        "count absurd",
        fixed(expiration_unit=ExpirationUnit.YEAR, expires_in=1000),
        {("expiresIn", "OUT_OF_RANGE")},
    ),
    ("expiry ok", fixed(expiration_unit=ExpirationUnit.MONTH, expires_in=3), set()),
    (
        "members and contacts",
        fixed(members_only=True, contacts_only=True),
        {("contactsOnly", "NOT_ALLOWED")},
    ),
    (
        "several at once",
        Terms(kind=FIXED, percentage=Decimal(5), max_uses=0),
        {("percentage", "NOT_ALLOWED"), ("amounts", "REQUIRED"), ("maxUses", "OUT_OF_RANGE")},
    ),
]


@pytest.mark.parametrize(
    ("terms", "expected"), [row[1:] for row in PROBLEMS], ids=[row[0] for row in PROBLEMS]
)
def test_validate_terms(terms: Terms, expected: set[tuple[str, str]]) -> None:
    problems = validate_terms(terms)
    assert {(p.field, p.code) for p in problems} == expected
    assert len(problems) == len(expected)
    assert all(p.message for p in problems)
