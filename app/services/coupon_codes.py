"""Coupon codes (Trybe CouponCode): code strings under a coupon, unique within it among live
codes in any letter case, each with its own window, use rule, pre-allocation and revenue."""

from __future__ import annotations

import secrets

from app.auth.roles import Action
from app.clock import utcnow
from app.db.handles import Columns, Record, Session, Sessions
from app.domain.codes import generate_codes
from app.domain.enums import CodeCharset
from app.services.actor import Actor
from app.services.assignments import add_assignment, default_expiry, find_customer
from app.services.input_checks import Given, code_problems, text_problems, window_changes
from app.services.kinds import COUPON_CODE_RULE, COUPON_CODES, COUPONS, SITES
from app.services.problems import Problem, ProblemCode
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

INPUT, CODE = ("input",), ("input", "code")
TEXTS = {"customer_credit_id": 128, "external_id": 128}
# An omitted code is generated like generateCouponCodes' default: 31^8 strings, no look-alikes.
GENERATED_LENGTH = 8


async def find_coupon_for_codes(
    session: Session, actor: Actor, coupon_id: int, path: tuple[str, ...]
) -> Record:
    """The live coupon that codes are being added to, once the actor may create codes there."""
    coupon = await find(session, COUPONS, coupon_id, path)
    actor.require(
        "CouponCode", Action.CREATE, site_id=coupon.site_id, organisation_id=coupon.organisation_id
    )
    require_live(COUPONS, coupon, path)
    return coupon


async def create_coupon_code(
    sessions: Sessions, actor: Actor, *, coupon_id: int, fields: Given
) -> Record:
    """`fields`: code (omitted: generated), valid_from, valid_to, multi_use, customer_id,
    customer_credit_id, revenue, external_id. Pre-allocating to a customer also records an
    assignment of the code to that customer."""
    async with transaction(sessions) as session:
        now = utcnow()
        coupon = await find_coupon_for_codes(session, actor, coupon_id, (*INPUT, "couponId"))
        site = await find(session, SITES, coupon.site_id, INPUT)
        if fields.get("code") is None:
            rng = secrets.SystemRandom()
            code = generate_codes(
                1, length=GENERATED_LENGTH, charset=CodeCharset.ALPHANUMERIC, rng=rng
            )
            fields = {**fields, "code": code[0]}
        values, problems = await _code_values(session, fields, {}, coupon.id, site.time_zone, None)
        values.setdefault("multi_use", False)

        customer, customer_path = None, (*INPUT, "customerId")
        if fields.get("customer_id") is not None:
            customer, found = await attempt(
                find_customer(session, fields["customer_id"], coupon.organisation_id, customer_path)
            )
            problems += found
        elif fields.get("customer_credit_id") is not None:
            message = "a customer credit needs the customer it belongs to"
            problems.append(Problem(customer_path, ProblemCode.REQUIRED, message))
        raise_problems(problems)

        values.update(
            coupon_id=coupon.id,
            site_id=coupon.site_id,
            organisation_id=coupon.organisation_id,
            customer_id=None if customer is None else customer.id,
        )
        with conflicts_reported(COUPON_CODE_RULE, CODE):
            row = await insert_row(session, COUPON_CODES, values, actor, now)
        if customer is not None:
            expires_on = default_expiry(coupon, now, site.time_zone)
            allocation = {"customer_id": customer.id, "expires_on": expires_on}
            await add_assignment(
                session, actor, now, code=row, values=allocation, path=customer_path
            )
        return row


async def update_coupon_code(
    sessions: Sessions, actor: Actor, *, db_id: int, fields: Given
) -> Record:
    """Changes only the fields given (code, valid_from, valid_to, multi_use, revenue,
    external_id); a given null clears."""
    async with transaction(sessions) as session:
        now = utcnow()
        row = await find_for_write(session, COUPON_CODES, db_id, actor, Action.EDIT, (*INPUT, "id"))
        site = await find(session, SITES, row.site_id, INPUT)
        values, problems = await _code_values(
            session, fields, row._mapping, row.coupon_id, site.time_zone, row.id
        )
        raise_problems(problems)
        with conflicts_reported(COUPON_CODE_RULE, CODE):
            return await update_row(session, COUPON_CODES, row.id, values, actor, now)


async def _code_values(
    session: Session,
    fields: Given,
    current: Columns,
    coupon_id: int,
    time_zone: str,
    db_id: int | None,
) -> tuple[dict[str, object], list[Problem]]:
    """The column values of the given fields, over `current`, and their problems."""
    values = {name: fields[name] for name in TEXTS if name in fields}
    problems = text_problems(values, TEXTS, INPUT)
    for name in ("multi_use", "revenue"):
        if name in fields:
            values[name] = fields[name]
    if values.get("revenue") is not None and values["revenue"] < 0:
        message = "revenue must not be negative"
        problems.append(Problem((*INPUT, "revenue"), ProblemCode.OUT_OF_RANGE, message))
    if fields.get("code") is not None:
        values["code"] = fields["code"].strip()
        found = code_problems(values["code"], CODE)
        key = {"coupon_id": coupon_id, "code": values["code"]}
        problems += found or await ensure_free(
            session, COUPON_CODE_RULE, key, CODE, exclude_id=db_id
        )
    window, found = window_changes(fields, current, ("valid_from", "valid_to"), time_zone, INPUT)
    values.update(window)
    problems += found
    return values, problems
