"""Whether a code can be redeemed now, for this customer and basket, and if not, why.

`evaluate` checks the conditions of DESIGN.md "The rules" in order and names the first that
fails, so the same situation always gets the same reason. It reads nothing: the caller loads
the code's facts and counts its uses (restricted to the current usage period when the terms
have one) and passes them in, which keeps this module a pure function that the redemption
transaction can call after locking the counters.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from app.domain.amounts import Basket, Discount, compute_discount, eligible_total
from app.domain.calendar import to_utc
from app.domain.enums import Channel, Reason
from app.domain.terms import Terms, priced_in
from app.domain.windows import Window


@dataclass(frozen=True)
class CodeFacts:
    """What is stored about a code, its coupon or discount code, and its assignment."""

    terms: Terms
    # The code's own window, the coupon's or discount code's, the assignment's; `terms.window`
    # is checked as well, so it need not be repeated here.
    windows: tuple[Window, ...] = ()
    deleted: bool = False
    disabled: bool = False
    # A coupon code with multi_use false: one use in total, by anyone.
    single_use: bool = False
    # A coupon code with multi_use true: one use per customer.
    once_per_customer: bool = False
    allocated_customer_id: str | None = None
    # The code has live assignments: only their holders may use it. The engine may pass just
    # the redeeming customer's id in `assigned_customer_ids` when they hold one.
    assignees_only: bool = False
    assigned_customer_ids: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class Usage:
    """Past (non-voided) uses, counted by the caller.

    `total` is counted against `max_uses`, already restricted to the usage period containing
    the attempt when the terms have one; `by_customer` and `in_order` are the uses by this
    customer and in this order; `of_code*` count uses of this very code string.
    """

    total: int = 0
    by_customer: int = 0
    in_order: int = 0
    of_code: int = 0
    of_code_by_customer: int = 0


@dataclass(frozen=True)
class Customer:
    id: str
    is_member: bool


@dataclass(frozen=True)
class Attempt:
    """One try to use a code: when, on what, by whom, where."""

    at: datetime
    basket: Basket
    customer: Customer | None = None
    is_lead_booker: bool = False
    channel: Channel = Channel.ONLINE
    order_reference: str | None = None


@dataclass(frozen=True)
class Outcome:
    """The verdict: no reason and a discount when valid, a reason and no discount otherwise."""

    reason: Reason | None
    discount: Discount | None = None

    @property
    def valid(self) -> bool:
        return self.reason is None


def _existence(facts: CodeFacts, attempt: Attempt, usage: Usage) -> Reason | None:
    if facts.deleted:
        return Reason.DELETED
    if facts.disabled:
        return Reason.DISABLED
    return None


def _windows(facts: CodeFacts, attempt: Attempt, usage: Usage) -> Reason | None:
    t = to_utc(attempt.at)
    windows = (facts.terms.window, *facts.windows)
    # A window still to open is reported before one already closed: waiting can fix only
    # the first, and "expired" would be misleading about a code that is not yet live.
    if any(w.starts_after(t) for w in windows):
        return Reason.NOT_YET_VALID
    if any(w.ended_before(t) for w in windows):
        return Reason.EXPIRED
    return None


def _caps(facts: CodeFacts, attempt: Attempt, usage: Usage) -> Reason | None:
    terms = facts.terms
    if terms.max_uses is not None and usage.total >= terms.max_uses:
        return Reason.USAGE_LIMIT_REACHED
    if facts.single_use and usage.of_code >= 1:
        return Reason.ALREADY_USED
    per_customer = terms.max_uses_per_customer is not None or facts.once_per_customer
    if per_customer and attempt.customer is None:
        return Reason.CUSTOMER_REQUIRED
    if terms.max_uses_per_customer is not None and usage.by_customer >= terms.max_uses_per_customer:
        return Reason.CUSTOMER_LIMIT_REACHED
    if facts.once_per_customer and usage.of_code_by_customer >= 1:
        return Reason.ALREADY_USED
    # Without an order reference there is no order to count in, so nothing has been used in it.
    in_order = usage.in_order if attempt.order_reference is not None else 0
    if terms.max_uses_per_order is not None and in_order >= terms.max_uses_per_order:
        return Reason.ORDER_LIMIT_REACHED
    return None


# A cap that never refuses: above any count a ledger can reach (counts are 32-bit).
UNCAPPED = 2**31 - 1


def cap_limits(facts: CodeFacts, attempt: Attempt) -> Usage:
    """The counts at which the caps refuse this attempt: with every other condition met, it
    passes exactly when each count of `Usage` is below its limit here (0: refused whatever
    the count, e.g. a per-customer cap without a customer). A redemption hands these to the
    statement that decides under the lock, so that the rules stay here and a cap found full
    there answers its reason (`evaluate` with the counts it read)."""
    terms = facts.terms
    per_customer = terms.max_uses_per_customer is not None or facts.once_per_customer
    if per_customer and attempt.customer is None:
        return Usage(0, 0, 0, 0, 0)
    in_order = UNCAPPED if terms.max_uses_per_order is None else terms.max_uses_per_order
    if attempt.order_reference is None:  # nothing used in no order: only a cap of 0 refuses
        in_order = 0 if in_order <= 0 else UNCAPPED
    return Usage(
        total=UNCAPPED if terms.max_uses is None else terms.max_uses,
        by_customer=(
            UNCAPPED if terms.max_uses_per_customer is None else terms.max_uses_per_customer
        ),
        in_order=in_order,
        of_code=1 if facts.single_use else UNCAPPED,
        of_code_by_customer=1 if facts.once_per_customer else UNCAPPED,
    )


def within(usage: Usage, limits: Usage) -> bool:
    """Every count of `usage` below its limit in `limits` (see `cap_limits`)."""
    return (
        usage.total < limits.total
        and usage.by_customer < limits.by_customer
        and usage.in_order < limits.in_order
        and usage.of_code < limits.of_code
        and usage.of_code_by_customer < limits.of_code_by_customer
    )


def _allocation(facts: CodeFacts, attempt: Attempt, usage: Usage) -> Reason | None:
    customer_id = attempt.customer.id if attempt.customer is not None else None
    if facts.allocated_customer_id is not None and customer_id != facts.allocated_customer_id:
        return Reason.NOT_ASSIGNED_TO_CUSTOMER
    holders = facts.assigned_customer_ids
    if facts.assignees_only and (customer_id is None or customer_id not in holders):
        return Reason.NOT_ASSIGNED_TO_CUSTOMER
    return None


def _audience(facts: CodeFacts, attempt: Attempt, usage: Usage) -> Reason | None:
    terms, customer = facts.terms, attempt.customer
    if terms.members_only and (customer is None or not customer.is_member):
        return Reason.MEMBERS_ONLY
    if terms.contacts_only and (customer is None or customer.is_member):
        return Reason.CONTACTS_ONLY
    if terms.lead_booker_only and not attempt.is_lead_booker:
        return Reason.LEAD_BOOKER_ONLY
    if terms.box_office_only and attempt.channel is not Channel.BOX_OFFICE:
        return Reason.BOX_OFFICE_ONLY
    return None


def basket_reason(terms: Terms, basket: Basket) -> Reason | None:
    """Why `terms` give nothing on `basket` (currency, eligible lines, minimum spend), or None.

    The last of the checks, public because `stacking` asks it again of the prices that are left
    once earlier codes have been taken off.
    """
    currency = basket.currency
    if not priced_in(terms, currency):
        return Reason.CURRENCY_NOT_SUPPORTED
    total = eligible_total(terms, basket)
    if total <= 0:
        return Reason.NO_ELIGIBLE_ITEMS
    if total < terms.minimum_spend.get(currency, 0):
        return Reason.MINIMUM_SPEND_NOT_REACHED
    return None


def _basket(facts: CodeFacts, attempt: Attempt, usage: Usage) -> Reason | None:
    return basket_reason(facts.terms, attempt.basket)


_CHECKS: tuple[Callable[[CodeFacts, Attempt, Usage], Reason | None], ...] = (
    _existence,
    _windows,
    _caps,
    _allocation,
    _audience,
    _basket,
)


def evaluate(facts: CodeFacts | None, attempt: Attempt, usage: Usage) -> Outcome:
    """The first failing condition for this attempt, or the discount it earns."""
    if facts is None:
        return Outcome(Reason.NOT_FOUND)
    for check in _CHECKS:
        reason = check(facts, attempt, usage)
        if reason is not None:
            return Outcome(reason)
    return Outcome(None, compute_discount(facts.terms, attempt.basket))


# Someone who may not read the code must not learn from a failed attempt that it exists: a
# deleted, disabled, not-yet-live or someone else's code looks exactly like a typo. Likewise
# the per-customer, per-code and per-order limits would tell a stranger that this code was
# used by someone (or by whom), so they collapse into the generic usage limit. The remaining
# reasons (expired, used up, audience, channel, basket) do show that the code exists, but only
# for a code that has been live or that the caller may hold, a checkout needs them to explain
# the refusal, and none of them gives a guesser anything to redeem.
_PUBLIC: dict[Reason, Reason] = {
    Reason.DELETED: Reason.NOT_FOUND,
    Reason.DISABLED: Reason.NOT_FOUND,
    Reason.NOT_YET_VALID: Reason.NOT_FOUND,
    Reason.NOT_ASSIGNED_TO_CUSTOMER: Reason.NOT_FOUND,
    Reason.AMBIGUOUS_CODE: Reason.NOT_FOUND,
    Reason.CUSTOMER_LIMIT_REACHED: Reason.USAGE_LIMIT_REACHED,
    Reason.ALREADY_USED: Reason.USAGE_LIMIT_REACHED,
    Reason.ORDER_LIMIT_REACHED: Reason.USAGE_LIMIT_REACHED,
}


def public_reason(reason: Reason) -> Reason:
    """The enumeration-safe form of `reason` for callers not allowed to read the code."""
    return _PUBLIC.get(reason, reason)
