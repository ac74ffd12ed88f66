"""Invariants every generated data set must satisfy, checked with SQL against the database."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from app.db import tables as t
from app.demo.plan import CODE_ALPHABET

organisation = t.Organisation.__table__
site = t.Site.__table__
customer = t.Customer.__table__
coupon = t.Coupon.__table__
coupon_code = t.CouponCode.__table__
discount_code = t.DiscountCode.__table__
eligible_item = t.EligibleItem.__table__
assignment = t.Assignment.__table__
redemption = t.Redemption.__table__

SITE_OWNED = (coupon, coupon_code, discount_code, assignment, redemption)
_FINGERPRINT = re.compile(r"[0-9a-f]{64}")


async def rows(engine: AsyncEngine, statement: Any) -> list[Any]:
    async with engine.connect() as connection:
        return list(await connection.execute(statement))


async def scalar(engine: AsyncEngine, statement: Any) -> Any:
    async with engine.connect() as connection:
        return (await connection.execute(statement)).scalar_one()


async def counts(engine: AsyncEngine) -> dict[str, int]:
    result = {}
    for table in (
        organisation,
        site,
        customer,
        coupon,
        coupon_code,
        discount_code,
        eligible_item,
        assignment,
        redemption,
    ):
        result[table.name] = await scalar(engine, sa.select(sa.func.count()).select_from(table))
    return result


async def assert_times_used_match_the_ledger(engine: AsyncEngine) -> None:
    """times_used = non-voided redemptions, for every code, coupon, discount code, assignment."""
    for table, column in (
        (coupon_code, redemption.c.coupon_code_id),
        (coupon, redemption.c.coupon_id),
        (discount_code, redemption.c.discount_code_id),
        (assignment, redemption.c.assignment_id),
    ):
        used = (
            sa.select(sa.func.count())
            .where(column == table.c.id, redemption.c.voided_at.is_(None))
            .scalar_subquery()
        )
        wrong = await rows(
            engine,
            sa.select(table.c.id, table.c.times_used, used).where(table.c.times_used != used),
        )
        assert wrong == [], f"{table.name}: times_used differs from the ledger: {wrong[:5]}"


async def assert_tenancy_consistent(engine: AsyncEngine) -> None:
    """Every row's organisation is its site's; children share their parent's site."""
    for table in SITE_OWNED:
        bad = await scalar(
            engine,
            sa.select(sa.func.count())
            .select_from(table.join(site, site.c.id == table.c.site_id))
            .where(site.c.organisation_id != table.c.organisation_id),
        )
        assert bad == 0, f"{table.name}: organisation_id differs from the site's"
    for child, parent, fk in (
        (coupon_code, coupon, coupon_code.c.coupon_id),
        (redemption, coupon, redemption.c.coupon_id),
        (redemption, coupon_code, redemption.c.coupon_code_id),
        (redemption, discount_code, redemption.c.discount_code_id),
        (redemption, assignment, redemption.c.assignment_id),
        (assignment, coupon_code, assignment.c.coupon_code_id),
        (assignment, discount_code, assignment.c.discount_code_id),
    ):
        bad = await scalar(
            engine,
            sa.select(sa.func.count())
            .select_from(child.join(parent, parent.c.id == fk))
            .where(parent.c.site_id != child.c.site_id),
        )
        assert bad == 0, f"{child.name} on another site than its {parent.name}"
    # A redemption of a coupon code names that code's coupon.
    bad = await scalar(
        engine,
        sa.select(sa.func.count())
        .select_from(redemption.join(coupon_code, coupon_code.c.id == redemption.c.coupon_code_id))
        .where(redemption.c.coupon_id != coupon_code.c.coupon_id),
    )
    assert bad == 0
    # Customers belong to the organisation of what refers to them.
    for table, fk in (
        (coupon_code, coupon_code.c.customer_id),
        (assignment, assignment.c.customer_id),
        (assignment, assignment.c.referrer_id),
        (redemption, redemption.c.customer_id),
    ):
        bad = await scalar(
            engine,
            sa.select(sa.func.count())
            .select_from(table.join(customer, customer.c.id == fk))
            .where(customer.c.organisation_id != table.c.organisation_id),
        )
        assert bad == 0, f"{table.name}.{fk.name}: a customer of another organisation"
    # A redemption through an assignment is by its holder; a pre-allocated code's assignment
    # is its customer's.
    bad = await scalar(
        engine,
        sa.select(sa.func.count())
        .select_from(redemption.join(assignment, assignment.c.id == redemption.c.assignment_id))
        .where(assignment.c.customer_id != redemption.c.customer_id),
    )
    assert bad == 0
    bad = await scalar(
        engine,
        sa.select(sa.func.count())
        .select_from(assignment.join(coupon_code, coupon_code.c.id == assignment.c.coupon_code_id))
        .where(assignment.c.customer_id != coupon_code.c.customer_id),
    )
    assert bad == 0


async def assert_ledger_well_formed(engine: AsyncEngine, now: datetime | None = None) -> None:
    currencies = dict(await rows(engine, sa.select(site.c.id, site.c.currency)))
    for r in await rows(engine, sa.select(redemption)):
        assert r.currency == currencies[r.site_id]
        assert r.amount > 0 and sum(r.line_amounts) == r.amount, r
        assert _FINGERPRINT.fullmatch(r.request_fingerprint), r.request_fingerprint
        assert r.idempotency_key and r.order_reference
        assert r.created_at == r.redeemed_at
        if now is not None:
            assert r.redeemed_at < now
        if r.voided_at is not None:
            assert r.voided_at > r.redeemed_at
            assert now is None or r.voided_at < now
        if r.assignment_id is not None:
            assert r.customer_id is not None


async def assert_generated_codes_avoid_look_alikes(
    engine: AsyncEngine,
    chosen: set[str] = frozenset(),  # type: ignore[assignment]
) -> None:
    """Codes are letters, digits and '-', and only hand-chosen ones contain 0 O 1 I L."""
    allowed = set(CODE_ALPHABET) | {"-"}
    for table in (coupon_code, discount_code):
        for (code,) in await rows(engine, sa.select(table.c.code)):
            assert re.fullmatch(r"[A-Z0-9-]+", code), code
            if not set(code) <= allowed:
                assert code in chosen, f"generated code {code!r} has a look-alike character"
