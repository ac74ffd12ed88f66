"""What the rules need to know about one attempt: which code it names, and that code's facts.

`find_place` reads the site and the customer (one statement); `look` finds the code and reads
its facts and its uses (usage counters, never a count of the ledger: app.db.usage_counters) in
one more statement (app.db.code_facts), without locks: a dry run, or a redemption's first
look (on PostgreSQL, its claim checks the first look under the lock instead of reading
again: `Gathered.first_look`, app.db.claim.claim_at_once); `look_all` does it for the several
codes of one order in that one statement. `relock` reads the owner, the code and the
assignment again under the row locks, so that a redemption in a transaction decides on rows no
other redemption can change before it commits (its counts are read by the claim itself:
app.db.claim); `relock_all` does it for several codes in one lock order. `find_code` is the
code lookup alone (usage statistics).

A caller who may not read the codes they try gets the same answer for a missing code and a
hidden one (deleted, disabled, not yet valid, someone else's), and must not be able to tell
them apart by the time it takes either (`CodeSearch.even`): every search runs the same one
statement, and a missing code has a stand-in evaluated (`_rehearse`).
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from app.db import code_facts, ledger, usage_counters
from app.db import tables as t
from app.db.claim import FirstLook
from app.db.handles import Handle, Record, Session
from app.db.tables import CATEGORY_FLAGS
from app.domain.amounts import Basket
from app.domain.calendar import resolve_bound, usage_period_bounds
from app.domain.codes import code_key
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
    a stand-in (`_rehearse`): one statement count whatever the code (measured before: a
    missing code 4.2 ms, a hidden one 5.5-5.8 ms). Callers who may read every type searched
    can list the codes anyway and keep the shorter path.
    """

    types: frozenset[str]
    even: bool = False


@dataclass(frozen=True)
class Found:
    """The code an attempt names, as first read: a coupon code or a discount code row."""

    type_name: str
    row: Any  # a coupon code or discount code row (or a `code_facts` row's code side)

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
    db: Handle, site_id: int, code: str, coupon_id: int | None, types: frozenset[str]
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

    Terms are made of these values alone and never change once made, so the last few made
    are kept by value (`_TERMS`): every check and redemption of a code builds the same
    Terms again from the same values, ~50 us of its server CPU (3-4 % of a redemption).
    """
    if isinstance(row, _Part):
        values = row.values(_TERMS_COLUMNS)
    else:
        values = tuple([getattr(row, name) for name in _TERMS_COLUMNS])
    split = len(values) - len(_PRICES)
    try:
        prices = tuple([_prices_key(price) for price in values[split:]])
        key = (values[:split], prices, tuple(items))
        known = _TERMS.get(key)
    except TypeError:  # a value that cannot be hashed (a price map holding a list)
        return _terms(row, items)
    if known is None:
        if len(_TERMS) >= _MAX_TERMS:
            _TERMS.clear()
        known = _TERMS[key] = _terms(row, items)
    return known


# The columns `_terms` reads, the price maps last: a key holds those as their items (a dict
# is not hashable).
_PRICES = ("amounts", "minimum_spend", "maximum_discount")
_TERMS_COLUMNS = (
    "kind", "percentage_bp", "apply_to_net_price", *CATEGORY_FLAGS.values(), "members_only",
    "contacts_only", "lead_booker_only", "box_office_only", "max_uses",
    "max_uses_per_customer", "max_uses_per_order", "usage_period", "valid_from", "valid_to",
    "expiration_unit", "expires_in", *_PRICES,
)  # fmt: skip
_TERMS: dict[tuple[object, ...], Terms] = {}
_MAX_TERMS = 256


def _prices_key(prices: Mapping[str, int] | None) -> tuple[tuple[str, int], ...] | None:
    return None if prices is None else tuple(prices.items())


def _terms(row: Record, items: list[tuple[ItemCategory, str]]) -> Terms:
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
    assignment: Any  # the customer's live assignment of the code (a row, or None)
    customer: CustomerFacts | None
    items: list[tuple[ItemCategory, str]]  # the owner's eligible item ids
    facts: CodeFacts
    attempt: Attempt
    usage: Usage
    use: usage_counters.Use  # the usage counters a redemption of this attempt moves

    def first_look(self) -> FirstLook:
        """What a redemption decides on of these rows, for the one-statement claim to check
        under the lock (app.db.claim.claim_at_once): still true, or the claim is stale."""
        owner, code, assignment = self.owner, self.code, self.assignment
        first = FirstLook(
            owner.updated_at, owner.deleted_at, owner.disabled_at, owner.max_uses,
            owner.max_uses_per_customer, owner.max_uses_per_order,
        )  # fmt: skip
        if self.found.is_coupon_code:
            first = replace(
                first, code_id=code.id, code_deleted_at=code.deleted_at,
                code_valid_from=code.valid_from, code_valid_to=code.valid_to,
                code_multi_use=bool(code.multi_use), code_customer_id=code.customer_id,
            )  # fmt: skip
        if assignment is not None:
            first = replace(
                first, customer_id=assignment.customer_id, assignment_id=assignment.id,
                assignment_valid_from=assignment.valid_from,
                assignment_expires_on=assignment.expires_on,
            )  # fmt: skip
        return first

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


@dataclass(frozen=True)
class CustomerFacts:
    """What the rules read of the attempt's customer."""

    id: int
    is_member: bool


@dataclass(frozen=True)
class Ahead:
    """What a check will search for, known before its site is read: its requests (one, or
    a set's: `many`) and the caller's search there (`CodeRights.before_site`). `find_place`
    then reads the codes' facts with the site, in its one statement."""

    requests: Sequence[CodeRequest]
    search: CodeSearch
    many: bool = False


@dataclass(frozen=True)
class _Looked:
    """The facts read with the place (`find_place` given an `Ahead`): what the search was
    worked out from (`_search`'s arguments but the dialect and the site: the zone, the
    customer, the requests, the search, `many`), the search, and its candidates' rows."""

    inputs: tuple[str, int | None, tuple[CodeRequest, ...], CodeSearch, bool]
    search: _Search
    rows: list[_Row]


@dataclass(frozen=True)
class Place:
    """Where and for whom an attempt is made, as `find_place` read them in one statement:
    the live site and, when the request names one, its customer (`customer_missing` when no
    live customer of the site's organisation has the id: a problem the caller raises once it
    has checked the caller's rights at the site); and the codes' facts when they were read
    with them (`looked`), which `look` takes when it would send that very search."""

    site: Record
    customer: CustomerFacts | None = None
    customer_missing: bool = False
    looked: _Looked | None = None

    def customer_or_problem(self) -> CustomerFacts | None:
        if self.customer_missing:
            message = "no customer of this site's organisation has this id"
            raise problem("input.customerId", ProblemCode.NOT_FOUND, message)
        return self.customer


# The time zone each site had when last read (a site's zone rarely changes): the usage
# periods' bucket keys, parameters of the facts' search, are worked out in it before the site
# is read (`find_place` with an `Ahead`). A site read in another zone has its facts read again.
_ZONES: dict[int, str] = {}
_MAX_ZONES = 10_000


async def find_place(
    db: Any,
    site_id: int,
    customer_id: int | None,
    path: str = "input.siteId",
    ahead: Ahead | None = None,
) -> Place:
    """The live site of a live organisation with the request's customer (one statement), or
    the problem NOT_FOUND at `path`. With `ahead`, the search's facts are read in that same
    statement (`code_facts.place_facts_statement`) once the site's zone is known."""
    shape = code_facts.PlaceShape(customer=customer_id is not None)
    params: dict[str, Any] = {"site_id": site_id}
    if customer_id is not None:
        params["customer_id"] = customer_id
    zone = None if ahead is None else _ZONES.get(site_id)
    search = None
    if ahead is not None and zone is not None:
        search = _search(_dialect(db), site_id, zone, customer_id, ahead.requests,
                         ahead.search, many=ahead.many)  # fmt: skip
    if search is None:
        rows = await code_facts.place_rows(db, shape, params)
    else:
        rows = await code_facts.place_facts_rows(
            db, shape, search.shape, {**params, **search.params}
        )
    if not rows:
        raise problem(path, ProblemCode.NOT_FOUND, "no site has this id")
    site = rows[0]
    if ahead is not None and zone != site.time_zone:
        if len(_ZONES) >= _MAX_ZONES:
            _ZONES.clear()
        _ZONES[site_id] = site.time_zone
    looked = None
    if ahead is not None and search is not None and zone == site.time_zone:
        width = code_facts.place_width(shape)
        inputs = (site.time_zone, customer_id, tuple(ahead.requests), ahead.search, ahead.many)
        looked = _Looked(inputs, search, _candidate_rows(rows, width))
    if customer_id is None:
        return Place(site, looked=looked)
    live = (
        site.customer_id is not None
        and site.customer_deleted_at is None
        and site.customer_organisation_id == site.organisation_id
    )
    if not live:
        return Place(site, None, customer_missing=True, looked=looked)
    return Place(
        site, CustomerFacts(site.customer_id, bool(site.customer_is_member)), looked=looked
    )


def _dialect(db: Any) -> str:
    name = getattr(db, "dialect_name", None)
    if name is not None:
        return str(name)
    return str(db.get_bind().dialect.name)


class _Row(dict[str, Any]):
    """A `code_facts` row as a dict read by attribute. A found code's row and the stand-in
    evaluated for a missing one (`_rehearse`) are both read as this, so that neither costs
    more to read than the other."""

    __slots__ = ()

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


class _Part:
    """One side of a `code_facts` row (the code's `code_*` columns, the owner's `owner_*`),
    read as a row of its own; names without the prefix are the row's own (has_assignments)."""

    __slots__ = ("_prefix", "_row")

    def __init__(self, row: _Row, prefix: str) -> None:
        self._row, self._prefix = row, prefix

    def __getattr__(self, name: str) -> Any:
        row, prefixed = self._row, self._prefix + name
        return row[prefixed] if prefixed in row else row[name]

    def values(self, names: tuple[str, ...]) -> tuple[Any, ...]:
        """The values of `names` (at least two), read as attributes are: in one C call when
        the row has them all with the prefix."""
        try:
            return _getter(self._prefix, names)(self._row)
        except KeyError:
            return tuple([getattr(self, name) for name in names])


@functools.cache
def _getter(prefix: str, names: tuple[str, ...]) -> Callable[[_Row], tuple[Any, ...]]:
    return operator.itemgetter(*(prefix + name for name in names))


@dataclass(frozen=True)
class _Assigned:
    """The customer's live assignment of a code, as `code_facts` reads it."""

    id: int
    customer_id: int
    valid_from: datetime | None
    expires_on: datetime | None
    deleted_at: datetime | None = None


def _buckets(
    at: date | datetime | None, time_zone: str
) -> tuple[datetime, dict[UsagePeriod, tuple[datetime, datetime] | None]]:
    """The attempt's instant and the bounds of each usage period containing it (None for a
    period too near the ends of the calendar: a problem only for an owner with that period)."""
    instant, _ = moment(at, time_zone, None, "input.at")
    bounds: dict[UsagePeriod, tuple[datetime, datetime] | None] = {}
    for period in code_facts.PERIODS:
        # Most checks fall in the period the previous one of the zone fell in: its bounds
        # are kept (working them out is most of a check's calendar time).
        known = _LAST_BOUNDS.get((time_zone, period))
        if known is not None and known[0] <= instant < known[1]:
            bounds[period] = known
            continue
        try:
            bounds[period] = _LAST_BOUNDS[(time_zone, period)] = usage_period_bounds(
                period, instant, time_zone
            )
        except (OverflowError, ValueError):
            bounds[period] = None
    return instant, bounds


# The bounds of the last usage period worked out for each zone and period (see `_buckets`);
# a zone's periods change only with its rules, which a process loads once.
_LAST_BOUNDS: dict[tuple[str, UsagePeriod], tuple[datetime, datetime]] = {}


def _bucket_params(
    bounds: dict[UsagePeriod, tuple[datetime, datetime] | None],
) -> Mapping[str, str | None]:
    """The facts' search's `bucket_*` parameters: the key of each period's bucket containing
    the attempt. Kept per set of bounds (most checks fall in the periods the previous one of
    the zone fell in, `_buckets`): formatting the four keys was ~2 % of a check's CPU."""
    return _bucket_keys(tuple(bounds.items()))


@functools.lru_cache(maxsize=1_000)
def _bucket_keys(
    bounds: tuple[tuple[UsagePeriod, tuple[datetime, datetime] | None], ...],
) -> Mapping[str, str | None]:
    return MappingProxyType(
        {
            f"bucket_{period.name}": (
                None if bound is None else usage_counters.bucket_key(period, bound[0])
            )
            for period, bound in bounds
        }
    )


def _choose(rows: list[_Row]) -> tuple[Found, _Row] | Reason:
    """The code the attempt names among the candidates (as `find_code` chooses)."""
    candidates = [
        (
            Found(
                COUPON_CODE if row.owner_type == "coupon" else DISCOUNT_CODE, _Part(row, "code_")
            ),
            row,
        )
        for row in rows
    ]
    live = [pair for pair in candidates if pair[0].deleted_at is None]
    if len(live) > 1:
        return Reason.AMBIGUOUS_CODE
    if live:
        return live[0]
    if candidates:
        return max(candidates, key=lambda pair: (pair[0].deleted_at, pair[0].row.id))
    return Reason.NOT_FOUND


@dataclass(frozen=True)
class _Search:
    """A search's statement shape and parameters, and the instant and usage periods they
    were worked out for."""

    shape: code_facts.FactsShape
    params: dict[str, Any]
    at: datetime
    bounds: dict[UsagePeriod, tuple[datetime, datetime] | None]


def _search(
    dialect: str,
    site_id: int,
    time_zone: str,
    customer_id: int | None,
    requests: Sequence[CodeRequest],
    search: CodeSearch,
    *,
    many: bool,
) -> _Search:
    """The facts' search for `requests` at a site in `time_zone`, for a live customer
    `customer_id` (None: none named, or none found)."""
    request, types = requests[0], search.types
    at, bounds = _buckets(request.at, time_zone)
    shape = code_facts.FactsShape(
        dialect=dialect,
        discount_codes=DISCOUNT_CODE in types,
        coupon_codes=COUPON_CODE in types,
        by_coupon=request.coupon_id is not None,
        customer=customer_id is not None,
        order=request.order_reference is not None,
        many=many,
        even=search.even,
    )
    params: dict[str, Any] = {"site_id": site_id}
    if many:
        keys = sorted({code_key(each.code) for each in requests})
        params["code_keys"] = code_facts.code_keys(dialect, keys)
    else:
        params["code_key"] = code_key(request.code)
    params.update(_bucket_params(bounds))
    if shape.by_coupon:
        params["coupon_id"] = request.coupon_id
    if customer_id is not None:
        params["customer_id"] = customer_id
        params["customer_key"] = usage_counters.customer_key(customer_id)
    if shape.order:
        params["order_reference"] = request.order_reference
    return _Search(shape, params, at, bounds)


def _candidate_rows(rows: Sequence[Record], offset: int = 0) -> list[_Row]:
    """The candidates among `code_facts` rows (their columns from `offset` on): the
    stand-ins (no code of a kind for a key) were read only to cost what a code does."""
    if not rows:
        return []
    keys = _keys(rows[0], offset)
    return [_Row(zip(keys, row[offset:], strict=True)) for row in rows if row.code_id is not None]


def _keys(row: Record, offset: int) -> tuple[str, ...]:
    """`row._fields[offset:]`, kept per result shape: the rows of a prepared read share their
    result's metadata (`_parent`), and SQLAlchemy builds `_fields` anew on every call (~1 % of
    a check's CPU)."""
    parent = getattr(row, "_parent", None)
    if parent is None:
        return tuple(row._fields[offset:])
    known = _KEYS.get((id(parent), offset))
    if known is not None and known[0] is parent:
        return known[1]
    keys = tuple(row._fields[offset:])
    if len(_KEYS) >= _MAX_KEYS:
        _KEYS.clear()
    _KEYS[(id(parent), offset)] = (parent, keys)
    return keys


# A result's metadata (kept alive here, so that its id is not reused) and its keys.
_KEYS: dict[tuple[int, int], tuple[object, tuple[str, ...]]] = {}
_MAX_KEYS = 64


async def look(
    db: Any, place: Place, request: CodeRequest, types: frozenset[str], *, even: bool = False
) -> Gathered | Reason:
    """The code `request` names among `types` at the place, with its facts, the attempt and
    its counts, read in one statement without locks (`code_facts.facts_statement`): a dry
    run's whole answer, and a redemption's first look (see `relock`); or why no code is
    found. Every found code has the same reads, whatever its terms need, and a missing one
    as well (the statement runs the same); `even` (`CodeSearch.even`): a missing code has a
    stand-in evaluated as well, which keeps the enumeration-safe view even."""
    return (await _look(db, place, [request], types, many=False, even=even))[0]


async def look_all(
    db: Any,
    place: Place,
    requests: Sequence[CodeRequest],
    types: frozenset[str],
    *,
    even: bool = False,
) -> list[Gathered | Reason]:
    """`look` for several codes sent for one order (`requests` alike but for the code, in
    the order sent), all read in the one statement: each answer is the one `look` gives for
    its code, with the owner's combination read too (app.services.combinations)."""
    return await _look(db, place, requests, types, many=True, even=even)


async def _look(
    db: Any,
    place: Place,
    requests: Sequence[CodeRequest],
    types: frozenset[str],
    *,
    many: bool,
    even: bool,
) -> list[Gathered | Reason]:
    site, customer = place.site, place.customer
    customer_id, wanted = None if customer is None else customer.id, CodeSearch(types, even)
    looked, rows = place.looked, None
    inputs = (site.time_zone, customer_id, tuple(requests), wanted, many)
    if looked is not None and looked.inputs == inputs:
        search, rows = looked.search, looked.rows  # read with the place: this very search
    else:
        search = _search(_dialect(db), site.id, site.time_zone, customer_id, requests, wanted,
                         many=many)  # fmt: skip
    at, bounds = search.at, search.bounds
    if code_facts.facts_statement(search.shape) is None:
        for each in requests if even else ():
            _rehearse(site, customer, each, at=at, bounds=bounds)
        return [Reason.NOT_FOUND for _ in requests]
    if rows is None:
        rows = _candidate_rows(await code_facts.facts_rows(db, search.shape, search.params))
    named: dict[str, list[_Row]] = {}
    for row in rows if many else ():
        named.setdefault(code_key(row.code_code), []).append(row)
    found: list[Gathered | Reason] = []
    for each in requests:
        candidates = named.get(code_key(each.code), []) if many else rows
        chosen = _choose(candidates)
        if isinstance(chosen, Reason):
            if even:
                _rehearse(site, customer, each, at=at, bounds=bounds)
            found.append(chosen)
        else:
            found.append(_gathered(site, customer, each, *chosen, at=at, bounds=bounds))
    return found


def _gathered(
    site: Record,
    customer: CustomerFacts | None,
    request: CodeRequest,
    found: Found,
    row: _Row,
    *,
    at: datetime,
    bounds: dict[UsagePeriod, tuple[datetime, datetime] | None],
) -> Gathered:
    """One candidate row of `code_facts.facts_statement`, chosen, as the rules read it."""
    owner, code = _Part(row, "owner_"), found.row
    assignment = None
    if customer is not None and found.restricted and row.assignment_id is not None:
        assignment = _Assigned(
            row.assignment_id, row.assignment_customer_id, row.assignment_valid_from,
            row.assignment_expires_on,
        )  # fmt: skip
    held = customer is not None and found.restricted and bool(row.held_any)
    items = [(ItemCategory(category), item_id) for category, item_id in row["items"] or ()]
    usage = Usage(
        int(row.total), int(row.by_customer), int(row.in_order), int(row.of_code),
        int(row.of_code_by_customer),
    )  # fmt: skip
    parts = (found, owner, code, assignment, held, customer, items)
    return _assemble(site, request, *parts, usage=usage, at=at, bounds=bounds)


STAND_IN = Found(DISCOUNT_CODE, ledger.STAND_IN_CODE)
_ASSIGNED = ("id", "customer_id", "valid_from", "expires_on")


def _stand_in_row() -> _Row:
    """The `code_facts` row of the stand-in (a deleted discount code that no row is: app.db
    .ledger.STAND_IN_CODE) as a search that found it would read it: no assignments, no
    eligible items, no uses."""
    code, values = ledger.STAND_IN_CODE, {}
    for name in code_facts.CODE:
        values[f"code_{name}"] = getattr(code, name, None)
    for name in (*code_facts.TERMS, *code_facts.COMBINATION):
        values[f"owner_{name}"] = getattr(code, name, None)
    values.update(owner_type="discount_code", owner_name=None, coupon_deleted_at=None)
    values.update(has_assignments=False, items=None, held_any=False)
    values.update({f"assignment_{name}": None for name in _ASSIGNED})
    values.update({name: 0 for name in code_facts.USES})
    return _Row(values)


_STAND_IN_ROW = _stand_in_row()


def _rehearse(
    site: Record,
    customer: CustomerFacts | None,
    request: CodeRequest,
    *,
    at: datetime,
    bounds: dict[UsagePeriod, tuple[datetime, datetime] | None],
) -> None:
    """What an even search does with a code it finds, done when it finds none: the stand-in's
    row chosen, read and evaluated as a found code's is (`_choose`, `_gathered`, the rules),
    and the outcome dropped. The reads were the same statement, which returns a stand-in row
    of its own for the missing code (app.db.code_facts)."""
    chosen = _choose([_Row(_STAND_IN_ROW)])
    assert not isinstance(chosen, Reason)
    gathered = _gathered(site, customer, request, *chosen, at=at, bounds=bounds)
    evaluate(gathered.facts, gathered.attempt, gathered.usage)


async def relock(db: Session, site: Record, first: Gathered, request: CodeRequest) -> Gathered:
    """`first` read again under the row locks (`relock_all` for one code)."""
    return (await relock_all(db, site, [(first, request)]))[0]


# The tables in the order every engine transaction locks their rows (`counters_of`).
_LOCK_ORDER = {t.COUPON.name: 0, t.DISCOUNT_CODE.name: 1, t.COUPON_CODE.name: 2}


async def relock_all(
    db: Session, site: Record, attempts: Sequence[tuple[Gathered, CodeRequest]]
) -> list[Gathered]:
    """Each first look of `attempts` read again under the row locks, all in one order: every
    owner (coupons, then discount codes, by id), then every coupon code (by id), then the
    customer's assignments of codes reserved for their holders, code by code in that order.
    Two transactions locking overlapping codes then queue instead of deadlocking, however
    many codes each holds (a basket of stacked codes, app.domain.stacking).

    The eligible items and whether a code has live assignments are kept from the first look:
    no cap depends on them (an assignment made in between is as if made just after this
    redemption). The counts are not read here: the claim reads them under the lock and
    decides on them (app.db.claim), so each `usage` is its first look's."""
    wanted: set[tuple[int, int, str]] = set()
    for first, _ in attempts:
        found = first.found
        if found.is_coupon_code:
            wanted.add((_LOCK_ORDER[t.COUPON.name], found.columns[2], t.COUPON.name))
            wanted.add((_LOCK_ORDER[t.COUPON_CODE.name], found.row.id, t.COUPON_CODE.name))
        else:
            wanted.add((_LOCK_ORDER[t.DISCOUNT_CODE.name], found.row.id, t.DISCOUNT_CODE.name))
    order = sorted(wanted)
    rows = await ledger.lock_rows(db, [(ledger.TABLES[name], db_id) for _, db_id, name in order])
    locked = {(name, db_id): row for (_, db_id, name), row in zip(order, rows, strict=True)}
    held_rows: dict[tuple[str, int], list[Record]] = {}
    for _, db_id, name in order:  # the codes' assignments, in the codes' lock order
        for first, _ in attempts:
            found, customer = first.found, first.customer
            if found.row.id != db_id or customer is None or not found.restricted:
                continue
            code_name = t.COUPON_CODE.name if found.is_coupon_code else t.DISCOUNT_CODE.name
            if code_name != name or (name, db_id) in held_rows:
                continue
            column = found.columns[1]
            held_rows[(name, db_id)] = await ledger.customer_assignments(
                db, column, db_id, customer.id, lock=True
            )
    again = []
    for first, request in attempts:
        found, customer = first.found, first.customer
        code_name = t.COUPON_CODE.name if found.is_coupon_code else t.DISCOUNT_CODE.name
        owner_name = t.COUPON.name if found.is_coupon_code else t.DISCOUNT_CODE.name
        owner = locked[(owner_name, found.columns[2])]
        code = locked[(code_name, found.row.id)]
        records = held_rows.get((code_name, found.row.id), [])
        assignment = next((row for row in records if row.deleted_at is None), None)
        parts = (found, owner, code, assignment, bool(records), customer, first.items)
        again.append(_assemble(site, request, *parts, usage=first.usage))
    return again


def _assemble(
    site: Record,
    request: CodeRequest,
    found: Found,
    owner: Any,
    code: Any,
    assignment: Any,
    held: bool,
    customer: CustomerFacts | None,
    items: list[tuple[ItemCategory, str]],
    usage: Usage,
    *,
    at: datetime | None = None,
    bounds: dict[UsagePeriod, tuple[datetime, datetime] | None] | None = None,
) -> Gathered:
    """Turns the rows into the rules' facts and attempt; `held`: the customer holds an
    assignment of the code, deleted or not."""
    owner_column, _, owner_id = found.columns
    terms = terms_from_row(owner, items)
    period = None
    if at is None or bounds is None:
        at, period = moment(request.at, site.time_zone, terms.usage_period, "input.at")
    elif terms.usage_period is not None:
        period = bounds[terms.usage_period]
        if period is None:
            moment(request.at, site.time_zone, terms.usage_period, "input.at")  # raises
    bucket = None
    if terms.usage_period is not None and period is not None:
        bucket = usage_counters.bucket_key(terms.usage_period, period[0])
    use = usage_counters.Use(
        owner_column, owner_id, code.id, None if customer is None else customer.id, bucket
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
        or (found.restricted and assignment is None and held),
        disabled=owner.disabled_at is not None,
        single_use=coupon_code and not code.multi_use,
        once_per_customer=coupon_code and bool(code.multi_use),
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
