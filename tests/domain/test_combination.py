"""`Terms.combination`: its defaults, and what `validate_terms` accepts of it."""

from __future__ import annotations

from decimal import Decimal

import pytest

from app.domain import MAX_PRIORITY, Combination, DiscountKind, Terms, validate_terms

PCT = DiscountKind.PERCENTAGE


def terms(**combination: object) -> Terms:
    return Terms(kind=PCT, percentage=Decimal(10), combination=Combination(**combination))


def problems(**combination: object) -> list[tuple[str, str]]:
    return [(p.field, p.code) for p in validate_terms(terms(**combination))]


def test_the_default_is_exclusive_first_in_line_and_valid() -> None:
    default = Terms(kind=PCT, percentage=Decimal(10)).combination
    assert default == Combination(exclusive=True, combines_with=frozenset(), priority=0)
    assert problems() == []


def test_kinds_become_a_frozenset_and_terms_stay_hashable() -> None:
    one = terms(exclusive=False, combines_with=[PCT, DiscountKind.FIXED])
    two = terms(exclusive=False, combines_with={DiscountKind.FIXED, PCT})
    assert one.combination.combines_with == frozenset(DiscountKind)
    assert one == two and hash(one) == hash(two)


@pytest.mark.parametrize(
    ("combination", "expected"),
    [
        ({"exclusive": False}, [("combinesWith", "REQUIRED")]),
        # The API turns names into kinds; a bare name here is a caller's bug.
        ({"exclusive": False, "combines_with": {"PERCENTAGE"}}, [("combinesWith", "INVALID")]),
        ({"exclusive": False, "combines_with": {"SHIPPING"}}, [("combinesWith", "INVALID")]),
        # Exclusive keeps its list for later; it combines with nothing meanwhile.
        ({"exclusive": True, "combines_with": {PCT}}, []),
        ({"priority": MAX_PRIORITY}, []),
        ({"priority": MAX_PRIORITY + 1}, [("priority", "OUT_OF_RANGE")]),
        ({"priority": -1}, [("priority", "OUT_OF_RANGE")]),
        ({"priority": True}, [("priority", "INVALID")]),
        ({"priority": 1.5}, [("priority", "INVALID")]),
    ],
    ids=str,
)
def test_validate_terms_checks_the_combination(combination: dict, expected: list) -> None:
    assert problems(**combination) == expected
