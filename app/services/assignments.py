"""Assignments: a discount code or coupon code given to one customer (Nexudus
CoworkerDiscountCode, Trybe pre-allocation), with a customer-specific window."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from app.auth.roles import Action
from app.clock import utcnow
from app.db.handles import Columns, Record, Session, Sessions
from app.domain.calendar import relative_expiry
from app.services.actor import Actor
from app.services.input_checks import Given, bound, text_problems, window_changes
from app.services.kinds import (
    ASSIGNMENTS,
    COUPON_CODES,
    COUPONS,
    CUSTOMERS,
    DISCOUNT_CODES,
    SITES,
    assignment_rule,
)
from app.services.problems import Problem, ProblemCode, Problems
from app.services.records import (
    attempt,
    find,
    find_for_write,
    insert_row,
    raise_problems,
    require_live,
    transaction,
    update_row,
)
from app.services.uniqueness import conflicts_reported, ensure_free

INPUT = ("input",)
TEXTS = {"booking_reference": 128, "notes": 4000, "external_id": 128}


async def find_customer(
    session: Session, customer_id: int, organisation_id: int, path: tuple[str, ...]
) -> Record:
    """A live customer of the organisation; any other is as good as unknown to it."""
    customer = await find(session, CUSTOMERS, customer_id, path)
    if customer.deleted_at is not None or customer.organisation_id != organisation_id:
        message = "no customer of the code's organisation has this id"
        raise Problems([Problem(path, ProblemCode.NOT_FOUND, message)])
    return customer


def default_expiry(terms: Record, at: datetime, time_zone: str) -> datetime | None:
    """Assigned at `at`, the code's relative expiry (ExpirationType x ExpiresIn) later."""
    if terms.expiration_unit is None or terms.expires_in is None:
        return None
    return relative_expiry(at, terms.expiration_unit, terms.expires_in, time_zone)


async def add_assignment(
    session: Session,
    actor: Actor,
    now: datetime,
    *,
    code: Record,
    values: Mapping[str, Any],
    path: tuple[str, ...],
) -> Record:
    """Records that `values["customer_id"]` holds `code` (a discount code or coupon code row);
    a second live assignment of one code to one customer is ALREADY_ASSIGNED at `path`."""
    column = "coupon_code_id" if "coupon_id" in code._mapping else "discount_code_id"
    record = {
        "discount_code_id": None,
        "coupon_code_id": None,
        **values,
        column: code.id,
        "site_id": code.site_id,
        "organisation_id": code.organisation_id,
    }
    rule, key = assignment_rule(record)
    raise_problems(await ensure_free(session, rule, key, path))
    with conflicts_reported(rule, path):
        return await insert_row(session, ASSIGNMENTS, record, actor, now)


def _assigned_at(
    actor: Actor, value: date | datetime | None, time_zone: str, now: datetime
) -> tuple[datetime, list[Problem]]:
    """When the assignment was made: now, or the `assignedAt` of an import (a date is the
    start of that local day), which only administrators and imports may give, never ahead."""
    if value is None:
        return now, []
    path = (*INPUT, "assignedAt")
    if not actor.records_history:
        message = "only administrators and imports may date an assignment: leave it out (now)"
        return now, [Problem(path, ProblemCode.FORBIDDEN, message)]
    instant, problems = bound(value, time_zone, end=False, path=path)
    if instant is not None and instant > now:
        message = "an assignment is not dated ahead of now"
        problems.append(Problem(path, ProblemCode.OUT_OF_RANGE, message))
    return (now, problems) if instant is None or problems else (instant, [])


async def assign_code(sessions: Sessions, actor: Actor, fields: Given) -> Record:
    """`fields`: customer_id, discount_code_id xor coupon_code_id, assigned_at (when it was
    made, for imports: its createdAt, and where relative expiry runs from), valid_from,
    expires_on (omitted: the code's relative expiry from the assignment; null: none),
    referrer_id, booking_reference, notes, external_id."""
    async with transaction(sessions) as session:
        now = utcnow()
        code, terms = await _find_code(session, actor, fields)
        site = await find(session, SITES, code.site_id, INPUT)
        fields = dict(fields)
        given_at = fields.pop("assigned_at", None)
        assigned_at, problems = _assigned_at(actor, given_at, site.time_zone, now)
        raise_problems(problems)
        customer_path = (*INPUT, "customerId")
        customer, problems = await attempt(
            find_customer(session, fields["customer_id"], code.organisation_id, customer_path)
        )
        allocated = code._mapping.get("customer_id")
        if customer is not None and allocated is not None and allocated != customer.id:
            message = "the coupon code is pre-allocated to another customer"
            problems.append(Problem(customer_path, ProblemCode.NOT_ALLOWED, message))
        if "expires_on" not in fields:
            fields = {**fields, "expires_on": default_expiry(terms, assigned_at, site.time_zone)}
        values, found = await _assignment_values(
            session, fields, {}, code.organisation_id, site.time_zone
        )
        raise_problems(problems + found)
        values["customer_id"] = fields["customer_id"]
        if assigned_at != now:
            values["created_at"] = assigned_at
        return await add_assignment(
            session, actor, now, code=code, values=values, path=customer_path
        )


async def update_assignment(
    sessions: Sessions, actor: Actor, *, db_id: int, fields: Given
) -> Record:
    """Changes only the fields given (valid_from, expires_on, referrer_id, booking_reference,
    notes, external_id); a given null clears."""
    async with transaction(sessions) as session:
        now = utcnow()
        row = await find_for_write(session, ASSIGNMENTS, db_id, actor, Action.EDIT, (*INPUT, "id"))
        site = await find(session, SITES, row.site_id, INPUT)
        values, problems = await _assignment_values(
            session, fields, row._mapping, row.organisation_id, site.time_zone
        )
        raise_problems(problems)
        return await update_row(session, ASSIGNMENTS, row.id, values, actor, now)


async def _find_code(session: Session, actor: Actor, fields: Given) -> tuple[Record, Record]:
    """The code to assign and the row carrying its Terms (itself, or its coupon)."""
    discount_code_id, coupon_code_id = fields.get("discount_code_id"), fields.get("coupon_code_id")
    if (discount_code_id is None) == (coupon_code_id is None):
        message = "give exactly one of discountCodeId and couponCodeId"
        raise Problems([Problem((*INPUT, "discountCodeId"), ProblemCode.REQUIRED, message)])
    if discount_code_id is not None:
        path = (*INPUT, "discountCodeId")
        code = terms = await find(session, DISCOUNT_CODES, discount_code_id, path)
        must_be_live = [(DISCOUNT_CODES, code)]
    elif coupon_code_id is not None:  # always, by the check above
        path = (*INPUT, "couponCodeId")
        code = await find(session, COUPON_CODES, coupon_code_id, path)
        terms = await find(session, COUPONS, code.coupon_id, path)
        must_be_live = [(COUPON_CODES, code), (COUPONS, terms)]
    actor.require(
        "Assignment", Action.CREATE, site_id=code.site_id, organisation_id=code.organisation_id
    )
    for kind, row in must_be_live:
        require_live(kind, row, path)
    return code, terms


async def _assignment_values(
    session: Session,
    fields: Given,
    current: Columns,
    organisation_id: int,
    time_zone: str,
) -> tuple[dict[str, object], list[Problem]]:
    """The column values of the given fields, over `current`, and their problems."""
    values = {name: fields[name] for name in TEXTS if name in fields}
    problems = text_problems(values, TEXTS, INPUT)
    referrer_id = fields.get("referrer_id")
    if "referrer_id" in fields:
        values["referrer_id"] = referrer_id
    if referrer_id is not None:
        path = (*INPUT, "referrerId")
        problems += (await attempt(find_customer(session, referrer_id, organisation_id, path)))[1]
        if referrer_id in (fields.get("customer_id"), current.get("customer_id")):
            message = "a customer cannot refer themselves"
            problems.append(Problem(path, ProblemCode.NOT_ALLOWED, message))
    window, found = window_changes(fields, current, ("valid_from", "expires_on"), time_zone, INPUT)
    values.update(window)
    problems += found
    return values, problems
