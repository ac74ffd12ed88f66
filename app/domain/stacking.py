"""Several codes on one order: which of them apply, in what order, and what each takes off.

Pure like `rules`: the caller first asks `rules.evaluate` about each code on its own (so a
deleted, expired or used-up code keeps its own reason and takes no part here), then passes the
codes that passed, in the order the client sent them, with their Terms. `apply_codes` puts
them in their order of application (higher `Terms.combination.priority` first, then the order
sent) and takes each in turn:

1. it does not combine with a code already applied: refused, `DOES_NOT_COMBINE` with that code;
2. the lines as they still cost fail the basket checks (currency, eligible lines, minimum
   spend; `rules.basket_reason`): refused with that reason;
3. otherwise it applies: `amounts.compute_discount`, the one-code arithmetic, on what the
   lines still cost, so a percentage is of the already discounted price, a fixed amount is
   spread as for one code, its maximum holds, and no line goes below zero.

Naming the other code in `DOES_NOT_COMBINE` tells a caller who may not read codes nothing new:
it is a code they sent themselves and that gave them a discount. docs/stacking.md has the rules
with worked examples.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from app.domain.amounts import Basket, BasketLine, Discount, compute_discount
from app.domain.codes import code_key
from app.domain.enums import Reason, StackReason
from app.domain.rules import basket_reason
from app.domain.terms import Terms

# The default of the setting that bounds the codes of one order (`max_codes_per_order`;
# Shopify allows five).
MAX_CODES_PER_ORDER = 5


@dataclass(frozen=True)
class StackedCode:
    """One code's part in an order: the discount it gave, or why it gave none."""

    code: str
    reason: Reason | StackReason | None
    discount: Discount | None = None
    # For DOES_NOT_COMBINE: the code, applied before this one, that it cannot be used beside.
    conflicts_with: str | None = None

    @property
    def applied(self) -> bool:
        return self.reason is None


@dataclass(frozen=True)
class Stack:
    """The answer for a set of codes: every code in the order sent, and what they take off
    together, per basket line and in total (the sum of the applied codes' discounts)."""

    codes: tuple[StackedCode, ...]
    # The codes that applied, in the order they were applied.
    applied: tuple[str, ...]
    lines: tuple[int, ...]
    total: int


def combines(first: Terms, second: Terms) -> bool:
    """Whether the two discounts may be used on one order: neither is exclusive and each
    accepts the other's kind."""
    a, b = first.combination, second.combination
    if a.exclusive or b.exclusive:
        return False
    return second.kind in a.combines_with and first.kind in b.combines_with


def application_order(codes: Sequence[tuple[str, Terms]]) -> list[int]:
    """The positions of `codes` in the order they are applied: by priority, highest first,
    then in the order sent (the sort is stable)."""
    return sorted(range(len(codes)), key=lambda i: -codes[i][1].combination.priority)


def stack_problem(codes: Sequence[str], max_codes: int = MAX_CODES_PER_ORDER) -> str | None:
    """Why `codes` cannot be sent together for one order, as a readable message, or None."""
    if len(codes) > max_codes:
        return f"at most {max_codes} codes can be used on one order, {len(codes)} were sent"
    seen: set[str] = set()
    for code in codes:
        key = code_key(code)
        if key in seen:
            # The answer is one entry per code; a code that is meant to be used twice in one
            # order is counted by its per-order cap, not by sending it twice.
            return f"the code {code!r} was sent more than once"
        seen.add(key)
    return None


def _left_to_pay(line: BasketLine, taken: int) -> BasketLine:
    """`line` once `taken` is off it: one unit at what the line still costs.

    The net price falls in proportion to the gross one (rounded half up): a discount off a
    price that includes tax takes its share of the tax with it. A line nothing was taken off
    is the line itself, so the first code sees exactly the basket it would see alone.
    """
    if taken == 0:
        return line
    gross = line.gross - taken
    net = None
    if line.net_unit_price is not None:
        # floor(net * gross / line.gross + 1/2); at most `gross` because net <= line.gross.
        net = (2 * line.net * gross + line.gross) // (2 * line.gross)
    return BasketLine(line.category, line.item_id, 1, gross, net)


def apply_codes(
    basket: Basket,
    codes: Sequence[tuple[str, Terms]],
    *,
    max_codes: int = MAX_CODES_PER_ORDER,
) -> Stack:
    """Apply `codes` (code, terms), in the order the client sent them, to `basket`.

    Raises ValueError when `stack_problem` finds the set unacceptable (too many, a repeat).
    """
    if max_codes < 1:
        raise ValueError(f"max_codes must be at least 1, got {max_codes}")
    problem = stack_problem([code for code, _ in codes], max_codes)
    if problem is not None:
        raise ValueError(problem)

    taken = tuple(0 for _ in basket.lines)
    answers: dict[int, StackedCode] = {}
    applied: list[int] = []
    for index in application_order(codes):
        code, terms = codes[index]
        conflict = next((i for i in applied if not combines(codes[i][1], terms)), None)
        if conflict is not None:
            refusal = StackReason.DOES_NOT_COMBINE
            answers[index] = StackedCode(code, refusal, conflicts_with=codes[conflict][0])
            continue
        left = Basket(basket.currency, tuple(map(_left_to_pay, basket.lines, taken)))
        reason = basket_reason(terms, left)
        if reason is not None:
            answers[index] = StackedCode(code, reason)
            continue
        discount = compute_discount(terms, left)
        taken = tuple(map(int.__add__, taken, discount.lines))
        applied.append(index)
        answers[index] = StackedCode(code, None, discount)

    return Stack(
        codes=tuple(answers[i] for i in range(len(codes))),
        applied=tuple(codes[i][0] for i in applied),
        lines=taken,
        total=sum(taken),
    )
