"""merge_terms and the eligible-list changes: pure functions, no database."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from app.domain.enums import DiscountKind, ItemCategory
from app.services.eligible_items import next_eligible
from app.services.problems import ProblemCode
from app.services.terms_input import DEFAULTS, merge_terms

NOW = datetime(2030, 1, 1, 12, tzinfo=UTC)
PATH = ("input", "terms")


@dataclass
class Money:
    amount: int
    currency: str | None = None


@dataclass
class Change:
    category: ItemCategory
    added_item_ids: list[str] = field(default_factory=list)
    removed_item_ids: list[str] = field(default_factory=list)


def merge(changes: dict[str, Any], current: dict[str, Any] | None = None) -> Any:
    return merge_terms(
        changes, current, {}, time_zone="Europe/Paris", currency="EUR", now=NOW, path=PATH
    )


def test_a_create_gets_the_defaults_and_basis_points() -> None:
    values, problems = merge({"kind": DiscountKind.PERCENTAGE, "percentage": Decimal("12.5")})
    assert problems == []
    assert values.columns["percentage_bp"] == 1250
    assert values.columns["minimum_spend"] == {} and values.columns["amounts"] is None
    assert values.columns["discount_products"] is False


def test_money_without_currency_is_in_the_sites_currency() -> None:
    changes = {"kind": DiscountKind.FIXED, "amounts": [Money(300), Money(400, "GBP")]}
    values, problems = merge(changes)
    assert problems == [] and values.columns["amounts"] == {"EUR": 300, "GBP": 400}


def test_dates_are_local_days_of_the_site() -> None:
    changes = {
        "kind": DiscountKind.PERCENTAGE,
        "percentage": Decimal(5),
        "valid_from": date(2030, 1, 1),
        "valid_to": date(2030, 1, 1),
    }
    values, _ = merge(changes)
    assert values.columns["valid_from"] == datetime(2029, 12, 31, 23, tzinfo=UTC)
    assert values.columns["valid_to"] == datetime(2030, 1, 1, 22, 59, 59, 999999, UTC)


def test_an_update_keeps_what_is_omitted_and_clears_what_is_null() -> None:
    current = {**DEFAULTS, "kind": DiscountKind.PERCENTAGE, "percentage_bp": 1000, "max_uses": 4,
               "max_uses_per_customer": 2}  # fmt: skip
    values, problems = merge({"max_uses": None, "active": False}, current)
    assert problems == []
    assert values.columns["max_uses"] is None and values.columns["max_uses_per_customer"] == 2
    assert values.columns["percentage_bp"] == 1000
    assert values.columns["disabled_at"] == NOW


def test_out_of_range_dates_are_problems_not_crashes() -> None:
    changes = {"kind": DiscountKind.PERCENTAGE, "percentage": Decimal(5), "valid_to": date.max}
    _, problems = merge(changes)
    assert [(p.field, p.code) for p in problems] == [((*PATH, "validTo"), ProblemCode.OUT_OF_RANGE)]


def test_an_invalid_percentage_is_reported_without_converting_it() -> None:
    values, problems = merge({"kind": DiscountKind.PERCENTAGE, "percentage": Decimal("NaN")})
    assert [p.field for p in problems] == [(*PATH, "percentage")]
    assert values.columns["percentage_bp"] is None


def test_deltas_add_remove_and_enable_categories() -> None:
    current = {ItemCategory.PRODUCT: frozenset({"a", "b"})}
    changes = {
        "eligible_item_changes": [
            Change(ItemCategory.PRODUCT, removed_item_ids=["a", "b"]),
            Change(ItemCategory.EVENT, added_item_ids=["e"]),
        ]
    }
    eligible, problems = next_eligible(current, changes, PATH)
    assert problems == []
    # Removing every id leaves the category eligible without a list: every item of it.
    assert eligible == {ItemCategory.PRODUCT: frozenset(), ItemCategory.EVENT: frozenset({"e"})}


def test_a_category_changed_twice_is_a_problem() -> None:
    changes = {
        "eligible_item_changes": [
            Change(ItemCategory.EVENT, added_item_ids=["e"]),
            Change(ItemCategory.EVENT, added_item_ids=["f"]),
        ]
    }
    _, problems = next_eligible({}, changes, PATH)
    assert [(p.field, p.code) for p in problems] == [
        ((*PATH, "eligibleItemChanges", "1", "category"), ProblemCode.INVALID)
    ]
