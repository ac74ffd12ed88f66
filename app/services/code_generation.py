"""Generating many coupon codes at once: all or nothing, unique within the coupon, fast.

The API's `generateCouponCodes` and the terminal's `scripts/generate-codes` both run
`generate_coupon_codes`. Codes are drawn a chunk at a time and inserted in one statement per
chunk (app.db.codes), which leaves out any live code the coupon already has; the ones left
out are drawn again in the next chunk. The database's unique index decides what is taken: no
set of the coupon's codes is kept here, so a million codes keep memory flat. Only its deleted
codes of the same shape are kept aside and never drawn (that index leaves them out, and
restoring one must not collide): usually none, at most what was deleted. Everything runs in the caller's one transaction.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import secrets
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypedDict

from app.clock import utcnow
from app.db import codes as stored
from app.db.handles import Record, Sessions
from app.domain.codes import (
    MAX_CODE_LENGTH,
    MAX_GENERATED_COUNT,
    MAX_GENERATED_LENGTH,
    MIN_GENERATED_LENGTH,
    code_key,
    code_problem,
    draw_codes,
    generated_shape,
    too_many_problem,
)
from app.domain.enums import CodeCharset
from app.services.actor import Actor
from app.services.coupon_codes import find_coupon_for_codes
from app.services.problems import Problem, ProblemCode, Problems
from app.services.records import attempt, raise_problems, stamp, transaction

FIRST_ROWS = 100


class _Shape(TypedDict):
    """What a generated code looks like (the keywords of app.domain.codes' draw and checks)."""

    length: int
    prefix: str
    charset: CodeCharset


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
    first_rows: list[Record]  # the rows of the first FIRST_ROWS codes


def request_problems(
    count: int, prefix: str, length: int, max_count: int = MAX_GENERATED_COUNT
) -> list[Problem]:
    problems = []
    if not 1 <= count <= max_count:
        message = f"count must be between 1 and {max_count}"
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
    sessions: Sessions,
    actor: Actor,
    *,
    coupon_id: int,
    count: int,
    prefix: str = "",
    length: int = 8,
    charset: CodeCharset = CodeCharset.ALPHANUMERIC,
    max_count: int = MAX_GENERATED_COUNT,
    added: Callable[[Sequence[str]], None] | None = None,
    rng: random.Random | secrets.SystemRandom | None = None,
) -> GeneratedCodes:
    """Adds `count` new codes (`prefix` + `length` random characters of `charset`) to the
    coupon; `added` is given the codes of each chunk once they are in (in the transaction:
    they are kept only if it commits). `max_count` is the API's limit unless the caller (the
    terminal script) has its own; `rng` is for tests (a seeded one forces collisions)."""
    async with transaction(sessions) as session:
        now = utcnow()
        prefix = prefix.strip()
        coupon, problems = await attempt(
            find_coupon_for_codes(session, actor, coupon_id, ("couponId",))
        )
        raise_problems(problems + request_problems(count, prefix, length, max_count))
        assert coupon is not None
        shape: _Shape = {"length": length, "prefix": prefix, "charset": charset}
        fits, clashing, deleted = generated_shape(**shape), 0, set[str]()
        async for batch in stored.coupon_code_batches(session, coupon.id):
            for code, gone in batch:
                if fits(code):
                    clashing += 1
                    if gone:  # the insert skips live codes; deleted ones must not be drawn
                        deleted.add(code_key(code))
        if too_many := too_many_problem(count, clashing=clashing, **shape):
            raise Problems([Problem(("count",), ProblemCode.OUT_OF_RANGE, too_many)])
        rng = rng or secrets.SystemRandom()
        first: list[str] = []
        shared = _shared_values(coupon, actor, now)
        async with stored.code_inserter(session, shared) as insert:

            def draw(size: int) -> list[str]:
                return draw_codes(min(size, stored.CHUNK), rng=rng, avoid=deleted, **shape)

            def took(inserted: list[str]) -> None:
                first.extend(inserted[: FIRST_ROWS - len(first)])
                if added is not None:
                    added(inserted)

            await _insert_ahead(count, draw, insert, took)
        written = insert.events
        if written is None:
            written = await stored.add_generated_events(session, shared)
        assert written in (None, count), f"{written} events for {count} codes"
        rows = await stored.coupon_codes_named(session, coupon.id, first)
        return GeneratedCodes(count, rows)


async def _insert_ahead(
    count: int,
    draw: Callable[[int], list[str]],
    insert: Callable[[Sequence[str]], Awaitable[list[str]]],
    took: Callable[[list[str]], None],
) -> None:
    """Inserts `count` codes a chunk at a time, drawing the next chunk while the database
    inserts the one before: the chunk's statement is sent, and drawing (Python) runs while
    the database (another process, or SQLite's thread) works, rather than one after the
    other. A code the coupon already has (one in flight included) is left out by the insert
    and drawn again in a later chunk."""
    missing, pending, in_flight = count, None, 0
    try:
        while missing or pending is not None:
            drawn = draw(missing - in_flight) if missing > in_flight else []
            if pending is not None:
                inserted = await pending
                pending, in_flight = None, 0
                missing -= len(inserted)
                took(inserted)
            if drawn:
                pending, in_flight = asyncio.ensure_future(insert(drawn)), len(drawn)
                await asyncio.sleep(0)  # the task sends its statement before the next draw
    finally:
        if pending is not None:  # a draw or a callback failed: let the statement in flight end
            with contextlib.suppress(Exception):
                await pending
