"""The engine's use cases: check a code (a dry run), redeem it, void a redemption, usage stats.

On PostgreSQL a redemption is two statements sent in autocommit, with no BEGIN or COMMIT
(`_redeem_at_once`), on the request's own reads when the API gives them (`Redeemer.reads`:
no write session is opened, app.db.claim.at_once_on): the first look (the site, the customer and the code's facts in one
statement: app.db.code_facts), which a refusal ends without a lock; then one claim
(app.db.claim.claim_at_once) that locks the owner, the coupon code and the customer's
assignments, checks that what the first look decided on is unchanged, reads the counts under
the lock, inserts and moves the counters when the caps allow, and commits as it ends. Why:
the lock was held across three round trips and across Python work on an event loop shared by
every request of the process, so a hot code's throughput was bounded by how long Python held
it (one hot code: 17 % of pgbench's floor, 200 codes 7 %, 8 connections, issue 16; see
docs/performance.md for the figures after). The claim's own snapshot predates its wait for
the lock; its counts are read by a function (migration 0010) whose statements take theirs
after the lock, or a use committed meanwhile on a new counter would be missed. When the first
look is stale (the owner's terms, the code or the assignment changed), nothing is written and
the redemption is made as follows, in one transaction.

The transaction path (SQLite's, and PostgreSQL's when the first look was stale) first
evaluates the attempt on the committed rows, as a dry run does; a refusal ends there, without
a lock. An attempt that passes is decided again under row locks: the rows the caps live on are locked
(the coupon or discount code, then the coupon code, then the customer's assignments: always
that order) and read again, the rules run once more on them, and the claim (app.db.claim)
reads the usage counters under the lock (a few rows by key, whatever the length of the
ledger) and, only when each is below the limit the rules give it (`cap_limits`), inserts the
Redemption and moves every counter it counts against: on PostgreSQL in one statement, whose
ON CONFLICT on the idempotency key answers a key already taken without an extra round trip,
and whose counts say which cap refused when one is full. Every redemption and void of one
code queues on the first of those locks, so the count it decides on cannot change before it
commits: caps hold with any number of server processes. On SQLite the transaction begins
IMMEDIATE, which serialises all writers: the first look is already current, and decides.

Redeeming and voiding each open their one transaction (app.services.records.transaction, as
every use case does) and take the caller's rights as data (app.services.code_rights), computed
from the token before they run and evaluated at the site once it is read in the transaction.
Callers are described by the code types they may use at the site (`CodeSearch`): codes of
other types are not even searched for, which is what makes a hidden code look like a missing
one; a caller with the enumeration-safe view gets an even search, whose every answer costs the
same work.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from app.auth.roles import Action
from app.clock import utcnow
from app.db import ledger, sites, usage_counters
from app.db import tables as t
from app.db.claim import Claimed, at_once_on, claim, claim_at_once, writes_events
from app.db.eligible_items import eligible_items
from app.db.errors import UniqueViolation
from app.db.handles import Handle, Record, Session, Sessions
from app.db.row_statements import update_row
from app.domain.amounts import BasketLine, Discount, is_eligible
from app.domain.enums import ItemCategory, Reason, UsagePeriod
from app.domain.rules import Outcome, Usage, cap_limits, evaluate
from app.services.code_rights import CodeRights, SiteRights, void_roles
from app.services.engine_facts import (
    Ahead,
    CodeSearch,
    Found,
    Gathered,
    Place,
    counters_of,
    find_code,
    find_place,
    look,
    moment,
    relock,
    terms_from_row,
)
from app.services.engine_request import CodeRequest
from app.services.problems import NotPermitted, ProblemCode, Problems, TooManyGuesses, problem
from app.services.records import transaction


@dataclass(frozen=True)
class Check:
    """The verdict on one attempt, with what it was based on (None when no code was found)."""

    outcome: Outcome
    gathered: Gathered | None = None

    @property
    def type_name(self) -> str | None:
        return None if self.gathered is None else self.gathered.found.type_name


@dataclass(frozen=True)
class Redeemed:
    """A redemption's answer: `check` is None when an earlier request with the same key is
    answered again (`replayed`), `redemption` None when the rules refused. `rights` are the
    caller's at the site, which say how much of the answer they may see."""

    check: Check | None
    redemption: Record | None
    rights: SiteRights
    replayed: bool = False


def _evaluated(gathered: Gathered) -> Check:
    return Check(evaluate(gathered.facts, gathered.attempt, gathered.usage), gathered)


async def check_code(db: Handle, place: Place, request: CodeRequest, search: CodeSearch) -> Check:
    """Evaluates the attempt on what is committed now; writes and locks nothing. One
    statement (app.db.code_facts), whatever the code and the caller."""
    place.customer_or_problem()
    found = await look(db, place, request, search.types, even=search.even)
    if isinstance(found, Reason):
        return Check(Outcome(found))
    return _evaluated(found)


def _replay(existing: Record, request: CodeRequest, rights: SiteRights) -> Redeemed:
    if existing.request_fingerprint != request.fingerprint():
        message = "this idempotency key was already used at this site for a different request"
        raise problem("input.idempotencyKey", ProblemCode.IDEMPOTENCY_KEY_REUSED, message)
    return Redeemed(None, existing, rights, replayed=True)


async def _answer_refusal(
    session: Handle, site: Record, request: CodeRequest, check: Check, rights: SiteRights
) -> Redeemed:
    # Only after the deciding reads is the key looked up: a retry of an earlier redemption,
    # or a duplicate that committed meanwhile (its use may be what refused us), must be
    # answered with that redemption, not with a fresh verdict.
    existing = await ledger.redemption_by_key(session, site.id, request.idempotency_key or "")
    if existing is not None:
        return _replay(existing, request, rights)
    return Redeemed(check, None, rights)


async def _first_look(
    session: Handle, place: Place, request: CodeRequest, search: CodeSearch, rights: SiteRights
) -> Check | Redeemed:
    """The attempt evaluated on committed rows, without locks: a refusal read there is a true
    answer as of that read, so refusals (most of a storm on a used-up code) never queue on
    the locks and are answered here (`Redeemed`); a `Check` that passed goes on to claim."""
    try:
        check = await check_code(session, place, request, search)
    except Problems:
        # The request's customer is gone; an earlier redemption under the key still answers.
        existing = await ledger.redemption_by_key(
            session, place.site.id, request.idempotency_key or ""
        )
        if existing is None:
            raise
        return _replay(existing, request, rights)
    if check.gathered is None or not check.outcome.valid:
        return await _answer_refusal(session, place.site, request, check, rights)
    return check


async def _answer_claim(
    session: Handle,
    site: Record,
    request: CodeRequest,
    gathered: Gathered,
    discount: Discount,
    claimed: Claimed,
    rights: SiteRights,
) -> Redeemed:
    """What a claim that was not stale answers: the redemption, the refusal of a cap found
    full under the lock, or the redemption that holds the key."""
    counted = replace(gathered, usage=claimed.usage)
    if claimed.refused:
        # A cap found full under the lock: the claim's counts say which.
        return await _answer_refusal(session, site, request, _evaluated(counted), rights)
    if claimed.row is None:
        # The key was taken: by a retry of an earlier redemption, or by a duplicate that
        # committed while we waited for the lock. Its redemption is the answer.
        existing = await ledger.redemption_by_key(session, site.id, request.idempotency_key or "")
        assert existing is not None, "ON CONFLICT found the key, so its row is committed"
        return _replay(existing, request, rights)
    return Redeemed(Check(Outcome(None, discount), counted), claimed.row, rights)


async def _redeem(
    session: Session,
    place: Place,
    request: CodeRequest,
    search: CodeSearch,
    by: str,
    rights: SiteRights,
) -> Redeemed:
    """The transaction path (SQLite's; PostgreSQL's when `_redeem_at_once` found its first
    look stale). A first look on committed rows; then, on PostgreSQL, the owner's lock, the
    rows read again under it, and the claim, which reads the counts under the lock and writes only
    when the caps allow (SQLite's transaction holds the writer lock from its BEGIN: the
    first look is already current, and decides)."""
    site, key = place.site, request.idempotency_key or ""
    check = await _first_look(session, place, request, search, rights)
    if isinstance(check, Redeemed):
        return check
    first = check.gathered
    assert first is not None, "a check that passed has its facts"
    # Row locks are PostgreSQL's; SQLite's writer lock is held since BEGIN.
    locking = usage_counters.dialect_name(session) == "postgresql"
    gathered = await relock(session, site, first, request) if locking else first
    # Everything but the counts, which the claim reads under the lock (`cap_limits`).
    verdict = evaluate(gathered.facts, gathered.attempt, Usage() if locking else gathered.usage)
    if not verdict.valid or verdict.discount is None:
        usage = await usage_counters.read_usage(
            session, gathered.use.owner_column, owner_id=gathered.use.owner_id,
            code_id=gathered.use.code_id, customer_id=gathered.use.customer_id,
            order_reference=request.order_reference, bucket=gathered.use.bucket,
        )  # fmt: skip
        refused = replace(gathered, usage=usage)
        return await _answer_refusal(session, site, request, _evaluated(refused), rights)
    discount = verdict.discount
    values = ledger_values(site, request, gathered, discount, key, request.fingerprint(), by)
    limits = cap_limits(gathered.facts, gathered.attempt)
    claimed = await claim(
        session, values, gathered.counters(), gathered.use, limits, gathered.usage
    )
    return await _answer_claim(session, site, request, gathered, discount, claimed, rights)


async def _redeem_at_once(
    session: Handle,
    place: Place,
    request: CodeRequest,
    search: CodeSearch,
    redeemer: Redeemer,
    rights: SiteRights,
    with_event: bool,
) -> Redeemed | None:
    """PostgreSQL's redemption in two statements sent in autocommit: the first look, then
    the claim (app.db.claim.claim_at_once), which locks, checks that the rows the first look
    decided on are unchanged, reads the counts under the lock, decides and writes, and
    commits as it ends. No lock is held across a round trip or while Python runs. None when
    the claim found the first look stale: nothing was written, and the caller redeems in a
    transaction as `_redeem` does."""
    site, key = place.site, request.idempotency_key or ""
    check = await _first_look(session, place, request, search, rights)
    if isinstance(check, Redeemed):
        return check
    first, discount = check.gathered, check.outcome.discount
    assert first is not None and discount is not None, "a check that passed has a discount"
    values = ledger_values(site, request, first, discount, key, request.fingerprint(), redeemer.by)
    limits = cap_limits(first.facts, first.attempt)
    claimed = await claim_at_once(
        session, values, first.counters(), first.use, limits, first.first_look(), with_event
    )
    if claimed.stale:
        return None
    return await _answer_claim(session, site, request, first, discount, claimed, rights)


def ledger_values(
    site: Record,
    request: CodeRequest,
    gathered: Gathered,
    discount: Discount,
    key: str,
    fingerprint: str,
    by: str,
) -> dict[str, Any]:
    """The ledger row of a redemption of `gathered` (one code's, or one of a set's, stored
    under `key` with the `fingerprint` of the whole request)."""
    now = utcnow()
    coupon_code = gathered.found.is_coupon_code
    return {
        "unique_id": uuid.uuid4(),
        "created_at": now,
        "updated_at": now,
        "updated_by": by,
        "site_id": site.id,
        "organisation_id": site.organisation_id,
        "discount_code_id": None if coupon_code else gathered.code.id,
        "coupon_code_id": gathered.code.id if coupon_code else None,
        "coupon_id": gathered.owner.id if coupon_code else None,
        "assignment_id": None if gathered.assignment is None else gathered.assignment.id,
        "customer_id": request.customer_id,
        "order_reference": request.order_reference,
        "channel": request.channel,
        "is_lead_booker": request.is_lead_booker,
        "amount": discount.total,
        "currency": request.currency,
        "line_amounts": list(discount.lines),
        "redeemed_at": gathered.attempt.at,
        "idempotency_key": key,
        "request_fingerprint": fingerprint,
    }


async def find_site(db: Handle, site_id: int, path: str = "input.siteId") -> Record:
    """The live site of a live organisation, or the problem NOT_FOUND at `path`."""
    site = await sites.live_site(db, site_id)
    if site is None:
        raise problem(path, ProblemCode.NOT_FOUND, "no site has this id")
    return site


def _check_dated(at: datetime | None, site: Record, rights: CodeRights) -> None:
    """A redemption happens now. Dating one (`at`) records a use made earlier, which only an
    import may do: otherwise a checkout could redeem a code whose window has closed, or use a
    once-a-day code several times a day by dating the uses into other days. And no use is
    ever recorded ahead of time."""
    if at is None:
        return
    if not rights.may_date(site):
        message = (
            "leave at out: a redemption happens now; only administrators and the"
            " Redemption-Create role (imports of past uses) may date one"
        )
        raise problem("input.at", ProblemCode.FORBIDDEN, message)
    instant, _ = moment(at, site.time_zone, None, "input.at")
    if instant > utcnow():
        raise problem("input.at", ProblemCode.OUT_OF_RANGE, "a redemption cannot be dated ahead")


@dataclass(frozen=True)
class Redeemer:
    """Who redeems, as data the API computes before the use case runs."""

    rights: CodeRights
    by: str  # recorded as updatedBy
    # The failed-lookup brake's answer, asked before the transaction (it may be a Redis round
    # trip, and the transaction holds locks): seconds until the caller may fail another
    # lookup, None when they may now. It holds only where they get the enumeration-safe view.
    retry_after: float | None = None
    # The request's reads: on PostgreSQL in autocommit (app.db.claim.at_once_on), the
    # two-statement redemption is sent on them rather than on a write session of its own.
    reads: Handle | None = None

    def rights_at(self, site: Record, at: datetime | None) -> SiteRights:
        """The rights at the site of a redemption (of one code or a set) dated `at`: a
        problem at input.at when they may not date it so (`_check_dated`)."""
        rights = self.rights.at(site, Action.REDEEM)
        if self.retry_after is not None and not rights.reads_every_type:
            raise TooManyGuesses(self.retry_after)
        _check_dated(at, site, self.rights)
        return rights

    def ahead(
        self, site_id: int, requests: Sequence[CodeRequest], *, many: bool = False
    ) -> Ahead | None:
        """What a redemption of `requests` at the site `site_id` will search for, when that
        is known before the site is read (engine_facts.find_place reads both at once); not
        for a caller the brake holds back."""
        known = self.rights.before_site(site_id, Action.REDEEM)
        if known is None or self.retry_after is not None:
            return None
        return Ahead(requests, known.search(known.redeemable), many)


async def redeem(sessions: Sessions, request: CodeRequest, redeemer: Redeemer) -> Redeemed:
    """Redeems (on PostgreSQL in two statements in autocommit, `_redeem_at_once`; in one
    transaction when its first look went stale, and on SQLite), or answers the earlier
    redemption made with the same key.

    The caller's rights at the request's site (`redeemer.rights`) decide which code types
    are searched (`NotPermitted` when they may redeem none there) and whether they may record
    a past use (`request.at`). Two requests with one key for different codes take different
    locks; the unique index on (site, key) lets only one insert, and the other, rolled back,
    answers the winner's row.
    """
    key = request.idempotency_key
    assert key is not None, "build_request(redeeming=True) requires the key"
    rights = SiteRights(frozenset(), frozenset())
    try:
        reads = redeemer.reads
        if reads is not None and at_once_on(reads):
            place, rights, search = await _where(reads, request, redeemer)
            done = await _redeem_at_once(
                reads, place, request, search, redeemer, rights, writes_events(sessions)
            )
            if done is not None:
                return done
        elif _may_be_postgresql(sessions):
            async with sessions() as session:
                # PostgreSQL: first in autocommit (`_redeem_at_once`); SQLite's transaction
                # takes the writer lock at BEGIN and keeps the transaction path.
                if usage_counters.dialect_name(session) == "postgresql":
                    await session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
                    place, rights, search = await _where(session, request, redeemer)
                    done = await _redeem_at_once(
                        session, place, request, search, redeemer, rights,
                        writes_events(sessions),
                    )  # fmt: skip
                    if done is not None:
                        return done
        async with transaction(sessions) as session:
            place, rights, search = await _where(session, request, redeemer)
            return await _redeem(session, place, request, search, redeemer.by, rights)
    except UniqueViolation:
        async with transaction(sessions) as session:
            existing = await ledger.redemption_by_key(session, request.site_id, key)
        if existing is None:
            raise
        return _replay(existing, request, rights)


def _may_be_postgresql(sessions: Sessions) -> bool:
    """Whether the write sessions may be PostgreSQL's (SQLite's go straight to the
    transaction path, without a session opened first only to ask)."""
    bind = sessions.kw.get("bind")
    return bind is None or bind.dialect.name == "postgresql"


async def _where(
    session: Handle, request: CodeRequest, redeemer: Redeemer
) -> tuple[Place, SiteRights, CodeSearch]:
    """The request's site and customer, the caller's rights there and the codes it may redeem."""
    ahead = redeemer.ahead(request.site_id, (request,))
    place = await find_place(session, request.site_id, request.customer_id, ahead=ahead)
    rights = redeemer.rights_at(place.site, request.at)
    return place, rights, rights.search(rights.redeemable)


def missing_redemption() -> Problems:
    """The answer to voiding an id that names no redemption, and one the caller may not see."""
    return problem("id", ProblemCode.NOT_FOUND, "no redemption has this id")


async def void(sessions: Sessions, redemption_id: int, rights: CodeRights, by: str) -> Record:
    """Voids a redemption and gives its use back to every counter it moved; voiding a voided
    redemption answers it unchanged (a retried void is not an error). A caller who may not
    void it is told which role they lack only when they may see it (`NotPermitted`); to
    anyone else it is NOT_FOUND, as an id of nothing is, since the role would tell the kind
    of code it was for (and that it exists)."""

    async with transaction(sessions) as session:
        row = await ledger.row_by_id(session, t.REDEMPTION, redemption_id)
        if row is None:
            raise missing_redemption()
        if not rights.may_void(row):
            if rights.may_see(row):
                roles = void_roles(row)
                raise NotPermitted(
                    f"one of the roles {', '.join(roles)} is required on this site", roles
                )
            raise missing_redemption()
        if row.voided_at is not None:
            return row
        counters = counters_of(
            coupon_id=row.coupon_id,
            coupon_code_id=row.coupon_code_id,
            discount_code_id=row.discount_code_id,
            assignment_id=row.assignment_id,
        )
        owner = (await ledger.lock_rows(session, counters))[0]
        # Read again under the lock: a concurrent void of the same row may have committed.
        row = await ledger.row_by_id(session, t.REDEMPTION, redemption_id)
        assert row is not None
        if row.voided_at is not None:
            return row
        now = utcnow()
        voided = await update_row(
            session, t.REDEMPTION, row.id, {"voided_at": now, "updated_at": now, "updated_by": by}
        )
        await ledger.add_uses(session, counters, -1)
        # The use is given back to the bucket it was counted in: the owner's usage period
        # containing redeemed_at, in the site's zone (both as now: changing either recounts).
        site = await ledger.row_by_id(session, t.SITE, row.site_id)
        assert site is not None
        use = usage_counters.use_of(row, owner.usage_period, site.time_zone)
        await usage_counters.move(session, [use], -1)
        return voided


@dataclass(frozen=True)
class UsageStats:
    limit: int
    used: int
    remaining: int
    usage_period: UsagePeriod | None
    period_start: datetime | None  # first instant of the period containing the booking
    period_end: datetime | None  # first instant after it


async def usage_stats(
    db: Handle,
    site: Record,
    code: str,
    booking: date | datetime,
    types: frozenset[str],
    *,
    coupon_id: int | None = None,
    offering_id: str | None = None,
) -> UsageStats | Reason | None:
    """Uses of the total cap in the usage period containing `booking` (a date is the site's
    local day; a naive time is site-local). None when there is no total cap, or when
    `offering_id` names an offering the terms do not apply to; a Reason when no live code
    is found (deleted codes have no statistics, as they have no future uses)."""
    found = await find_code(db, site.id, code, coupon_id, types)
    if isinstance(found, Found) and found.deleted_at is not None:
        found = Reason.NOT_FOUND
    if isinstance(found, Reason):
        return found
    owner_column, _, owner_id = found.columns
    owner: Record | None = found.row
    if found.is_coupon_code:
        owner = await ledger.row_by_id(db, t.COUPON, owner_id)
    assert owner is not None, "a coupon code's coupon is never hard-deleted"
    terms = terms_from_row(owner, await eligible_items(db, owner_column, owner_id))
    if offering_id is not None and not is_eligible(
        terms, BasketLine(ItemCategory.OFFERING, offering_id, 1, 0)
    ):
        return None
    if terms.max_uses is None:
        return None
    _, period = moment(booking, site.time_zone, terms.usage_period, "bookingDate")
    bucket = None
    if terms.usage_period is not None and period is not None:
        bucket = usage_counters.bucket_key(terms.usage_period, period[0])
    usage = await usage_counters.read_usage(
        db, owner_column, owner_id=owner_id, code_id=found.row.id, customer_id=None,
        order_reference=None, bucket=bucket,
    )  # fmt: skip
    used = usage.total
    return UsageStats(
        limit=terms.max_uses,
        used=used,
        remaining=max(terms.max_uses - used, 0),
        usage_period=terms.usage_period,
        period_start=None if period is None else period[0],
        period_end=None if period is None else period[1],
    )
