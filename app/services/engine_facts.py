"""What the rules need to know about one attempt: which code it names, and that code's facts.

`find_code` picks the code; `gather` reads its facts and its uses (usage counters, never a
count of the ledger: app.db.usage_counters) without locks (a dry
run, or a redemption's first look); `regather` reads them again under the row locks, so that a
redemption decides on rows no other redemption can change before it commits.

A caller who may not read the codes they try gets the same answer for a missing code and a
hidden one (deleted, disabled, not yet valid, someone else's), and must not be able to tell
them apart by the time it takes either (`CodeSearch.even`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from app.db import ledger, usage_counters
from app.db import tables as t
from app.db.eligible_items import eligible_items
from app.db.handles import Record
from app.db.tables import CATEGORY_FLAGS
from app.domain.amounts import Basket
from app.domain.calendar import resolve_bound, usage_period_bounds
from app.domain.enums import ItemCategory, Reason, UsagePeriod
from app.domain.rules import Attempt, CodeFacts, Customer, Usage, evaluate
from app.domain.terms import Terms
from app.domain.windows import Window
from app.services.engine_request import CodeRequest
from app.services.problems import ProblemCode, problem

COUPON_CODE, DISCOUNT_CODE = "CouponCode", "DiscountCode"
CODE_TYPES = (COUPON_CODE, DISCOUNT_CODE)


@dataclass(frozen=True)
class CodeSearch:
    """The code types searched for a caller, and whether every answer must cost the same.

    `even` is for callers who get the enumeration-safe view of a type searched: every code
    found has its owner, eligible items, the customer's assignments and its uses read,
    whatever its terms need, and when none is found the same reads are made and evaluated for
    a stand-in (`rehearse`): one statement count whatever the code (measured before: a
    missing code 4.2 ms, a hidden one 5.5-5.8 ms). Callers who may read every type searched
    can list the codes anyway and keep the shorter path.
    """

    types: frozenset[str]
    even: bool = False


@dataclass(frozen=True)
class Found:
    """The code an attempt names, as first read: a coupon code or a discount code row."""

    type_name: str
    row: Record

    @property
    def is_coupon_code(self) -> bool:
        return self.type_name == COUPON_CODE

    @property
    def deleted_at(self) -> datetime | None:
        """When it stopped being live: its own deletion or its coupon's, whichever is later."""
        stamps = [self.row.deleted_at]
        if self.is_coupon_code:
            stamps.append(self.row.coupon_deleted_at)
        present = [s for s in stamps if s is not None]
        return max(present) if present else None

    @property
    def restricted(self) -> bool:
        """The code has live assignments: only their holders may use it."""
        return bool(self.row.has_assignments)

    @property
    def columns(self) -> tuple[str, str, int]:
        """(owner column, code column, owner id) as the ledger names them."""
        if self.is_coupon_code:
            return "coupon_id", "coupon_code_id", self.row.coupon_id
        return "discount_code_id", "discount_code_id", self.row.id


async def find_code(
    db: Any, site_id: int, code: str, coupon_id: int | None, types: frozenset[str]
) -> Found | Reason:
    """The one code of the site spelt `code` (any case) among `types`, or why there is none.

    Deleted codes are looked at too, so that a deleted code answers DELETED, not NOT_FOUND;
    they count only when no live one matches. Two live matches (codes are unique per coupon,
    not per site) are AMBIGUOUS_CODE unless `coupon_id` narrows the search to one coupon,
    which also leaves discount codes out. Types the caller may not use are not searched at
    all, so a code hidden from the caller and a missing code give the same answer.
    """
    candidates = []
    if DISCOUNT_CODE in types and coupon_id is None:
        rows = await ledger.discount_codes_by_key(db, site_id, code)
        candidates += [Found(DISCOUNT_CODE, row) for row in rows]
    if COUPON_CODE in types:
        rows = await ledger.coupon_codes_by_key(db, site_id, code, coupon_id)
        candidates += [Found(COUPON_CODE, row) for row in rows]
    live = [found for found in candidates if found.deleted_at is None]
    if len(live) > 1:
        return Reason.AMBIGUOUS_CODE
    if live:
        return live[0]
    if candidates:
        return max(candidates, key=lambda found: (found.deleted_at, found.row.id))
    return Reason.NOT_FOUND


def terms_from_row(row: Record, items: list[tuple[ItemCategory, str]]) -> Terms:
    """The domain Terms of a coupon or discount code row and its eligible item rows.

    A category counts when its flag is set; ids stored for an unflagged category are ignored
    (the write API keeps none), and a flagged category without ids means all of its items.
    """
    eligible: dict[ItemCategory, set[str]] = {
        category: set() for category, flag in CATEGORY_FLAGS.items() if getattr(row, flag)
    }
    for category, item_id in items:
        if category in eligible:
            eligible[category].add(item_id)
    bp = row.percentage_bp
    return Terms(
        kind=row.kind,
        # Basis points to an exact two-decimal percentage: 1250 -> Decimal("12.50").
        percentage=None if bp is None else Decimal(bp).scaleb(-2),
        amounts=row.amounts or {},
        minimum_spend=row.minimum_spend or {},
        maximum_discount=row.maximum_discount or {},
        apply_to_net_price=row.apply_to_net_price,
        eligible={category: frozenset(ids) for category, ids in eligible.items()},
        members_only=row.members_only,
        contacts_only=row.contacts_only,
        lead_booker_only=row.lead_booker_only,
        box_office_only=row.box_office_only,
        max_uses=row.max_uses,
        max_uses_per_customer=row.max_uses_per_customer,
        max_uses_per_order=row.max_uses_per_order,
        usage_period=row.usage_period,
        window=Window(row.valid_from, row.valid_to),
        expiration_unit=row.expiration_unit,
        expires_in=row.expires_in,
    )


def moment(
    at: date | datetime | None, time_zone: str, period: UsagePeriod | None, path: str
) -> tuple[datetime, tuple[datetime, datetime] | None]:
    """The attempt's instant in UTC (now when not given; a date is the start of that local
    day, a naive time is site-local) and the usage period containing it, if any; an instant
    too near the ends of the calendar to convert is OUT_OF_RANGE at `path`."""
    try:
        instant = datetime.now(UTC)
        if at is not None:
            instant = resolve_bound(at, time_zone, end=False)
        bounds = None if period is None else usage_period_bounds(period, instant, time_zone)
    except (OverflowError, ValueError):
        message = "the time is too close to the ends of the calendar"
        raise problem(path, ProblemCode.OUT_OF_RANGE, message) from None
    return instant, bounds


@dataclass(frozen=True)
class Gathered:
    """Everything one evaluation uses, and the rows a redemption must count against."""

    found: Found
    code: Record  # the coupon code, or the discount code
    owner: Record  # the row carrying the Terms: the coupon, or the discount code itself
    assignment: Record | None  # the customer's live assignment of the code
    customer: Record | None
    items: list[tuple[ItemCategory, str]]  # the owner's eligible item ids
    facts: CodeFacts
    attempt: Attempt
    usage: Usage
    use: usage_counters.Use  # the usage counters a redemption of this attempt moves

    def counters(self) -> list[ledger.Counter]:
        """The rows whose `times_used` a use of the code moves, in lock order."""
        return counters_of(
            coupon_id=self.owner.id if self.found.is_coupon_code else None,
            coupon_code_id=self.code.id if self.found.is_coupon_code else None,
            discount_code_id=None if self.found.is_coupon_code else self.code.id,
            assignment_id=None if self.assignment is None else self.assignment.id,
        )


def counters_of(
    *,
    coupon_id: int | None,
    coupon_code_id: int | None,
    discount_code_id: int | None,
    assignment_id: int | None,
) -> list[ledger.Counter]:
    """The counted rows in the one order every engine transaction locks them in: the row
    carrying the caps (coupon or discount code), then the coupon code, then the assignment.
    Taking the owner first means two transactions on one code never wait on each other in
    opposite orders, so they queue instead of deadlocking."""
    pairs = [
        (t.COUPON, coupon_id),
        (t.DISCOUNT_CODE, discount_code_id),
        (t.COUPON_CODE, coupon_code_id),
        (t.ASSIGNMENT, assignment_id),
    ]
    return [(table, db_id) for table, db_id in pairs if db_id is not None]


async def gather(
    db: Any,
    site: Record,
    found: Found,
    request: CodeRequest,
    customer: Record | None,
    *,
    even: bool = False,
) -> Gathered:
    """The facts, the attempt and the counts, read without locks: a dry run's whole answer,
    and a redemption's first look (see `regather`). `even` makes every read whether or not
    the code needs it (see `CodeSearch`)."""
    owner_column, code_column, owner_id = found.columns
    owner = code = found.row
    if found.is_coupon_code:
        owner = await ledger.row_by_id(db, t.COUPON, owner_id)
    elif even:  # as a coupon code's coupon is read; the stand-in has no row to read
        owner = await ledger.row_by_id(db, t.DISCOUNT_CODE, owner_id) or code
    items = []
    # Item ids only narrow flagged categories; terms without any apply to every item.
    if even or any(getattr(owner, flag) for flag in CATEGORY_FLAGS.values()):
        items = await eligible_items(db, owner_column, owner_id)
    held = []
    # Assignments matter only for codes that have live ones; most codes have none.
    if customer is not None and (even or found.restricted):
        held = await ledger.customer_assignments(db, code_column, found.row.id, customer.id)
        held = held if found.restricted else []
    parts = (found, owner, code, held, customer, items)
    return await _assemble(db, site, request, *parts)  # type: ignore[arg-type]


STAND_IN = Found(DISCOUNT_CODE, ledger.STAND_IN_CODE)


async def rehearse(db: Any, site: Record, request: CodeRequest, customer: Record | None) -> None:
    """What an even search does for a code it finds, done when it finds none: the reads and
    the evaluation of a stand-in (a deleted discount code that no row is), whose outcome is
    dropped."""
    gathered = await gather(db, site, STAND_IN, request, customer, even=True)
    evaluate(gathered.facts, gathered.attempt, gathered.usage)


async def regather(db: Any, site: Record, first: Gathered, request: CodeRequest) -> Gathered:
    """`first` read again under the row locks, in `counters_of` order: the owner, the code,
    then the customer's assignments. The eligible items and whether the code has live
    assignments are kept from `first`: no cap depends on them (an assignment made in between
    is as if made just after this redemption)."""
    found, customer = first.found, first.customer
    owner_column, code_column, owner_id = found.columns
    rows = [(t.DISCOUNT_CODE, found.row.id)]
    if found.is_coupon_code:
        rows = [(t.COUPON, owner_id), (t.COUPON_CODE, found.row.id)]
    locked = await ledger.lock_rows(db, rows)
    held = []
    if customer is not None and found.restricted:
        held = await ledger.customer_assignments(
            db, code_column, found.row.id, customer.id, lock=True
        )
    parts = (found, locked[0], locked[-1], held, customer, first.items)
    return await _assemble(db, site, request, *parts)


async def _assemble(
    db: Any,
    site: Record,
    request: CodeRequest,
    found: Found,
    owner: Record,
    code: Record,
    held: list[Record],
    customer: Record | None,
    items: list[tuple[ItemCategory, str]],
) -> Gathered:
    """Counts the uses and turns the rows into the rules' facts and attempt."""
    owner_column, code_column, owner_id = found.columns
    assignment = next((row for row in held if row.deleted_at is None), None)
    terms = terms_from_row(owner, items)
    at, period = moment(request.at, site.time_zone, terms.usage_period, "input.at")
    bucket = None
    if terms.usage_period is not None and period is not None:
        bucket = usage_counters.bucket_key(terms.usage_period, period[0])
    use = usage_counters.Use(
        owner_column, owner_id, code.id, None if customer is None else customer.id, bucket
    )
    usage = await usage_counters.read_usage(
        db,
        owner_column,
        owner_id=owner_id,
        code_id=code.id,
        customer_id=use.customer_id,
        order_reference=request.order_reference,
        bucket=bucket,
    )
    coupon_code = found.is_coupon_code
    windows = [Window(code.valid_from, code.valid_to)] if coupon_code else []
    holders: frozenset[str] = frozenset()
    if assignment is not None:
        windows.append(Window(assignment.valid_from, assignment.expires_on))
        holders = frozenset({str(assignment.customer_id)})
    facts = CodeFacts(
        terms=terms,
        windows=tuple(windows),
        # A customer whose assignment of a code reserved for assignees was deleted has had it
        # taken away: DELETED. Were the code open to all, the deleted assignment is moot.
        deleted=code.deleted_at is not None
        or owner.deleted_at is not None
        or (found.restricted and assignment is None and bool(held)),
        disabled=owner.disabled_at is not None,
        single_use=coupon_code and not code.multi_use,
        once_per_customer=coupon_code and code.multi_use,
        allocated_customer_id=(
            str(code.customer_id) if coupon_code and code.customer_id is not None else None
        ),
        assignees_only=found.restricted,
        assigned_customer_ids=holders,
    )
    attempt = Attempt(
        at=at,
        basket=Basket(request.currency, request.lines),
        customer=None if customer is None else Customer(str(customer.id), customer.is_member),
        is_lead_booker=request.is_lead_booker,
        channel=request.channel,
        order_reference=request.order_reference,
    )
    return Gathered(found, code, owner, assignment, customer, items, facts, attempt, usage, use)
