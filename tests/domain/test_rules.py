"""`evaluate`: one row per reason, the order of the checks, and validity over time."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from app.domain import (
    Attempt,
    Basket,
    BasketLine,
    Channel,
    CodeFacts,
    Customer,
    DiscountKind,
    ItemCategory,
    Reason,
    Terms,
    Usage,
    Window,
    evaluate,
    public_reason,
)
from app.domain.rules import cap_limits, within

from .strategies import baskets, discount_terms, eligibility, light

T = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
SECOND = timedelta(seconds=1)
MEMBER = Customer("member-1", is_member=True)
CONTACT = Customer("contact-1", is_member=False)
BASKET = Basket("GBP", (BasketLine(ItemCategory.PRODUCT, "p1", 2, 1000),))


TEN_PERCENT = CodeFacts(terms=Terms(kind=DiscountKind.PERCENTAGE, percentage=Decimal(10)))
MEMBER_ORDER = Attempt(at=T, basket=BASKET, customer=MEMBER, order_reference="order-1")
NO_USE = Usage()


@dataclass(frozen=True)
class Case:
    """A redemption attempt; every field starts valid and a row changes one thing."""

    facts: CodeFacts | None = TEN_PERCENT
    attempt: Attempt = MEMBER_ORDER
    usage: Usage = NO_USE

    def terms(self, **changes) -> Case:
        assert self.facts is not None
        return self.code(terms=replace(self.facts.terms, **changes))

    def code(self, **changes) -> Case:
        assert self.facts is not None
        return replace(self, facts=replace(self.facts, **changes))

    def by(self, **changes) -> Case:
        return replace(self, attempt=replace(self.attempt, **changes))

    def used(self, **changes) -> Case:
        return replace(self, usage=replace(self.usage, **changes))

    def outcome(self):
        return evaluate(self.facts, self.attempt, self.usage)


OK = Case()
FIXED_GBP = dict(kind=DiscountKind.FIXED, percentage=None, amounts={"GBP": 500})

# One row per Reason: a case that fails with exactly that reason (None: the engine's, not the
# rules', e.g. a code string matching several codes), and what an outsider is told.
REASONS: dict[Reason, tuple[Callable[[], Case] | None, Reason]] = {
    Reason.NOT_FOUND: (lambda: replace(OK, facts=None), Reason.NOT_FOUND),
    Reason.AMBIGUOUS_CODE: (None, Reason.NOT_FOUND),
    Reason.DELETED: (lambda: OK.code(deleted=True), Reason.NOT_FOUND),
    Reason.DISABLED: (lambda: OK.code(disabled=True), Reason.NOT_FOUND),
    Reason.NOT_YET_VALID: (lambda: OK.code(windows=(Window(start=T + SECOND),)), Reason.NOT_FOUND),
    Reason.EXPIRED: (lambda: OK.terms(window=Window(end=T - SECOND)), Reason.EXPIRED),
    Reason.USAGE_LIMIT_REACHED: (
        lambda: OK.terms(max_uses=3).used(total=3),
        Reason.USAGE_LIMIT_REACHED,
    ),
    Reason.CUSTOMER_REQUIRED: (
        lambda: OK.terms(max_uses_per_customer=1).by(customer=None),
        Reason.CUSTOMER_REQUIRED,
    ),
    Reason.CUSTOMER_LIMIT_REACHED: (
        lambda: OK.terms(max_uses_per_customer=2).used(by_customer=2),
        Reason.USAGE_LIMIT_REACHED,
    ),
    Reason.ALREADY_USED: (
        lambda: OK.code(single_use=True).used(of_code=1),
        Reason.USAGE_LIMIT_REACHED,
    ),
    Reason.ORDER_LIMIT_REACHED: (
        lambda: OK.terms(max_uses_per_order=1).used(in_order=1),
        Reason.USAGE_LIMIT_REACHED,
    ),
    Reason.NOT_ASSIGNED_TO_CUSTOMER: (
        lambda: OK.code(allocated_customer_id="someone-else"),
        Reason.NOT_FOUND,
    ),
    Reason.MEMBERS_ONLY: (
        lambda: OK.terms(members_only=True).by(customer=CONTACT),
        Reason.MEMBERS_ONLY,
    ),
    Reason.CONTACTS_ONLY: (lambda: OK.terms(contacts_only=True), Reason.CONTACTS_ONLY),
    Reason.LEAD_BOOKER_ONLY: (lambda: OK.terms(lead_booker_only=True), Reason.LEAD_BOOKER_ONLY),
    Reason.BOX_OFFICE_ONLY: (lambda: OK.terms(box_office_only=True), Reason.BOX_OFFICE_ONLY),
    Reason.CURRENCY_NOT_SUPPORTED: (
        lambda: OK.terms(**{**FIXED_GBP, "amounts": {"EUR": 500}}),
        Reason.CURRENCY_NOT_SUPPORTED,
    ),
    Reason.NO_ELIGIBLE_ITEMS: (
        lambda: OK.terms(eligible={ItemCategory.EVENT: frozenset()}),
        Reason.NO_ELIGIBLE_ITEMS,
    ),
    Reason.MINIMUM_SPEND_NOT_REACHED: (
        lambda: OK.terms(minimum_spend={"GBP": 2001}),
        Reason.MINIMUM_SPEND_NOT_REACHED,
    ),
}


def test_every_reason_has_a_row() -> None:
    assert set(REASONS) == set(Reason)


@pytest.mark.parametrize("reason", list(Reason), ids=[r.value for r in Reason])
def test_each_reason(reason: Reason) -> None:
    build, public = REASONS[reason]
    if build is not None:
        outcome = build().outcome()
        assert outcome.reason is reason and not outcome.valid and outcome.discount is None
    assert public_reason(reason) is public
    assert public_reason(public) is public


def test_the_base_case_is_valid_and_priced() -> None:
    outcome = OK.outcome()
    assert outcome.valid and outcome.reason is None
    assert (
        outcome.discount is not None
        and outcome.discount.total == 200
        and outcome.discount.lines == (200,)
    )


ORDER = [
    ("deleted before disabled", OK.code(deleted=True, disabled=True), Reason.DELETED),
    (
        "disabled before windows",
        OK.code(disabled=True, windows=(Window(end=T - SECOND),)),
        Reason.DISABLED,
    ),
    (
        "a future start wins over a past end",
        OK.code(windows=(Window(end=T - SECOND), Window(start=T + SECOND))),
        Reason.NOT_YET_VALID,
    ),
    ("windows are inclusive", OK.code(windows=(Window(T, T),)), None),
    (
        "assignment window expired",
        OK.code(windows=(Window(), Window(end=T - SECOND))),
        Reason.EXPIRED,
    ),
    (
        "window before caps",
        OK.terms(window=Window(end=T - SECOND), max_uses=1).used(total=1),
        Reason.EXPIRED,
    ),
    ("below the cap", OK.terms(max_uses=3).used(total=2), None),
    (
        "total before single use",
        OK.terms(max_uses=1).code(single_use=True).used(total=1, of_code=1),
        Reason.USAGE_LIMIT_REACHED,
    ),
    ("single use unused", OK.code(single_use=True).used(total=5), None),
    (
        "once per customer needs one",
        OK.code(once_per_customer=True).by(customer=None),
        Reason.CUSTOMER_REQUIRED,
    ),
    (
        "once per customer used",
        OK.code(once_per_customer=True).used(of_code_by_customer=1),
        Reason.ALREADY_USED,
    ),
    ("once per customer, used by others", OK.code(once_per_customer=True).used(of_code=9), None),
    (
        "customer required before not assigned",
        OK.terms(max_uses_per_customer=1).code(allocated_customer_id="x").by(customer=None),
        Reason.CUSTOMER_REQUIRED,
    ),
    (
        "per-customer cap before per-order",
        OK.terms(max_uses_per_customer=1, max_uses_per_order=1).used(by_customer=1, in_order=1),
        Reason.CUSTOMER_LIMIT_REACHED,
    ),
    (
        "no order reference, no order count",
        OK.terms(max_uses_per_order=1).used(in_order=1).by(order_reference=None),
        None,
    ),
    (
        "allocated, no customer",
        OK.code(allocated_customer_id=MEMBER.id).by(customer=None),
        Reason.NOT_ASSIGNED_TO_CUSTOMER,
    ),
    ("allocated to this customer", OK.code(allocated_customer_id=MEMBER.id), None),
    ("assignees only, not one", OK.code(assignees_only=True), Reason.NOT_ASSIGNED_TO_CUSTOMER),
    (
        "assignees only, no customer",
        OK.code(assignees_only=True, assigned_customer_ids=frozenset({MEMBER.id})).by(
            customer=None
        ),
        Reason.NOT_ASSIGNED_TO_CUSTOMER,
    ),
    ("assignee", OK.code(assignees_only=True, assigned_customer_ids=frozenset({MEMBER.id})), None),
    (
        "assignment before audience",
        OK.code(allocated_customer_id="x").terms(contacts_only=True),
        Reason.NOT_ASSIGNED_TO_CUSTOMER,
    ),
    ("members only, anonymous", OK.terms(members_only=True).by(customer=None), Reason.MEMBERS_ONLY),
    ("members only, member", OK.terms(members_only=True), None),
    (
        "contacts only, anonymous",
        OK.terms(contacts_only=True).by(customer=None),
        Reason.CONTACTS_ONLY,
    ),
    ("contacts only, contact", OK.terms(contacts_only=True).by(customer=CONTACT), None),
    ("lead booker", OK.terms(lead_booker_only=True).by(is_lead_booker=True), None),
    (
        "audience before channel",
        OK.terms(lead_booker_only=True, box_office_only=True),
        Reason.LEAD_BOOKER_ONLY,
    ),
    ("box office", OK.terms(box_office_only=True).by(channel=Channel.BOX_OFFICE), None),
    (
        "channel before basket",
        OK.terms(box_office_only=True).by(basket=Basket("GBP")),
        Reason.BOX_OFFICE_ONLY,
    ),
    (
        "minimum spend map without currency",
        OK.terms(minimum_spend={"EUR": 1}),
        Reason.CURRENCY_NOT_SUPPORTED,
    ),
    (
        "maximum discount map without currency",
        OK.terms(maximum_discount={"EUR": 1}),
        Reason.CURRENCY_NOT_SUPPORTED,
    ),
    (
        "currency before eligibility",
        OK.terms(minimum_spend={"EUR": 1}).by(basket=Basket("GBP")),
        Reason.CURRENCY_NOT_SUPPORTED,
    ),
    ("fixed in the basket currency", OK.terms(**FIXED_GBP), None),
    ("empty basket", OK.by(basket=Basket("GBP")), Reason.NO_ELIGIBLE_ITEMS),
    (
        "free items only",
        OK.by(basket=Basket("GBP", (BasketLine(ItemCategory.PRODUCT, "p", 3, 0),))),
        Reason.NO_ELIGIBLE_ITEMS,
    ),
    ("minimum spend reached exactly", OK.terms(minimum_spend={"GBP": 2000}), None),
    (
        "minimum spend on net",
        OK.terms(minimum_spend={"GBP": 2000}, apply_to_net_price=True).by(
            basket=Basket("GBP", (BasketLine(ItemCategory.PRODUCT, "p", 2, 1000, 900),))
        ),
        Reason.MINIMUM_SPEND_NOT_REACHED,
    ),
]


@pytest.mark.parametrize(
    ("case", "expected"), [row[1:] for row in ORDER], ids=[row[0] for row in ORDER]
)
def test_first_failing_condition(case: Case, expected: Reason | None) -> None:
    outcome = case.outcome()
    assert outcome.reason is expected
    assert outcome.valid == (expected is None) == (outcome.discount is not None)


def test_naive_attempt_time_is_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        OK.by(at=datetime(2025, 6, 1, 12)).outcome()


def test_public_reasons_never_reveal_hidden_states() -> None:
    hidden = {
        Reason.DELETED,
        Reason.DISABLED,
        Reason.NOT_YET_VALID,
        Reason.NOT_ASSIGNED_TO_CUSTOMER,
        Reason.AMBIGUOUS_CODE,
        Reason.CUSTOMER_LIMIT_REACHED,
        Reason.ALREADY_USED,
        Reason.ORDER_LIMIT_REACHED,
    }
    assert {public_reason(r) for r in Reason}.isdisjoint(hidden)


offsets = st.one_of(st.none(), st.integers(0, 30 * 24 * 3600).map(lambda s: timedelta(seconds=s)))


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[CodeFacts, Attempt, Usage]:
    """Codes live at T (windows are drawn around it) with any mix of other restrictions."""

    def mostly(default, strategy: st.SearchStrategy):
        # A restriction bites one time in four: enough valid scenarios, every mix still drawn.
        return draw(strategy) if draw(st.integers(0, 3)) == 0 else default

    def window() -> Window:
        before, after = draw(offsets), draw(offsets)
        start = T - before if before is not None else None
        return Window(start, T + after if after is not None else None)

    base = draw(discount_terms())
    terms = replace(
        base,
        amounts={**base.amounts, "GBP": draw(st.integers(1, 5000))} if base.amounts else {},
        maximum_discount=mostly({}, st.builds(dict, GBP=st.integers(1, 5000))),
        minimum_spend=mostly({}, st.builds(dict, GBP=st.integers(0, 5000))),
        eligible=mostly({}, eligibility),
        window=window(),
        max_uses=mostly(None, st.integers(1, 4)),
        max_uses_per_customer=mostly(None, st.integers(1, 4)),
        max_uses_per_order=mostly(None, st.integers(1, 4)),
        members_only=mostly(False, st.just(True)),
        lead_booker_only=mostly(False, st.just(True)),
    )
    facts = CodeFacts(
        terms=terms,
        windows=tuple(window() for _ in range(draw(st.integers(0, 3)))),
        single_use=mostly(False, st.just(True)),
        once_per_customer=mostly(False, st.just(True)),
        allocated_customer_id=mostly(None, st.just(MEMBER.id)),
    )
    attempt = Attempt(
        at=T,
        basket=draw(baskets(st.just("GBP"), paid=True)),
        customer=draw(st.sampled_from([MEMBER, MEMBER, CONTACT, None])),
        is_lead_booker=draw(st.booleans()),
        order_reference=draw(st.sampled_from(["o", None])),
    )
    usage = Usage(*(mostly(0, st.integers(0, 3)) for _ in range(5)))
    return facts, attempt, usage


@light
@given(scenarios(), st.data())
def test_valid_now_stays_valid_until_the_first_window_end(scenario, data) -> None:
    facts, attempt, usage = scenario
    now = evaluate(facts, attempt, usage)
    assume(now.valid)
    ends = [w.end for w in (facts.terms.window, *facts.windows) if w.end is not None]
    last = min(ends, default=T + timedelta(days=400))
    later = data.draw(
        st.datetimes(
            min_value=T.replace(tzinfo=None),
            max_value=last.replace(tzinfo=None),
            timezones=st.just(UTC),
        )
    )
    then = evaluate(facts, replace(attempt, at=later), usage)
    assert then.valid and then.discount == now.discount
    if ends:
        assert (
            evaluate(facts, replace(attempt, at=last + timedelta(microseconds=1)), usage).reason
            is Reason.EXPIRED
        )


@pytest.mark.slow
@given(scenarios(), st.sampled_from([0, None]), st.sampled_from([0, None]))
def test_cap_limits_decide_as_evaluate_does(scenario, zero_total, zero_order) -> None:
    """A redemption decides its counts under the lock by `cap_limits` (app.db.claim): with
    everything else met, the attempt passes exactly when every count is below its limit,
    caps of 0 included."""
    facts, attempt, usage = scenario
    terms = facts.terms
    terms = replace(
        terms,
        max_uses=terms.max_uses if zero_total is None else zero_total,
        max_uses_per_order=terms.max_uses_per_order if zero_order is None else zero_order,
    )
    facts = replace(facts, terms=terms)
    without_counts = evaluate(facts, attempt, Usage())
    passes = without_counts.valid and within(usage, cap_limits(facts, attempt))
    assert evaluate(facts, attempt, usage).valid is passes
