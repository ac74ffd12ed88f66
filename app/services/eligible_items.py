"""Eligible item lists of a Terms: what changes to them mean, and how they are stored.

A category is eligible when its `discount_*` flag is set; its ids live in `eligible_item` rows,
and no rows means every item of the category. Clients change the lists either by replacing the
whole set (`eligibleCategories`) or by adding and removing ids per category (the Nexudus
`Added*` / `Removed*` lists), never both for one category.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from app.db.eligible_items import eligible_items, replace_eligible_items
from app.db.handles import Record, Session
from app.db.tables import CATEGORY_FLAGS
from app.domain.enums import ItemCategory
from app.services.input_checks import Given
from app.services.problems import Problem, ProblemCode

Path = tuple[str, ...]
Eligible = dict[ItemCategory, frozenset[str]]

MAX_ITEM_ID_LENGTH = 128


class CategoryList(Protocol):
    category: ItemCategory
    item_ids: list[str]


class CategoryChange(Protocol):
    category: ItemCategory
    added_item_ids: list[str]
    removed_item_ids: list[str]


def flag_values(eligible: Eligible) -> dict[str, bool]:
    return {flag: category in eligible for category, flag in CATEGORY_FLAGS.items()}


def next_eligible(current: Eligible, changes: Given, path: Path) -> tuple[Eligible, list[Problem]]:
    """The eligible lists after `changes` (`eligible_categories`, `eligible_item_changes`)."""
    eligible, problems = dict(current), []
    replaced: set[ItemCategory] = set()
    if "eligible_categories" in changes:
        eligible = {}
        for index, entry in enumerate(changes["eligible_categories"] or ()):
            here = (*path, "eligibleCategories", str(index))
            if entry.category in eligible:
                message = f"{entry.category.value} is listed twice"
                problems.append(Problem((*here, "category"), ProblemCode.INVALID, message))
            eligible[entry.category] = frozenset(entry.item_ids)
            problems += _id_problems(entry.item_ids, (*here, "itemIds"))
        replaced = set(eligible)
    changed: set[ItemCategory] = set()
    for index, change in enumerate(changes.get("eligible_item_changes") or ()):
        here = (*path, "eligibleItemChanges", str(index))
        found = _change_problems(change, replaced, changed, here)
        changed.add(change.category)
        if found:
            problems += found
            continue
        ids = eligible.get(change.category)
        if change.added_item_ids:
            ids = (ids or frozenset()) | frozenset(change.added_item_ids)
        if ids is not None:
            # Removing the last id leaves the category with no list: every item of it.
            eligible[change.category] = ids - frozenset(change.removed_item_ids)
    return eligible, problems


def _change_problems(
    change: CategoryChange, replaced: set[ItemCategory], changed: set[ItemCategory], here: Path
) -> list[Problem]:
    name = change.category.value
    if change.category in replaced:
        message = f"{name} is replaced by eligibleCategories; list its ids there instead"
        return [Problem((*here, "category"), ProblemCode.NOT_ALLOWED, message)]
    if change.category in changed:
        return [Problem((*here, "category"), ProblemCode.INVALID, f"{name} is listed twice")]
    both = set(change.added_item_ids) & set(change.removed_item_ids)
    if both:
        message = f"ids both added and removed: {', '.join(sorted(both))}"
        return [Problem((*here, "removedItemIds"), ProblemCode.NOT_ALLOWED, message)]
    return _id_problems(change.added_item_ids, (*here, "addedItemIds"))


def _id_problems(ids: Sequence[str], path: Path) -> list[Problem]:
    if any(len(item_id) > MAX_ITEM_ID_LENGTH for item_id in ids):
        message = f"item ids must be at most {MAX_ITEM_ID_LENGTH} characters long"
        return [Problem(path, ProblemCode.OUT_OF_RANGE, message)]
    return []


async def load_eligible(session: Session, owner_column: str, row: Record) -> Eligible:
    """The stored lists of a Terms row (`owner_column` is "coupon_id" or "discount_code_id")."""
    ids: dict[ItemCategory, set[str]] = {
        category: set() for category, flag in CATEGORY_FLAGS.items() if getattr(row, flag)
    }
    for category, item_id in await eligible_items(session, owner_column, row.id):
        if category in ids:
            ids[category].add(item_id)
    return {category: frozenset(values) for category, values in ids.items()}


async def store_eligible(
    session: Session, owner_column: str, owner_id: int, eligible: Eligible
) -> None:
    """Replaces the owner's id rows (they are a value list of the owner, not records)."""
    items = [(category, item_id) for category, ids in eligible.items() for item_id in sorted(ids)]
    await replace_eligible_items(session, owner_column, owner_id, items)
