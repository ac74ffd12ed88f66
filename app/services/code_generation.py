"""Generating many coupon codes at once: all or nothing, unique within the coupon, fast.

The API's `generateCouponCodes` and the terminal's `scripts/generate-codes` both run
`generate_coupon_codes`. Codes are drawn in memory against every code the coupon already has
(deleted ones too, so that restoring those never collides), then inserted in chunks
(app.db.codes): one round trip per chunk instead of one per code.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from app.db import codes as stored
from app.db.tables import utcnow
from app.domain.codes import (
    MAX_CODE_LENGTH,
    MAX_GENERATED_COUNT,
    MAX_GENERATED_LENGTH,
    MIN_GENERATED_LENGTH,
    code_problem,
    generate_codes,
)
from app.domain.enums import CodeCharset
from app.services.actor import Actor
from app.services.coupon_codes import find_coupon_for_codes
from app.services.handles import Record, Session
from app.services.kinds import COUPON_CODE_RULE
from app.services.problems import Problem, ProblemCode, Problems
from app.services.records import attempt, raise_problems, stamp
from app.services.uniqueness import conflicts_reported

FIRST_ROWS = 100


def _shared_values(coupon: Record, actor: Actor, now: datetime) -> dict[str, Any]:
    """The columns every new code of the coupon has the same value in."""
    return {
        **stamp(actor, now),
        "created_at": now,
        "coupon_id": coupon.id,
        "site_id": coupon.site_id,
        "organisation_id": coupon.organisation_id,
        "multi_use": False,
        "times_used": 0,
    }


@dataclass(frozen=True)
class GeneratedCodes:
    count: int
    codes: list[str]  # every code, in the order generated
    first_rows: list[Record]  # the rows of the first FIRST_ROWS codes


def request_problems(count: int, prefix: str, length: int) -> list[Problem]:
    problems = []
    if not 1 <= count <= MAX_GENERATED_COUNT:
        message = f"count must be between 1 and {MAX_GENERATED_COUNT}"
        problems.append(Problem(("count",), ProblemCode.OUT_OF_RANGE, message))
    if not MIN_GENERATED_LENGTH <= length <= MAX_GENERATED_LENGTH:
        message = f"length must be between {MIN_GENERATED_LENGTH} and {MAX_GENERATED_LENGTH}"
        problems.append(Problem(("length",), ProblemCode.OUT_OF_RANGE, message))
    elif len(prefix) + length > MAX_CODE_LENGTH:
        message = f"prefix and length together must not exceed {MAX_CODE_LENGTH} characters"
        problems.append(Problem(("prefix",), ProblemCode.OUT_OF_RANGE, message))
    if prefix and code_problem(prefix):
        message = "the prefix may only contain ASCII letters, digits, '-' and '_'"
        problems.append(Problem(("prefix",), ProblemCode.INVALID, message))
    return problems


async def generate_coupon_codes(
    session: Session,
    actor: Actor,
    *,
    coupon_id: int,
    count: int,
    prefix: str = "",
    length: int = 8,
    charset: CodeCharset = CodeCharset.ALPHANUMERIC,
    progress: Callable[[int], None] | None = None,
) -> GeneratedCodes:
    """Adds `count` new codes (`prefix` + `length` random characters of `charset`) to the
    coupon; `progress` is told how many rows each chunk wrote."""
    now = utcnow()
    prefix = prefix.strip()
    coupon, problems = await attempt(
        find_coupon_for_codes(session, actor, coupon_id, ("couponId",))
    )
    raise_problems(problems + request_problems(count, prefix, length))
    assert coupon is not None
    taken = await stored.coupon_code_strings(session, coupon.id)
    try:
        codes = generate_codes(
            count,
            length=length,
            prefix=prefix,
            charset=charset,
            rng=secrets.SystemRandom(),
            taken=taken,
        )
    except ValueError as error:  # too many for this length and charset: the domain says why
        raise Problems([Problem(("count",), ProblemCode.OUT_OF_RANGE, str(error))]) from error
    shared = _shared_values(coupon, actor, now)
    # A concurrent request could take one of these strings between the draw and the insert.
    raced = "another request added one of the generated codes at the same time; try again"
    with conflicts_reported(COUPON_CODE_RULE, ("couponId",), raced):
        await stored.insert_coupon_codes(session, shared, codes, progress)
    first = await stored.coupon_codes_named(session, coupon.id, codes[:FIRST_ROWS])
    return GeneratedCodes(len(codes), codes, first)
