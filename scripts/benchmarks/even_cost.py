"""A checkout that may only redeem must not tell a missing code from a hidden one by the time
the answer takes (issue 22, item 7): the redemptions section's last figure.

The answers are identical (NOT_FOUND) and the work is the same statements
(tests/engine/test_even_cost.py counts them); this measures the time, as a guesser would see
it: over HTTP, one request at a time, from a token holding only the Redeem roles. Each hidden
code's call and a missing code's are timed one right after the other, in a random order, and
the figure is the median of the pairs' ratios (pairs, not medians of separate samples: on a
busy machine those drift apart by more than the target whatever the code). A live code's
call against a missing one's is printed beside it: what finding a code costs.
"""

from __future__ import annotations

import asyncio
import random
import secrets
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from app.auth import mint_token
from app.db import tables as t
from app.db.engine import create_engine
from app.db.session import write_sessions
from app.domain.enums import DiscountKind
from app.settings import Settings
from benchmarks.run_api import serve

VALIDATE = "query($input: ValidateCodeInput!) { validateCode(input: $input) { valid reason } }"
REDEEM = (
    "mutation($input: RedeemCodeInput!) "
    "{ redeemCode(input: $input) { valid reason userErrors { code } } }"
)
TOLERANCE = 0.10  # the target: a hidden code's median time within 10 % of a missing one's
PAST = datetime(2025, 1, 1, tzinfo=UTC)


async def seed_hidden(database_url: str, seeded: dict[str, Any]) -> dict[str, Any]:
    """In the bench's site: one code of each kind a redeem-only caller must not tell from a
    missing one, and one live code; their names."""
    engine = create_engine(Settings(database_url=database_url))
    stamp = uuid.uuid4().hex[:8].upper()
    site, organisation = seeded["site_id"], seeded["organisation_id"]
    owned = {"site_id": site, "organisation_id": organisation}
    terms = {**owned, "kind": DiscountKind.PERCENTAGE, "percentage_bp": 1000}
    later = datetime.now(UTC) + timedelta(days=30)
    try:
        async with write_sessions(engine)() as session, session.begin():
            stranger = t.Customer(organisation_id=organisation, full_name="Someone else")
            codes = {
                "deleted": t.DiscountCode(**terms, code=f"GONE-{stamp}", deleted_at=PAST),
                "disabled": t.DiscountCode(**terms, code=f"OFF-{stamp}", disabled_at=PAST),
                "not yet valid": t.DiscountCode(**terms, code=f"LATER-{stamp}", valid_from=later),
                "another's": t.DiscountCode(**terms, code=f"THEIRS-{stamp}"),
                "live": t.DiscountCode(**terms, code=f"LIVE-{stamp}"),
            }
            coupons = [t.Coupon(**terms, name=f"Even {stamp} {i}") for i in range(4)]
            coupons[1].disabled_at = PAST
            session.add_all([stranger, *codes.values(), *coupons])
            await session.flush()
            coupon_codes = {
                "coupon code deleted": (coupons[0], {"deleted_at": PAST}),
                "coupon code not yet valid": (coupons[0], {"valid_from": later}),
                "coupon disabled": (coupons[1], {}),
            }
            named = {kind: f"{kind.split()[-1].upper()}-CC-{stamp}" for kind in coupon_codes}
            session.add_all(
                t.CouponCode(**owned, coupon_id=coupon.id, code=named[kind], **values)
                for kind, (coupon, values) in coupon_codes.items()
            )
            # One text, two coupons: ambiguous, so found by neither.
            twice = f"TWICE-CC-{stamp}"
            session.add_all(
                t.CouponCode(**owned, coupon_id=coupon.id, code=twice) for coupon in coupons[2:]
            )
            session.add(
                t.Assignment(**owned, customer_id=stranger.id,
                             discount_code_id=codes["another's"].id)
            )  # fmt: skip
            hidden = {kind: row.code for kind, row in codes.items() if kind != "live"}
        return {
            "hidden": {**hidden, **named, "coupon code twice": twice},
            "live": codes["live"].code,
            "missing": f"NO-SUCH-CODE-{stamp}",
        }
    finally:
        await engine.dispose()


async def run(
    database_url: str,
    seeded: dict[str, Any],
    *,
    rounds: int = 60,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Seeds the codes, serves the app (the failed-guess brake lifted: a guesser's every call
    here fails) and times `rounds` pairs per hidden code and operation."""
    codes = await seed_hidden(database_url, seeded)
    secret = secrets.token_urlsafe(48)
    checkout = mint_token(
        secret, subject="checkout@example.com", ttl_seconds=3600,
        grants=[{"roles": ["DiscountCode-Redeem", "CouponCode-Redeem"],
                 "sites": [seeded["site_id"]]}],
    )  # fmt: skip
    env = {"DISCOUNTS_JWT_SECRET": secret, "DISCOUNTS_FAILED_CODE_ATTEMPTS_PER_MINUTE": "1000000"}
    keys = iter(range(10**9))
    run_id = uuid.uuid4().hex[:8]

    with tempfile.TemporaryDirectory() as logs:
        server = await asyncio.to_thread(serve, database_url, Path(logs), env)
        try:
            headers = {"authorization": f"Bearer {checkout}"}
            async with httpx.AsyncClient(headers=headers, timeout=60) as client:

                async def timed(operation: str, code: str) -> float:
                    values = {
                        "code": code, "siteId": seeded["site"], "customerId": seeded["customer"],
                        "currency": "GBP",
                        "lines": [{"category": "BOOKING", "itemId": "room", "quantity": 1,
                                   "unitPrice": 12_000}],
                    }  # fmt: skip
                    if operation == "redeem":
                        values["idempotencyKey"] = f"even-{run_id}-{next(keys)}"
                    body = {"query": REDEEM if operation == "redeem" else VALIDATE,
                            "variables": {"input": values}}  # fmt: skip
                    start = time.perf_counter()
                    response = await client.post(server.url, json=body)
                    spent = time.perf_counter() - start
                    answer = response.json()["data"]
                    found = answer["redeemCode" if operation == "redeem" else "validateCode"]
                    expected = code == codes["live"]
                    assert found["valid"] is expected, (code, answer)
                    return spent

                figures = {}
                for operation in ("validate", "redeem"):
                    log(f"  even cost, {operation}: {rounds} pairs per code")
                    figures[operation] = await _pairs(timed, operation, codes, rounds)
        finally:
            await asyncio.to_thread(server.stop)
    for operation, each in figures.items():
        worst = max(each["hidden_over_missing"].items(), key=lambda kind: abs(kind[1] - 1))
        log(f"  even cost, {operation}Code: a hidden code's time ÷ a missing one's,"
            f" median of pairs: {min(each['hidden_over_missing'].values()):.3f}"
            f"–{max(each['hidden_over_missing'].values()):.3f} (furthest from 1: {worst[0]},"
            f" {worst[1]:.3f}; target within {TOLERANCE:.0%} of 1); a live code's ÷ a missing"
            f" one's {each['live_over_missing']:.3f} (what finding a code costs)")  # fmt: skip
        each["within_target"] = all(
            abs(ratio - 1) <= TOLERANCE for ratio in each["hidden_over_missing"].values()
        )
    return {"rounds": rounds, "tolerance": TOLERANCE, **figures}


async def _pairs(
    timed: Callable[[str, str], Any], operation: str, codes: dict[str, Any], rounds: int
) -> dict[str, Any]:
    """The median over `rounds` of each code's time ÷ the missing code's, the two calls of a
    pair adjacent and in a random order."""
    compared = {**codes["hidden"], "live": codes["live"]}
    missing = codes["missing"]
    for code in [missing, *compared.values()] * 3:  # the statements' and caches' first use
        await timed(operation, code)
    ratios: dict[str, list[float]] = {kind: [] for kind in compared}
    for _ in range(rounds):
        for kind in random.sample(list(compared), len(compared)):
            spent = {}
            for one in random.sample([compared[kind], missing], 2):
                spent[one] = await timed(operation, one)
            ratios[kind].append(spent[compared[kind]] / spent[missing])
    medians = {kind: round(statistics.median(each), 3) for kind, each in ratios.items()}
    live = medians.pop("live")
    return {"hidden_over_missing": medians, "live_over_missing": live}
