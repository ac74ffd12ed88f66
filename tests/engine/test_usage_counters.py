"""Usage counters: what the caps read instead of counting the ledger, and how they stay equal
to it (app.db.usage_counters): moved with the ledger, recounted when the buckets change,
filled by the migration, checked and repaired by scripts/check-ledger."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from app.db import tables as t
from app.db import usage_counters
from app.db.engine import create_engine
from app.db.migrate import upgrade
from app.domain.enums import UsagePeriod
from app.settings import Settings
from tests.conftest import new_database
from tests.engine.support import REDEEM, VALIDATE, VOID, gid, open_shop

REPO_ROOT = Path(__file__).resolve().parents[2]
SCRIPT = REPO_ROOT / "scripts" / "check-ledger"

UPDATE_DISCOUNT_CODE = """mutation($input: UpdateDiscountCodeInput!) {
  updateDiscountCode(input: $input) { discountCode { id } userErrors { field code message } } }"""
UPDATE_SITE = """mutation($input: UpdateSiteInput!) {
  updateSite(input: $input) { site { timeZone } userErrors { field code message } } }"""


async def counters(engine: Any) -> dict[str, int]:
    """The live counter rows, as "owner_type owner_id key" -> uses."""
    c = t.USAGE_COUNTER
    async with engine.connect() as connection:
        rows = (await connection.execute(sa.select(c).where(c.c.uses != 0))).all()
    return {f"{r.owner_type} {r.owner_id} {r.key}": r.uses for r in rows}


async def drift(engine: Any) -> list[str]:
    async with engine.connect() as connection:
        return [str(found) for found in await usage_counters.recount(connection, fix=False)]


async def test_a_redemption_moves_its_counters_and_a_void_gives_them_back(
    gql: Any, make: Any, db: Any
) -> None:
    # Given a daily-capped coupon's code used once by the member in an order
    shop = await open_shop(make)
    coupon = await make.coupon(shop.site, max_uses=5, usage_period="P1D")
    code = await make.coupon_code(coupon, code="DAILY", multi_use=True)
    attempt = shop.attempt("DAILY", idempotencyKey="k1", orderReference="O-1")
    redeemed = (await gql(REDEEM, {"input": attempt}))["redeemCode"]
    # Then each thing the rules count is one row by key, the bucket today's London day
    today = datetime.now(UTC)
    bucket = usage_counters.bucket_at(UsagePeriod.P1D, today, "Europe/London")
    owner, member = f"coupon {coupon.id}", shop.member.id
    assert await counters(db) == {
        f"{owner} total": 1,
        f"{owner} {bucket}": 1,
        f"{owner} customer:{member}": 1,
        f"{owner} code:{code.id}": 1,
        f"{owner} code:{code.id}:customer:{member}": 1,
    }
    assert await drift(db) == []
    # When it is voided, every counter is back to zero
    await gql(VOID, {"id": redeemed["redemption"]["id"]})
    assert await counters(db) == {}
    assert await drift(db) == []


async def test_changing_the_usage_period_counts_the_new_buckets(
    gql: Any, make: Any, db: Any
) -> None:
    # Given a code capped at one use a day, used today
    shop = await open_shop(make)
    code = await make.discount_code(shop.site, code="ONCE", max_uses=1, usage_period="P1D")
    await gql(REDEEM, {"input": shop.attempt("ONCE", idempotencyKey="k1")})
    # When the cap becomes one a week
    changed = await gql(
        UPDATE_DISCOUNT_CODE, {"input": {"id": gid(code), "terms": {"usagePeriod": "P1W"}}}
    )
    assert changed["updateDiscountCode"]["userErrors"] == []
    # Then this week's bucket already holds today's use
    check = (await gql(VALIDATE, {"input": shop.attempt("ONCE")}))["validateCode"]
    assert check["reason"] == "USAGE_LIMIT_REACHED"
    assert await drift(db) == []


async def test_changing_the_sites_zone_counts_the_buckets_in_it(
    gql: Any, make: Any, db: Any
) -> None:
    # Given a code capped at one use a (London) day, used now
    shop = await open_shop(make)
    await make.discount_code(shop.site, code="ONCE", max_uses=1, usage_period="P1D")
    await gql(REDEEM, {"input": shop.attempt("ONCE", idempotencyKey="k1")})
    # When the site moves to Tokyo (always 8 or 9 hours ahead: other days start elsewhen)
    moved = await gql(UPDATE_SITE, {"input": {"id": gid(shop.site), "timeZone": "Asia/Tokyo"}})
    assert moved["updateSite"]["userErrors"] == []
    # Then the use counts in today's Tokyo day
    check = (await gql(VALIDATE, {"input": shop.attempt("ONCE")}))["validateCode"]
    assert check["reason"] == "USAGE_LIMIT_REACHED"
    assert await drift(db) == []


async def test_a_recount_pages_the_ledger_and_leaves_no_cursor_open(
    gql: Any, make: Any, db: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given three uses of a weekly-capped code, read two ledger rows a page
    shop = await open_shop(make)
    code = await make.discount_code(shop.site, code="WEEK", max_uses=9, usage_period="P1W")
    for key in ("a", "b", "c"):
        await gql(REDEEM, {"input": shop.attempt("WEEK", idempotencyKey=key)})
    monkeypatch.setattr(usage_counters, "_RECOUNT_PAGE", 2)
    async with db.begin() as connection:
        # When the recount runs in a transaction that then changes the tables it read (as
        # migration 0004's recount is followed by 0005's and 0006's DDL in one transaction)
        found = await usage_counters.recount(connection, [("discount_code_id", code.id)])
        await connection.execute(sa.text("ALTER TABLE redemption ADD COLUMN probe INTEGER"))
        await connection.execute(sa.text("ALTER TABLE discount_code ADD COLUMN probe INTEGER"))
        # Then every page was counted, and PostgreSQL had no cursor left to refuse the DDL
        assert found == []
        if db.dialect.name == "postgresql":
            # (the unnamed portal is the statement asking)
            open_cursors = sa.text("SELECT count(*) FROM pg_cursors WHERE name <> ''")
            assert (await connection.execute(open_cursors)).scalar() == 0
        await connection.rollback()
    bucket = usage_counters.bucket_at(UsagePeriod.P1W, datetime.now(UTC), "Europe/London")
    assert (await counters(db))[f"discount_code {code.id} {bucket}"] == 3


def _check_ledger(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DISCOUNTS_")}
    env.pop("DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, str(SCRIPT), "--database-url", url, *args],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


@pytest.mark.slow
async def test_check_ledger_reports_drift_and_fix_repairs_it(gql: Any, make: Any, db: Any) -> None:
    # Given redemptions of a coupon code and of a discount code, one of them voided
    shop = await open_shop(make)
    coupon = await make.coupon(shop.site, max_uses=10, usage_period="P1M")
    await make.coupon_code(coupon, code="SPRING", multi_use=True)
    code = await make.discount_code(shop.site, code="BOX", max_uses=10)
    for key, name in (("a", "SPRING"), ("b", "BOX"), ("c", "BOX")):
        await gql(REDEEM, {"input": shop.attempt(name, idempotencyKey=key)})
    voided = (await gql(REDEEM, {"input": shop.attempt("BOX", idempotencyKey="d")}))["redeemCode"]
    await gql(VOID, {"id": voided["redemption"]["id"]})
    url = db.url.render_as_string(hide_password=False)
    clean = _check_ledger(url)
    assert clean.returncode == 0, clean.stderr
    assert clean.stdout == "" and "agree" in clean.stderr
    # When counts are changed behind the engine's back
    async with db.begin() as connection:
        c = t.USAGE_COUNTER
        await connection.execute(
            sa.update(c).where(c.c.owner_type == "discount_code", c.c.key == "total").values(uses=7)
        )
        await connection.execute(sa.delete(c).where(c.c.owner_type == "coupon", c.c.key != "total"))
        await connection.execute(sa.update(t.DISCOUNT_CODE).values(times_used=0))
    # Then each is reported, with the ledger's count, and nothing is written
    found = _check_ledger(url)
    assert found.returncode == 1, found.stderr
    lines = found.stdout.splitlines()
    assert f"usage_counter discount_code {code.id} total: uses 7, the ledger counts 2" in lines
    assert f"discount_code {code.id}: times_used 0, the ledger counts 2" in lines
    assert len(lines) == 2 + 4  # the coupon's bucket, customer, code, code and customer
    assert _check_ledger(url).stdout == found.stdout
    # And --fix repairs all of it
    fixed = _check_ledger(url, "--fix")
    assert fixed.returncode == 0, fixed.stderr
    assert fixed.stdout == found.stdout and "repaired 6" in fixed.stderr
    assert _check_ledger(url).returncode == 0
    assert await drift(db) == []


@pytest.fixture
async def empty_url(database_url: str, tmp_path: Path) -> AsyncIterator[str]:
    if not database_url.startswith("postgresql"):
        yield f"sqlite+aiosqlite:///{tmp_path / 'before.db'}"
        return
    async with new_database(database_url, "discounts_counters") as url:
        yield url


async def test_the_migration_fills_the_counters_from_the_ledger(empty_url: str) -> None:
    # Given a database before the counters with a ledger, some uses voided, some in other weeks
    engine = create_engine(Settings(database_url=empty_url))
    try:
        await upgrade(engine, "0003_transfer")
        now = datetime.now(UTC)
        async with engine.begin() as connection:

            async def add(table: Any, **values: Any) -> int:
                values.setdefault("unique_id", uuid.uuid4())
                values.setdefault("created_at", now)
                values.setdefault("updated_at", now)
                # Only the columns the database has at 0003, with the model's defaults: later
                # migrations add columns (with their own defaults) that it does not have.
                present = await connection.run_sync(
                    lambda sync: {c["name"] for c in sa.inspect(sync).get_columns(table.name)}
                )
                for column in table.c:
                    default = column.default
                    if column.name in present and default is not None and default.is_scalar:
                        values.setdefault(column.name, default.arg)  # type: ignore[attr-defined]
                given = sa.table(
                    table.name,
                    sa.column("id", sa.Integer),
                    *(sa.column(name, table.c[name].type) for name in values),
                )
                statement = sa.insert(given).values(**values).returning(given.c.id)
                return int((await connection.execute(statement)).scalar_one())

            organisation = await add(t.ORGANISATION, name="Org")
            site = await add(t.SITE, organisation_id=organisation, name="S", currency="GBP",
                             time_zone="Europe/London")  # fmt: skip
            customer = await add(t.CUSTOMER, organisation_id=organisation, full_name="C")
            terms = {"site_id": site, "organisation_id": organisation, "kind": "PERCENTAGE",
                     "percentage_bp": 1000, "minimum_spend": {}, "maximum_discount": {}}  # fmt: skip
            weekly = await add(t.DISCOUNT_CODE, code="WEEKLY", usage_period="P1W", times_used=0,
                               **terms)  # fmt: skip
            for index, (days, voided) in enumerate([(0, None), (0, now), (8, None), (9, None)]):
                await add(
                    t.REDEMPTION, site_id=site, organisation_id=organisation,
                    discount_code_id=weekly, customer_id=customer, amount=1, currency="GBP",
                    line_amounts=[1], redeemed_at=now - timedelta(days=days), voided_at=voided,
                    idempotency_key=f"k{index}", request_fingerprint="0" * 64,
                )  # fmt: skip
        # When it is migrated
        await upgrade(engine)
        # Then the counters are the ledger's live uses, and times_used too
        got = await counters(engine)
        this_week = usage_counters.bucket_at(UsagePeriod.P1W, now, "Europe/London")
        assert got[f"discount_code {weekly} total"] == 3
        assert got[f"discount_code {weekly} {this_week}"] == 1
        assert sum(n for key, n in got.items() if ":P1W:" in f":{key.split()[-1]}") == 3
        assert got[f"discount_code {weekly} customer:{customer}"] == 3
        async with engine.connect() as connection:
            used = await connection.scalar(sa.select(t.DISCOUNT_CODE.c.times_used))
        assert used == 3
        assert await drift(engine) == []
    finally:
        await engine.dispose()


def _writes(statements: list[str]) -> list[str]:
    first_words = ("INSERT", "UPDATE", "WITH")
    return [
        s.split(None, 1)[0].upper()
        for s in statements
        if s.lstrip().upper().startswith(first_words)
    ]


async def test_the_write_of_a_redemption_is_one_statement_and_a_taken_key_costs_none_more(
    gql: Any, make: Any, db: Any, app: Any
) -> None:
    from tests.http.conftest import statements_run

    # Given a coupon code held by the member (the owner, the code and the assignment count),
    # and a discount code that the same request may use again
    shop = await open_shop(make)
    coupon = await make.coupon(shop.site, max_uses=10, usage_period="P1W")
    code = await make.coupon_code(coupon, code="HELD", multi_use=True)
    await make.assignment(shop.member, code)
    await make.discount_code(shop.site, code="OPEN", max_uses=10)
    # When each is redeemed, and the discount code's request is sent again with its key
    with statements_run(app.state.engine) as held:
        await gql(REDEEM, {"input": shop.attempt("HELD", idempotencyKey="k1")})
    attempt = shop.attempt("OPEN", idempotencyKey="k2")
    with statements_run(app.state.engine) as first:
        redeemed = (await gql(REDEEM, {"input": attempt}))["redeemCode"]
    with statements_run(app.state.engine) as again:
        replayed = (await gql(REDEEM, {"input": attempt}))["redeemCode"]
    # Then on PostgreSQL a ledger row and all its counters are written by one statement
    # (SQLite cannot write in a CTE: there it is a statement a table)
    assert replayed["replayed"] and replayed["redemption"]["id"] == redeemed["redemption"]["id"]
    if db.dialect.name == "postgresql":
        assert _writes(held) == _writes(first) == ["WITH"]
        # The retry decides as the first did, sends the same statement, which finds the key
        # taken and writes nothing, then reads the redemption it answers
        assert _writes(again) == ["WITH"]
        assert len(again) == len(first) + 1
    coupon_counters = {k: n for k, n in (await counters(db)).items() if k.startswith("coupon ")}
    assert set(coupon_counters.values()) == {1}
    assert len(coupon_counters) == 5  # total, the week's bucket, customer, code, code+customer
    assert await drift(db) == []


async def test_ledger_rows_written_around_the_engine_are_counted_by_count_ledger_rows(
    make: Any, db: Any
) -> None:
    # Given ledger rows written as an import writes them (the factory calls count_ledger_rows):
    # a coupon code's with an assignment, a dated one in another month, a voided one, a
    # discount code's without a customer
    shop = await open_shop(make)
    coupon = await make.coupon(shop.site, usage_period="P1M")
    code = await make.coupon_code(coupon, code="IMPORTED", multi_use=True)
    held = await make.assignment(shop.member, code)
    box = await make.discount_code(shop.site, code="BOX")
    long_ago = datetime.now(UTC) - timedelta(days=70)
    await make.redemption(code, customer_id=shop.member.id, assignment_id=held.id)
    await make.redemption(code, customer_id=shop.member.id, redeemed_at=long_ago)
    await make.redemption(code, customer_id=shop.contact.id, voided_at=long_ago)
    await make.redemption(box)
    # Then every counter and times_used is the ledger's count
    assert await drift(db) == []
    got = await counters(db)
    assert got[f"coupon {coupon.id} total"] == 2
    assert got[f"coupon {coupon.id} customer:{shop.member.id}"] == 2
    assert got[f"discount_code {box.id} total"] == 1
    assert sum(n for key, n in got.items() if key.split()[-1].startswith("P1M:")) == 2
