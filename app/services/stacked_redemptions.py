"""Several codes on one order: check a set of codes on one basket, and redeem it all or nothing.

Each code is first checked on its own, exactly as validateCode checks one (app.services
.redemptions, app.services.engine_facts): a code that fails keeps its own reason and takes no
part. The codes that pass are stacked by the pure rules of app.domain.stacking: by priority,
then in the order sent, each on what the lines still cost, a code that does not combine with
one already applied refused with DOES_NOT_COMBINE.

Redeeming a set is one transaction (app.services.records.transaction) that writes every code's
redemption or none:

1. A first look without locks, as a single redemption takes (every code's facts in one
   statement: engine_facts.look_all): a set in which some code does not apply is answered at
   once, nothing locked or written (a checkout validates first and sends the codes that
   apply).
2. On PostgreSQL every code's rows are locked in one fixed order, whatever the order sent
   (engine_facts.relock_all: every owner, the coupon or discount code that carries the caps,
   then every coupon code, then the customer's assignments), and read again. Every
   transaction takes an owner's lock before its codes' and assignments' and the owners in
   that order, so two sets sharing codes queue instead of deadlocking, with each other and
   with single redemptions and voids, which lock one owner then its code. SQLite's writer
   lock is held since BEGIN: the first look is already current.
3. Under the locks the rules and the stack run again on what is committed now.
4. The redemptions are claimed one by one (app.db.claim), by owner then code (`lock_order`);
   each claim reads its counts under the lock and writes only when the caps allow. The set's
   own uses count: a code whose owner already counted a use of this set (two codes of one
   coupon) is claimed on counts that hold it. A cap found full undoes the whole transaction:
   nothing is written, and the answer names that code and its reason.

One idempotency key covers the set: each redemption is stored under the key and its position
in the set (app.db.stacked_ledger), all with the fingerprint of the whole set. A retry with the
same set answers the redemptions written; the same key with another set is the user error
IDEMPOTENCY_KEY_REUSED. Voiding each redemption gives its use back (voidRedemption).
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from app.db import usage_counters
from app.db.claim import claim
from app.db.errors import UniqueViolation
from app.db.handles import Handle, Record, Session, Sessions
from app.db.stacked_ledger import position_of, redemptions_by_keys, set_keys
from app.domain.amounts import Basket, Discount
from app.domain.enums import Reason, StackReason
from app.domain.rules import Outcome, cap_limits, evaluate
from app.domain.stacking import apply_codes
from app.domain.terms import Terms
from app.services.code_rights import SiteRights
from app.services.combinations import COLUMN_DEFAULTS, combination_of
from app.services.engine_facts import (
    CodeSearch,
    Gathered,
    Place,
    find_place,
    look_all,
    relock_all,
)
from app.services.engine_request import (
    INPUT,
    MAX_IDEMPOTENCY_KEY,
    CodeRequest,
    build_request,
)
from app.services.problems import Problem, ProblemCode, Problems, problem
from app.services.records import transaction
from app.services.redemptions import Check, Redeemer, ledger_values

# A set's key leaves room in the ledger's column for the position each code is stored under.
MAX_SET_KEY = MAX_IDEMPOTENCY_KEY - 8
# Sets are found again by their keys; this many positions are looked up whatever the setting
# (app.settings bounds max_codes_per_order by it), so that lowering it never hides a set.
MAX_SET_SIZE = 50


@dataclass(frozen=True)
class CodesRequest:
    """Several codes for one order: one `CodeRequest` per code, in the order sent, alike but
    for the code. `idempotency_key` is the set's (redemptions only)."""

    codes: tuple[str, ...]
    each: tuple[CodeRequest, ...]
    idempotency_key: str | None = None

    @property
    def site_id(self) -> int:
        return self.each[0].site_id

    @property
    def customer_id(self) -> int | None:
        return self.each[0].customer_id

    @property
    def currency(self) -> str:
        return self.each[0].currency

    def fingerprint(self) -> str:
        """One hash of the whole set, its codes in the order sent (the order matters: equal
        priorities apply in it), stored on each of its redemptions."""
        text = "codes:" + ",".join(request.fingerprint() for request in self.each)
        return hashlib.sha256(text.encode()).hexdigest()


def build_codes_request(
    *,
    codes: Sequence[str],
    max_codes: int,
    idempotency_key: str | None = None,
    problems: Sequence[Problem] = (),
    **shared: Any,
) -> CodesRequest:
    """The checked set, or `Problems` naming every bad field at once (`input.codes.<i>` for a
    code): no codes, more than `max_codes`, a code empty or sent twice; and what the codes
    share (`shared`: `build_request`'s fields but the code) checked as for one code."""
    found = list(problems)
    path = (*INPUT, "codes")
    if not codes:
        found.append(Problem(path, ProblemCode.REQUIRED, "send at least one code"))
    elif len(codes) > max_codes:
        message = f"at most {max_codes} codes can be used on one order, {len(codes)} were sent"
        found.append(Problem(path, ProblemCode.OUT_OF_RANGE, message))
    seen: set[str] = set()
    for index, code in enumerate(codes):
        key = code.strip().lower()
        if not key:
            message = "the code must not be empty"
            found.append(Problem((*path, str(index)), ProblemCode.REQUIRED, message))
        elif key in seen:
            # One entry per code in the answer; a code meant to be used twice in one order
            # has its per-order cap for that.
            message = f"the code {code.strip()!r} was sent more than once"
            found.append(Problem((*path, str(index)), ProblemCode.NOT_ALLOWED, message))
        seen.add(key)
    key_path = (*INPUT, "idempotencyKey")
    if idempotency_key is not None and len(idempotency_key.strip()) > MAX_SET_KEY:
        message = f"idempotencyKey must be at most {MAX_SET_KEY} characters long"
        found.append(Problem(key_path, ProblemCode.OUT_OF_RANGE, message))
    first = next((code for code in codes if code.strip()), None)
    try:
        # The codes were checked above; the shared fields are checked as for one code.
        base = build_request(code=first or "-", idempotency_key=idempotency_key, **shared)
    except Problems as more:
        # Its own length check of the key says less than ours (above) when both fail.
        mine = any(p.field == key_path for p in found)
        found += [p for p in more.problems if not (mine and p.field == key_path)]
        raise Problems(found) from None
    if found:
        raise Problems(found)
    stripped = tuple(code.strip() for code in codes)
    each = tuple(dataclasses.replace(base, code=code) for code in stripped)
    return CodesRequest(stripped, each, base.idempotency_key)


@dataclass(frozen=True)
class CodeVerdict:
    """One code's part in a set: its discount, or why it gives none. `check` is its check on
    its own (what was found, for the caller's view of it)."""

    code: str  # as sent (trimmed)
    check: Check
    reason: Reason | StackReason | None
    discount: Discount | None = None
    conflicts_with: str | None = None  # DOES_NOT_COMBINE: the code applied before it

    @property
    def applied(self) -> bool:
        return self.reason is None

    @property
    def type_name(self) -> str | None:
        return self.check.type_name


@dataclass(frozen=True)
class StackCheck:
    """The verdict on a set: each code in the order sent, and what the applied ones take off
    together, per basket line and in total."""

    verdicts: tuple[CodeVerdict, ...]
    lines: tuple[int, ...]
    total: int

    @property
    def valid(self) -> bool:
        """Every code sent applies."""
        return all(verdict.applied for verdict in self.verdicts)


def _stacked_terms(gathered: Gathered) -> Terms:
    """The code's Terms with how they combine (read from the owner's row)."""
    owner = gathered.owner
    combination = combination_of({name: getattr(owner, name) for name in COLUMN_DEFAULTS})
    return dataclasses.replace(gathered.facts.terms, combination=combination)


def stack(request: CodesRequest, checks: Sequence[Check]) -> StackCheck:
    """The set's verdict from each code's own check (in the order sent)."""
    passed = [
        index
        for index, check in enumerate(checks)
        if check.outcome.valid and check.gathered is not None
    ]
    basket = Basket(request.currency, request.each[0].lines)
    pairs = []
    for index in passed:
        gathered = checks[index].gathered
        assert gathered is not None
        pairs.append((request.codes[index], _stacked_terms(gathered)))
    # The setting's limit was applied to the input (build_codes_request).
    stacked = apply_codes(basket, pairs, max_codes=max(len(pairs), 1))
    verdicts = [
        CodeVerdict(code, check, check.outcome.reason)
        for code, check in zip(request.codes, checks, strict=True)
    ]
    for index, answer in zip(passed, stacked.codes, strict=True):
        verdicts[index] = CodeVerdict(
            request.codes[index], checks[index], answer.reason, answer.discount,
            answer.conflicts_with,
        )  # fmt: skip
    return StackCheck(tuple(verdicts), stacked.lines, stacked.total)


async def check_codes(
    db: Handle, place: Place, request: CodesRequest, search: CodeSearch
) -> StackCheck:
    """The set on what is committed now; writes and locks nothing. Every code is found and
    its facts read in one statement (engine_facts.look_all), each then checked on its own as
    redemptions.check_code checks one."""
    place.customer_or_problem()
    checks = []
    looked = await look_all(db, place, request.each, search.types, even=search.even)
    for found in looked:
        if isinstance(found, Reason):
            checks.append(Check(Outcome(found)))
        else:
            checks.append(Check(evaluate(found.facts, found.attempt, found.usage), found))
    return stack(request, checks)


# -- redeeming ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class StackRedeemed:
    """A set's redemption: `check` None when an earlier request with the same key is answered
    again (`replayed`); `redemptions` one per code in the order sent, empty when the set was
    refused. `rights` are the caller's at the site."""

    check: StackCheck | None
    redemptions: tuple[Record, ...]
    rights: SiteRights
    replayed: bool = False


class _Undone(Exception):
    """Raised inside the transaction to roll back what the set had written: the answer."""

    def __init__(self, answer: StackRedeemed | None) -> None:
        super().__init__("the set was undone")
        self.answer = answer  # None: the key was taken meanwhile; answer that set


def lock_order(gathered: Gathered) -> tuple[str, int, str, int]:
    """Where a code's locks come among a set's: by owner, then code (see the module)."""
    owner_column, _, owner_id = gathered.found.columns
    return owner_column, owner_id, gathered.found.type_name, gathered.code.id


async def _existing_set(session: Session, site_id: int, key: str) -> list[Record]:
    """The redemptions written earlier under the set's key, by position."""
    rows = await redemptions_by_keys(session, site_id, set_keys(key, MAX_SET_SIZE))
    return sorted(rows, key=lambda row: position_of(key, row.idempotency_key))


def _replay(existing: list[Record], request: CodesRequest, rights: SiteRights) -> StackRedeemed:
    fingerprint = request.fingerprint()
    if len(existing) != len(request.codes) or any(
        row.request_fingerprint != fingerprint for row in existing
    ):
        message = "this idempotency key was already used at this site for a different request"
        raise problem("input.idempotencyKey", ProblemCode.IDEMPOTENCY_KEY_REUSED, message)
    return StackRedeemed(None, tuple(existing), rights, replayed=True)


async def _refused(
    session: Session, site: Record, request: CodesRequest, check: StackCheck, rights: SiteRights
) -> StackRedeemed:
    """A set that does not apply as sent, unless the key already answers one: a retry of an
    earlier set, or a duplicate that committed meanwhile (its uses may be what refused us)."""
    assert request.idempotency_key is not None
    existing = await _existing_set(session, site.id, request.idempotency_key)
    if existing:
        return _replay(existing, request, rights)
    return StackRedeemed(check, (), rights)


async def _redeem(
    session: Session,
    place: Place,
    request: CodesRequest,
    search: CodeSearch,
    by: str,
    rights: SiteRights,
) -> StackRedeemed:
    site, key = place.site, request.idempotency_key
    assert key is not None
    try:
        first = await check_codes(session, place, request, search)
    except Problems:
        # The customer is gone; an earlier set under the key still answers.
        existing = await _existing_set(session, site.id, key)
        if not existing:
            raise
        return _replay(existing, request, rights)
    if not first.valid:
        return await _refused(session, site, request, first, rights)

    looked = [verdict.check.gathered for verdict in first.verdicts]
    firsts = [g for g in looked if g is not None]
    assert len(firsts) == len(looked)
    # Row locks are PostgreSQL's (every code's, in one order: engine_facts.relock_all);
    # SQLite's writer lock is held since BEGIN, so the first look is already current.
    locking = usage_counters.dialect_name(session) == "postgresql"
    if locking:
        gathered = await relock_all(session, site, list(zip(firsts, request.each, strict=True)))
    else:
        gathered = firsts
    # The counts are each first look's: the claims read them again under the locks.
    decided = stack(request, [Check(evaluate(g.facts, g.attempt, g.usage), g) for g in gathered])
    if not decided.valid:
        return await _refused(session, site, request, decided, rights)

    written: dict[int, Record] = {}
    counted: set[tuple[str, int]] = set()
    keys, fingerprint = set_keys(key, len(request.codes)), request.fingerprint()
    for index in sorted(range(len(gathered)), key=lambda i: lock_order(gathered[i])):
        here, each = gathered[index], request.each[index]
        owner_column, _, owner_id = here.found.columns
        usage = here.usage
        if (owner_column, owner_id) in counted and not locking:
            # Its owner's counters already hold a use of this set (PostgreSQL's claim reads
            # them itself, in this transaction).
            usage = await usage_counters.read_usage(
                session, here.use.owner_column, owner_id=here.use.owner_id,
                code_id=here.use.code_id, customer_id=here.use.customer_id,
                order_reference=each.order_reference, bucket=here.use.bucket,
            )  # fmt: skip
        counted.add((owner_column, owner_id))
        discount = decided.verdicts[index].discount
        assert discount is not None
        values = ledger_values(site, each, here, discount, keys[index], fingerprint, by)
        limits = cap_limits(here.facts, here.attempt)
        claimed = await claim(session, values, here.counters(), here.use, limits, usage)
        if claimed.refused:
            # A cap found full under the lock (the set's own uses count): nothing of the set
            # is kept, and the answer names this code and its reason.
            counts = dataclasses.replace(here, usage=claimed.usage)
            outcome = evaluate(counts.facts, counts.attempt, counts.usage)
            verdicts = list(decided.verdicts)
            verdicts[index] = CodeVerdict(
                request.codes[index], Check(outcome, counts), outcome.reason
            )
            raise _Undone(StackRedeemed(StackCheck(tuple(verdicts), (), 0), (), rights))
        if claimed.row is None:
            # A key of the set was taken: by a retry, or by a duplicate that committed while
            # we waited for a lock. Its set is the answer, once ours is undone.
            raise _Undone(None)
        written[index] = claimed.row
    return StackRedeemed(decided, tuple(written[i] for i in range(len(gathered))), rights)


async def redeem_codes(
    sessions: Sessions, request: CodesRequest, redeemer: Redeemer
) -> StackRedeemed:
    """Redeems every code of the set in one transaction, or none (see the module); or answers
    the set made earlier with the same key."""
    key = request.idempotency_key
    assert key is not None, "build_codes_request(redeeming=True) requires the key"
    rights = SiteRights(frozenset(), frozenset())
    try:
        async with transaction(sessions) as session:
            ahead = redeemer.ahead(request.site_id, request.each, many=True)
            place = await find_place(session, request.site_id, request.customer_id, ahead=ahead)
            rights = redeemer.rights_at(place.site, request.each[0].at)
            search = rights.search(rights.redeemable)
            return await _redeem(session, place, request, search, redeemer.by, rights)
    except _Undone as undone:
        if undone.answer is not None:
            return undone.answer
    except UniqueViolation:
        pass
    async with transaction(sessions) as session:
        existing = await _existing_set(session, request.site_id, key)
    if not existing:
        raise RuntimeError("a key of the set was taken, but no redemption holds it")
    return _replay(existing, request, rights)
