"""How a discount combines (app.domain.combination) as the Terms columns store it, and back.

The kinds a discount combines with are stored as one flag per kind (`COMBINES_WITH_FLAGS`),
as eligible categories are: each is a plain boolean the lists can filter on.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from app.db.handles import Columns
from app.db.tables import COMBINES_WITH_FLAGS
from app.domain.combination import Combination
from app.domain.enums import DiscountKind

# The columns a Combination is stored in, and their defaults (today's behaviour: exclusive).
COLUMN_DEFAULTS: Mapping[str, bool | int] = {
    "exclusive": True,
    **dict.fromkeys(COMBINES_WITH_FLAGS.values(), False),
    "priority": 0,
}


def kinds_of(values: Columns) -> list[DiscountKind]:
    """The kinds flagged in `values` (a row's mapping or column values), in enum order."""
    return [kind for kind, flag in COMBINES_WITH_FLAGS.items() if values[flag]]


def flags_for(kinds: Iterable[DiscountKind] | None) -> dict[str, bool]:
    """The flag columns for `kinds` (None: none)."""
    given = set(kinds or ())
    return {flag: kind in given for kind, flag in COMBINES_WITH_FLAGS.items()}


def combination_of(values: Columns) -> Combination:
    """The Combination stored in a Terms row's mapping (or in column values)."""
    return Combination(
        exclusive=bool(values["exclusive"]),
        combines_with=frozenset(kinds_of(values)),
        priority=values["priority"],
    )
