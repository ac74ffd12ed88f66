"""How a discount combines with others on one order: alone, or beside which kinds, and when.

Part of Terms (`Terms.combination`). The defaults keep what every code did before several
codes could be sent together: a discount is exclusive, so an order gets one code. Its checks
are in `terms.validate_terms`, the rules that use it in `stacking`; docs/stacking.md explains
them with examples.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from app.domain.enums import DiscountKind

# Priorities are small whole numbers a shop picks by hand; the bound keeps them so, and fits
# any integer column.
MAX_PRIORITY = 1000


@dataclass(frozen=True)
class Combination:
    """Whether a discount stands alone, which kinds it may share an order with, and its turn.

    `exclusive`: it combines with no other discount, whatever `combines_with` says (a shop can
    make a discount exclusive for a while and keep its list). `combines_with`: the kinds
    (percentage, fixed) of the other discounts it may be used beside; both sides must accept
    each other. `priority`: higher goes first; equal priorities go in the order the client
    sent the codes.
    """

    exclusive: bool = True
    combines_with: frozenset[DiscountKind] = field(default_factory=frozenset)
    priority: int = 0

    def __post_init__(self) -> None:
        # A list or set passed in becomes a frozenset, so Combination (and Terms) stay hashable.
        object.__setattr__(self, "combines_with", frozenset(self.combines_with))
