"""Every committed write adds its change events in its own transaction; a refused or
rolled-back one adds none (app.db.events)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from app.db import events
from app.db import tables as t
from app.graphql.ids import parse_global_id
from tests.engine.support import REDEEM, VOID, gid, open_shop
from tests.events.support import event_types, stored_events
from tests.transfer.helpers import run_import, write_jsonl
from tests.transfer.test_import_command import _site as import_site
from tests.transfer.test_import_command import records as import_records

FAR = datetime(2030, 1, 1, tzinfo=UTC)  # the event's instant: not part of its payload

CREATE_COUPON = """mutation($site: ID!, $name: String!) {
  createCoupon(input: {siteId: $site, name: $name, terms: {kind: PERCENTAGE, percentage: "15"}}) {
    coupon { id updatedAt } userErrors { field code message } } }"""
UPDATE_COUPON = """mutation($id: ID!) {
  updateCoupon(input: {id: $id, name: "Renamed"}) { coupon { id } userErrors { code } } }"""
CREATE_CODE = """mutation($coupon: ID!) {
  createCouponCode(input: {couponId: $coupon, code: "SPRING15"}) {
    couponCode { id code } userErrors { field code message } } }"""
ASSIGN = """mutation($customer: ID!, $code: ID!) {
  assignCode(input: {customerId: $customer, couponCodeId: $code}) {
    assignment { id } userErrors { field code message } } }"""


def state(verb: str, type_name: str, field: str) -> str:
    return f"""mutation($id: ID!) {{ {verb}{type_name}(id: $id) {{
      {field} {{ id }} userErrors {{ code }} }} }}"""


async def test_each_write_adds_its_event(gql: Any, make: Any, db: Any) -> None:
    shop = await open_shop(make)
    created = await gql(CREATE_COUPON, {"site": gid(shop.site), "name": "Spring"})
    coupon = created["createCoupon"]["coupon"]
    await gql(UPDATE_COUPON, {"id": coupon["id"]})
    for verb in ("disable", "enable", "delete", "restore"):
        assert (await gql(state(verb, "Coupon", "coupon"), {"id": coupon["id"]}))[f"{verb}Coupon"][
            "userErrors"
        ] == []
    code = (await gql(CREATE_CODE, {"coupon": coupon["id"]}))["createCouponCode"]["couponCode"]
    await gql(ASSIGN, {"customer": gid(shop.member), "code": code["id"]})
    assert await event_types(db) == [
        "coupon.created", "coupon.updated", "coupon.disabled", "coupon.enabled",
        "coupon.deleted", "coupon.restored", "couponCode.created", "assignment.created",
    ]  # fmt: skip
    first = (await stored_events(db))[0]
    assert (first.object_type, first.site_id, first.organisation_id) == (
        "Coupon",
        shop.site.id,
        shop.organisation.id,
    )
    assert parse_global_id(coupon["id"]) == ("Coupon", first.object_id)
    assert first.payload["version"] == 1 and first.payload["name"] == "Spring"
    assert first.payload["percentage"] == "15.00"
    assert first.payload["site"] == {"id": gid(shop.site)}
    assert first.object_updated_at.isoformat() == first.payload["updatedAt"]


async def test_a_refused_write_adds_none(gql: Any, make: Any, db: Any) -> None:
    shop = await open_shop(make)
    coupon = (await gql(CREATE_COUPON, {"site": gid(shop.site), "name": "Spring"}))["createCoupon"][
        "coupon"
    ]
    await gql(CREATE_CODE, {"coupon": coupon["id"]})
    before = await event_types(db)
    # the same code again: the insert is refused by the unique index, the transaction rolls back
    again = (await gql(CREATE_CODE, {"coupon": coupon["id"]}))["createCouponCode"]
    assert again["userErrors"][0]["code"] == "CODE_TAKEN"
    # a state change that is a user error: enable what is enabled
    enabled = await gql(state("enable", "Coupon", "coupon"), {"id": coupon["id"]})
    assert enabled["enableCoupon"]["userErrors"][0]["code"] == "NOT_DISABLED"
    # bad input: nothing written at all
    bad = await gql(CREATE_COUPON, {"site": gid(shop.site), "name": " "})
    assert bad["createCoupon"]["userErrors"]
    assert await event_types(db) == before


async def test_a_bulk_change_adds_one_event_per_record_or_none(
    gql: Any, make: Any, db: Any
) -> None:
    shop = await open_shop(make)
    codes = [await make.discount_code(shop.site, code=f"BULK{n}") for n in range(3)]
    delete = """mutation($ids: [ID!]!) { deleteDiscountCodes(ids: $ids) {
      discountCodes { id } userErrors { field code } } }"""
    done = (await gql(delete, {"ids": [gid(c) for c in codes[:2]]}))["deleteDiscountCodes"]
    assert done["userErrors"] == []
    assert await event_types(db) == ["discountCode.deleted"] * 2
    # one of three already deleted: all or nothing, so no event at all
    refused = (await gql(delete, {"ids": [gid(c) for c in codes]}))["deleteDiscountCodes"]
    assert refused["userErrors"]
    assert await event_types(db) == ["discountCode.deleted"] * 2


async def test_a_redemption_and_its_void(gql: Any, make: Any, db: Any) -> None:
    shop = await open_shop(make)
    code = await make.discount_code(shop.site, code="SAVE10", max_uses=1)
    redeemed = await gql(REDEEM, {"input": shop.attempt("SAVE10", idempotencyKey="k1")})
    redemption = redeemed["redeemCode"]["redemption"]
    assert redemption is not None
    # a replay writes nothing; a refusal (the cap is full) writes nothing
    await gql(REDEEM, {"input": shop.attempt("SAVE10", idempotencyKey="k1")})
    full = await gql(REDEEM, {"input": shop.attempt("SAVE10", idempotencyKey="k2")})
    assert full["redeemCode"]["redemption"] is None
    assert await event_types(db) == ["redemption.created"]
    await gql(VOID, {"id": redemption["id"]})
    created, voided = await stored_events(db)
    assert voided.type == "redemption.voided" and voided.object_id == created.object_id
    assert parse_global_id(redemption["id"]) == ("Redemption", created.object_id)
    assert created.payload["discountCode"] == {"id": gid(code)}
    assert created.payload["customer"] == {"id": gid(shop.member)}
    assert created.payload["amount"] == redemption["amount"]
    assert created.payload["voidedAt"] is None and voided.payload["voidedAt"] is not None
    assert "requestFingerprint" not in created.payload
    assert created.site_id == shop.site.id


async def test_several_codes_on_one_order(gql: Any, make: Any, db: Any) -> None:
    shop = await open_shop(make)
    await make.discount_code(shop.site, code="A10", exclusive=False, combines_with_percentage=True)
    await make.discount_code(shop.site, code="B10", exclusive=False, combines_with_percentage=True)
    redeem = """mutation($input: RedeemCodesInput!) { redeemCodes(input: $input) {
      redemptions { id } userErrors { field code } } }"""
    attempt = shop.attempt("A10", idempotencyKey="set-1")
    del attempt["code"]
    answer = (await gql(redeem, {"input": {**attempt, "codes": ["A10", "B10"]}}))["redeemCodes"]
    assert answer["userErrors"] == [] and len(answer["redemptions"]) == 2
    assert await event_types(db) == ["redemption.created"] * 2


async def test_an_import_adds_one_event_per_object(
    db: Any, make: Any, database_url: str, tmp_path: Path
) -> None:
    site = await import_site(make)
    records = import_records()
    path = write_jsonl(tmp_path / "site.jsonl", records)
    dry = await run_import(database_url, site.id, "--format", "jsonl", "--dry-run", path)
    assert dry.status == 0 and await event_types(db) == []
    assert (await run_import(database_url, site.id, "--format", "jsonl", path)).status == 0
    stored = await stored_events(db)
    assert sorted(e.type for e in stored) == sorted(
        f"{r['type'][0].lower()}{r['type'][1:]}.created" for r in records
    )
    by_key = {(e.object_type, e.payload["uniqueId"]): e for e in stored}
    assert len(by_key) == len(records)
    coupon = next(e for e in stored if e.object_type == "Coupon")
    assert coupon.payload["name"] == next(r for r in records if r["type"] == "Coupon")["name"]
    # Imported history (ledger.insert_imported, events made by the database): each use's
    # event is the one Python makes of the stored row, under the row's own id.
    async with db.connect() as connection:
        uses = (await connection.execute(sa.select(t.REDEMPTION))).all()
    assert len(uses) == sum(r["type"] == "Redemption" for r in records) > 0
    for use in uses:
        event = by_key[("Redemption", str(use.unique_id))]
        expected = events.event_row(t.REDEMPTION, events.Verb.CREATED, use.id, use._mapping, FAR)
        assert event.payload == expected["payload"] and event.object_id == use.id
        assert event.payload["importedAt"] is not None
    assert all(e.object_id is not None and e.site_id in (site.id, None) for e in stored)
    # again, unchanged: nothing written, no event; an edit: one event per record it changes
    assert (await run_import(database_url, site.id, "--format", "jsonl", path)).status == 0
    assert len(await stored_events(db)) == len(records)
    records[1]["terms"] = {"maxUses": 50}
    records[3]["code"] = "SPRING-C"
    edited = write_jsonl(tmp_path / "b.jsonl", records)
    assert (await run_import(database_url, site.id, "--format", "jsonl", edited)).status == 0
    updated = (await stored_events(db))[len(records) :]
    assert sorted(e.type for e in updated) == ["coupon.updated", "couponCode.updated"]
    assert next(e for e in updated if e.object_type == "Coupon").payload["maxUses"] == 50


async def test_generated_codes_each_add_an_event(gql: Any, make: Any, db: Any) -> None:
    shop = await open_shop(make)
    coupon = await make.coupon(shop.site)
    generate = """mutation($coupon: ID!) { generateCouponCodes(couponId: $coupon, count: 30) {
      count userErrors { field code } } }"""
    answer = (await gql(generate, {"coupon": gid(coupon)}))["generateCouponCodes"]
    assert answer["userErrors"] == [] and answer["count"] == 30
    stored = await stored_events(db)
    assert [e.type for e in stored] == ["couponCode.created"] * 30
    assert len({e.object_id for e in stored}) == 30
    assert all(e.payload["coupon"] == {"id": gid(coupon)} for e in stored)


async def test_repeated_redemptions_each_add_theirs(gql: Any, make: Any, db: Any) -> None:
    """The second claim of a shape goes by the fast path's prepared statement (PostgreSQL):
    its event is written as the first's was."""
    shop = await open_shop(make)
    await make.discount_code(shop.site, code="AGAIN")
    ids = []
    for n in range(3):
        answer = await gql(REDEEM, {"input": shop.attempt("AGAIN", idempotencyKey=f"r{n}")})
        ids.append(parse_global_id(answer["redeemCode"]["redemption"]["id"]))
    stored = await stored_events(db)
    assert [("Redemption", e.object_id) for e in stored] == ids
    assert [e.payload["idempotencyKey"] for e in stored] == ["r0", "r1", "r2"]
    assert len({e.id for e in stored}) == 3
