"""What a check and a redemption send to the database, counted (issue 16): a check is one
statement (the site with the customer and the code with every fact it needs:
app.db.code_facts.place_facts_statement), whatever the code's terms, once the site's time zone
is known to the process and the caller's search does not depend on the site's organisation;
two otherwise (the site, then the facts). A redemption on PostgreSQL adds the owner's lock and
the claim, which reads the counts under the lock and writes in the same statement. A cap found
full under the lock is answered from the claim's own counts."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import event

from app.db import tables as t
from app.db.session import write_sessions
from app.domain.enums import Reason, UsagePeriod
from app.services import redemptions
from app.services.engine_facts import CODE_TYPES, find_place, look, relock_all
from app.services.engine_request import build_request
from tests.conftest import token
from tests.engine.support import REDEEM, VALIDATE, Shop, gid, open_shop
from tests.http.conftest import statements_run

CHECK = "query($input: ValidateCodeInput!) { validateCode(input: $input) { valid reason } }"
CLAIM = """mutation($input: RedeemCodeInput!) {
  redeemCode(input: $input) { valid reason redemption { id } userErrors { code } } }"""
TRANSACTION = {"BEGIN", "BEGIN IMMEDIATE", "COMMIT", "ROLLBACK"}


def _sent(seen: list[str]) -> list[str]:
    """The statements, without the transaction's own (BEGIN, COMMIT)."""
    return [s for s in seen if s.strip().upper() not in TRANSACTION]


async def _codes(make: Any, shop: Shop) -> dict[str, Any]:
    """A discount code, a coupon's code, each with items, a per-customer cap, an order cap, a
    usage period; and a code assigned to the member."""
    site = shop.site
    capped = {
        "max_uses": 100, "max_uses_per_customer": 5, "max_uses_per_order": 3,
        "usage_period": UsagePeriod.P1D, "discount_bookings": True,
    }  # fmt: skip
    discount = await make.discount_code(site, code="DC-ALL", **capped)
    coupon = await make.coupon(site, **capped)
    await make.coupon_code(coupon, code="CC-ALL")
    assigned = await make.discount_code(site, code="DC-MINE")
    await make.assignment(shop.member, assigned)
    # a coupon code with its own window, assigned with one (timestamps the claim compares)
    window = {"valid_from": datetime(2020, 1, 1, 8, 30, 0, 123456, tzinfo=UTC)}
    mine = await make.coupon_code(
        coupon, code="CC-MINE", multi_use=True, valid_to=datetime(2999, 1, 1, tzinfo=UTC),
        **window,
    )  # fmt: skip
    await make.assignment(shop.member, mine, expires_on=datetime(2998, 1, 1, tzinfo=UTC), **window)
    return {"discount": discount, "coupon": coupon}


@pytest.mark.parametrize("code", ["DC-ALL", "CC-ALL", "DC-MINE", "NO-SUCH-CODE"])
@pytest.mark.parametrize("order", [None, "order-1"])
async def test_a_check_is_one_statement(
    gql: Any, app: Any, make: Any, code: str, order: str | None
) -> None:
    shop = await open_shop(make)
    await _codes(make, shop)
    attempt = shop.attempt(code, orderReference=order)
    await gql(CHECK, {"input": attempt})  # the site's zone, and the first of a shape
    with statements_run(app.state.engine) as seen:
        answer = (await gql(CHECK, {"input": attempt}))["validateCode"]
    assert answer["valid"] is (code != "NO-SUCH-CODE"), answer
    assert len(_sent(seen)) == 1, seen


async def test_a_site_whose_zone_changed_has_its_codes_read_again(
    gql: Any, app: Any, make: Any, db: Any
) -> None:
    """The facts read with the site were worked out in the zone it had: in another, the
    usage periods differ, and the facts are read again, in the new zone."""
    shop = await open_shop(make)
    await make.discount_code(shop.site, code="DAILY", max_uses=1, usage_period=UsagePeriod.P1D)
    attempt = shop.attempt("DAILY")
    await gql(CHECK, {"input": attempt})
    async with db.begin() as connection:
        await connection.execute(
            t.SITE.update().where(t.SITE.c.id == shop.site.id).values(time_zone="Asia/Tokyo")
        )
    with statements_run(app.state.engine) as seen:
        answer = (await gql(CHECK, {"input": attempt}))["validateCode"]
    assert answer["valid"], answer
    assert len(_sent(seen)) == 2, seen
    with statements_run(app.state.engine) as seen:
        answer = (await gql(CHECK, {"input": attempt}))["validateCode"]
    assert answer["valid"], answer
    assert len(_sent(seen)) == 1, seen


async def test_a_caller_with_rights_by_organisation_reads_the_site_first(
    gql: Any, app: Any, make: Any
) -> None:
    """Rights held on the organisation depend on the site's row: the search is known only
    once the site is read, and the facts follow in a second statement."""
    shop = await open_shop(make)
    await make.discount_code(shop.site, code="ORG-WIDE")
    token_ = token(
        subject="org@example.com",
        grants=[{"roles": ["DiscountCode-Read"], "organisations": [shop.site.organisation_id]}],
    )
    attempt = shop.attempt("ORG-WIDE")
    await gql(CHECK, {"input": attempt}, token=token_)
    with statements_run(app.state.engine) as seen:
        answer = (await gql(CHECK, {"input": attempt}, token=token_))["validateCode"]
    assert answer["valid"], answer
    assert len(_sent(seen)) == 2, seen


@pytest.mark.parametrize("code", ["DC-ALL", "CC-ALL", "DC-MINE", "CC-MINE"])
async def test_a_redemption_is_a_check_a_lock_and_one_claim(
    gql: Any, app: Any, make: Any, is_postgres: bool, code: str
) -> None:
    shop = await open_shop(make)
    await _codes(make, shop)
    await gql(CHECK, {"input": shop.attempt(code)})  # the site's zone is known
    with statements_run(app.state.engine) as seen:
        answer = await gql(CLAIM, {"input": {**shop.attempt(code), "idempotencyKey": "k1"}})
    assert answer["redeemCode"]["valid"], answer
    sent = _sent(seen)
    if is_postgres:
        # the check (1), then the claim in autocommit, which locks the owner (the coupon
        # code, the customer's assignment of a code reserved for its holders) in its
        # function (migration 0010), decides and writes: no BEGIN, no COMMIT
        assert len(sent) == 2, sent
        assert "discounts_claim_lock" in sent[1], sent
    else:
        # under SQLite's writer lock the check decides; the writes are separate statements:
        # the ledger row, times_used of each counted row (coupon, code, assignment), counters
        assert len(sent) <= 1 + (6 if code == "CC-MINE" else 5), sent
    with statements_run(app.state.engine) as seen:
        again = await gql(CLAIM, {"input": {**shop.attempt(code), "idempotencyKey": "k1"}})
    assert again["redeemCode"]["valid"], again


@pytest.mark.postgres_only
async def test_a_redemption_on_postgresql_is_sent_on_the_requests_reads(
    gql: Any, make: Any, is_postgres: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The API's redemption takes no write session of its own on PostgreSQL: its two
    statements go where the request's reads go (autocommit, app.db.claim.at_once_on)."""
    if not is_postgres:
        pytest.skip("SQLite redeems in a transaction")
    shop = await open_shop(make)
    await make.discount_code(shop.site, code="ON-READS")
    asked: list[bool] = []
    at_once_on = redemptions.at_once_on

    def recorded(db: Any) -> bool:
        asked.append(at_once_on(db))
        return asked[-1]

    monkeypatch.setattr(redemptions, "at_once_on", recorded)
    opened: list[Any] = []
    monkeypatch.setattr(redemptions, "transaction", lambda sessions: opened.append(1))
    answer = await gql(CLAIM, {"input": {**shop.attempt("ON-READS"), "idempotencyKey": "r1"}})
    assert answer["redeemCode"]["valid"], answer
    assert asked == [True] and opened == [], (asked, opened)


@pytest.mark.postgres_only
async def test_a_cap_found_full_under_the_lock_names_its_reason_from_the_claim(
    gql: Any, app: Any, make: Any, is_postgres: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first look sees a use left; another redemption takes it before the lock is ours:
    the claim writes nothing, and its counts give the reason, with no statement more."""
    if not is_postgres:
        pytest.skip("SQLite's writer lock is held from BEGIN: nothing comes in between")
    shop = await open_shop(make)
    code = await make.discount_code(shop.site, code="LAST-ONE", max_uses_per_customer=1)
    claim_at_once = redemptions.claim_at_once

    async def meanwhile(*args: Any) -> Any:
        # Another checkout redeems the code for the same customer while we wait for the lock.
        other = {**shop.attempt("LAST-ONE"), "idempotencyKey": "theirs"}
        monkeypatch.setattr(redemptions, "claim_at_once", claim_at_once)
        answer = await gql(CLAIM, {"input": other})
        assert answer["redeemCode"]["valid"], answer
        return await claim_at_once(*args)

    monkeypatch.setattr(redemptions, "claim_at_once", meanwhile)
    with statements_run(app.state.engine) as seen:
        answer = await gql(
            REDEEM, {"input": {**shop.attempt("LAST-ONE"), "idempotencyKey": "ours"}}
        )
    refused = answer["redeemCode"]
    assert (refused["valid"], refused["reason"], refused["redemption"]) == (
        False, "CUSTOMER_LIMIT_REACHED", None,
    )  # fmt: skip
    sent = _sent(seen)
    claims = [index for index, s in enumerate(sent) if "INSERT INTO redemption" in s]
    assert len(claims) == 2, sent  # theirs and ours
    # after our claim: only the key's lookup (a refusal answers an earlier redemption first)
    after = sent[claims[-1] + 1 :]
    assert len(after) == 1 and "idempotency_key" in after[0], after
    validated = await gql(VALIDATE, {"input": shop.attempt("LAST-ONE")})
    assert validated["validateCode"]["reason"] == "CUSTOMER_LIMIT_REACHED"
    assert gid(code)


async def test_several_codes_are_locked_in_one_order_whatever_the_order_asked(
    make: Any, engine: Any
) -> None:
    """For a basket of several codes (stacking): every owner first (coupons, then discount
    codes, by id), then the coupon codes by id, whatever order the codes come in."""
    shop = await open_shop(make)
    first_coupon, second_coupon = await make.coupon(shop.site), await make.coupon(shop.site)
    await make.coupon_code(second_coupon, code="B-CC")
    await make.coupon_code(first_coupon, code="A-CC")
    await make.discount_code(shop.site, code="C-DC")
    locked: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        # every statement of relock_all locks one row (none of these codes is assigned)
        table = statement.split("FROM", 1)[1].split()[0]
        locked.append((table, parameters))

    sessions = write_sessions(engine)
    async with sessions() as session, session.begin():
        place = await find_place(session, shop.site.id, shop.member.id)
        firsts = []
        for code in ("C-DC", "B-CC", "A-CC"):
            request = build_request(
                site_id=shop.site.id,
                code=code,
                currency="GBP",
                lines=[],
                customer_id=shop.member.id,
            )
            first = await look(session, place, request, frozenset(CODE_TYPES))
            assert not isinstance(first, Reason), code
            firsts.append((first, request))
        event.listen(engine.sync_engine, "before_cursor_execute", record)
        try:
            again = await relock_all(session, shop.site, firsts)
        finally:
            event.remove(engine.sync_engine, "before_cursor_execute", record)
    assert [g.code.code for g in again] == ["C-DC", "B-CC", "A-CC"]
    tables = [table for table, _ in locked]
    assert tables == ["coupon", "coupon", "discount_code", "coupon_code", "coupon_code"], locked
    ids = [list(p.values())[0] if isinstance(p, dict) else p[0] for _, p in locked]
    assert ids[:2] == sorted(ids[:2]) and ids[3:] == sorted(ids[3:]), locked
