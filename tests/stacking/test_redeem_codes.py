"""redeemCodes through HTTP with real tokens: every code of the set redeemed in one
transaction or none, one idempotency key for the set, and voids that give each use back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from app.db import usage_counters
from app.domain.enums import DiscountKind
from tests.engine.support import VOID, ledger_rows, open_shop, role_token, times_used
from tests.stacking.support import BOTH_KINDS, REDEEM_CODES, by_code, codes_input, docs_codes


async def redeem(gql: Any, variables: dict[str, Any], key: str, **kw: Any) -> dict[str, Any]:
    given = {"input": {**variables, "idempotencyKey": key}}
    return (await gql(REDEEM_CODES, given, **kw))["redeemCodes"]  # type: ignore[no-any-return]


async def no_drift(db: Any) -> None:
    async with db.connect() as connection, connection.begin():
        drift = await usage_counters.recount(connection, fix=False)
    assert [str(found) for found in drift] == []


async def test_a_pair_is_redeemed_together_and_a_retry_answers_it_again(
    gql: Any, make: Any, db: Any
) -> None:
    shop = await open_shop(make)
    codes = await docs_codes(make, shop)
    answer = await redeem(gql, codes_input(shop, ["FIVEOFF", "TENPC"]), "order-1")
    assert answer["userErrors"] == []
    assert (answer["valid"], answer["replayed"], answer["discountTotal"]) == (True, False, 1150)
    # One redemption per code, in the order sent, each with what that code took off.
    amounts = [
        (r["discountCode"]["code"], r["amount"], r["lineAmounts"]) for r in answer["redemptions"]
    ]
    assert amounts == [("FIVEOFF", 500, [308, 192]), ("TENPC", 650, [400, 250])]
    for name in ("FIVEOFF", "TENPC"):
        assert await times_used(db, codes[name]) == 1
    # The same key and set: the same redemptions, nothing written again.
    again = await redeem(gql, codes_input(shop, ["fiveoff", "TENPC "]), "order-1")
    assert again["replayed"] and again["valid"]
    assert [r["id"] for r in again["redemptions"]] == [r["id"] for r in answer["redemptions"]]
    assert again["discountTotal"] == 1150 and again["lines"] == answer["lines"]
    # The same key with another set (here: another order of the codes) is an error.
    other = await redeem(gql, codes_input(shop, ["TENPC", "FIVEOFF"]), "order-1")
    assert [(e["field"], e["code"]) for e in other["userErrors"]] == [
        (["input", "idempotencyKey"], "IDEMPOTENCY_KEY_REUSED")
    ]
    assert len(await ledger_rows(db, site_id=shop.site.id)) == 2
    await no_drift(db)


async def test_a_set_with_a_refused_code_writes_nothing(gql: Any, make: Any, db: Any) -> None:
    shop = await open_shop(make)
    codes = await docs_codes(make, shop)
    answer = await redeem(gql, codes_input(shop, ["TENPC", "FIVEOFF", "HALF"]), "order-2")
    assert (answer["valid"], answer["redemptions"], answer["discountTotal"]) == (False, [], 0)
    assert by_code(answer)["HALF"]["reason"] == "DOES_NOT_COMBINE"
    assert by_code(answer)["TENPC"]["applied"]
    assert await ledger_rows(db, site_id=shop.site.id) == []
    assert [await times_used(db, code) for code in codes.values()] == [0, 0, 0]
    # Nothing was written under the key: the set that applies may use it.
    answer = await redeem(gql, codes_input(shop, ["TENPC", "FIVEOFF"]), "order-2")
    assert answer["valid"] and len(answer["redemptions"]) == 2


async def test_a_cap_found_full_under_the_lock_undoes_the_whole_set(
    gql: Any, make: Any, db: Any
) -> None:
    # Two codes of one coupon that has one use left: each passes on its own, but the set's
    # second use of the coupon passes its cap, which only the locked re-check sees.
    shop = await open_shop(make)
    coupon = await make.coupon(shop.site, max_uses=1, **BOTH_KINDS)
    first = await make.coupon_code(coupon, code="TWIN-A", multi_use=True)
    second = await make.coupon_code(coupon, code="TWIN-B", multi_use=True)
    solo = await make.discount_code(
        shop.site, code="SOLO", kind=DiscountKind.FIXED, amounts={"GBP": 100}, **BOTH_KINDS
    )
    answer = await redeem(gql, codes_input(shop, ["SOLO", "TWIN-B", "TWIN-A"]), "twins")
    assert (answer["valid"], answer["redemptions"]) == (False, [])
    codes = by_code(answer)
    # Locks go by owner then code: TWIN-A is claimed first, TWIN-B finds the cap full.
    assert codes["TWIN-B"]["reason"] == "USAGE_LIMIT_REACHED"
    assert codes["TWIN-A"]["applied"] and codes["SOLO"]["applied"]
    assert await ledger_rows(db, site_id=shop.site.id) == []
    for row in (coupon, first, second, solo):
        assert await times_used(db, row) == 0
    await no_drift(db)
    # One code of the coupon with SOLO fits.
    answer = await redeem(gql, codes_input(shop, ["SOLO", "TWIN-B"]), "twins")
    assert answer["valid"] and await times_used(db, coupon) == 1


async def test_voiding_the_orders_redemptions_gives_every_use_back(
    gql: Any, make: Any, db: Any
) -> None:
    shop = await open_shop(make)
    codes = await docs_codes(make, shop)
    capped = {"TENPC": codes["TENPC"], "FIVEOFF": codes["FIVEOFF"]}
    answer = await redeem(gql, codes_input(shop, ["TENPC", "FIVEOFF"]), "order-3")
    till = role_token("till", ["DiscountCode-Redeem"], shop.site)
    for redemption in answer["redemptions"]:
        voided = (await gql(VOID, {"id": redemption["id"]}, token=till))["voidRedemption"]
        assert voided["userErrors"] == [] and voided["redemption"]["voidedAt"]
    for code in capped.values():
        assert await times_used(db, code) == 0
    await no_drift(db)
    # Each code's statistics count its own uses: redeemed again, one each.
    await redeem(gql, codes_input(shop, ["TENPC", "FIVEOFF"]), "order-4")
    rows = await ledger_rows(db, site_id=shop.site.id, voided_at=None)
    assert sorted(row.discount_code_id for row in rows) == sorted(c.id for c in capped.values())


async def test_bad_input_writes_nothing(gql: Any, make: Any, db: Any) -> None:
    shop = await open_shop(make)
    await docs_codes(make, shop)
    answer = await redeem(gql, codes_input(shop, ["TENPC", "TENPC"]), "k" * 121)
    found = sorted((".".join(e["field"]), e["code"]) for e in answer["userErrors"])
    assert found == [("input.codes.1", "NOT_ALLOWED"), ("input.idempotencyKey", "OUT_OF_RANGE")]
    assert await ledger_rows(db, site_id=shop.site.id) == []


async def test_only_an_import_may_date_a_set_and_never_ahead(gql: Any, make: Any, db: Any) -> None:
    # redeemCodes takes redeemCode's `at`, with its rule (Redeemer.rights_at): a checkout may
    # not date a set into a closed window; an import may record a past one, nobody a future one
    shop = await open_shop(make)
    await docs_codes(make, shop)
    pair = ["FIVEOFF", "TENPC"]
    checkout = role_token("checkout", ["DiscountCode-Redeem"], shop.site)
    importer = role_token("import", ["Redemption-Create", "DiscountCode-Redeem"], shop.site)
    past = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)
    dated = codes_input(shop, pair, at=past.isoformat())
    refused = await redeem(gql, dated, "checkout-1", token=checkout)
    assert [(e["field"], e["code"]) for e in refused["userErrors"]] == [
        (["input", "at"], "FORBIDDEN")
    ]
    assert "a redemption happens now" in refused["userErrors"][0]["message"]
    assert (refused["valid"], refused["redemptions"]) == (False, [])
    assert await ledger_rows(db, site_id=shop.site.id) == []
    for token, key in ((importer, "import-1"), (..., "admin-1")):
        answer = await redeem(gql, dated, key, token=token)
        assert (answer["userErrors"], answer["valid"]) == ([], True), answer
    rows = await ledger_rows(db, site_id=shop.site.id)
    assert [row.redeemed_at for row in rows] == [past] * 4
    ahead = codes_input(shop, pair, at=(datetime.now(UTC) + timedelta(minutes=5)).isoformat())
    for token, key in ((importer, "import-2"), (..., "admin-2")):
        answer = await redeem(gql, ahead, key, token=token)
        assert [(e["field"], e["code"]) for e in answer["userErrors"]] == [
            (["input", "at"], "OUT_OF_RANGE")
        ]
    assert len(await ledger_rows(db, site_id=shop.site.id)) == 4
    await no_drift(db)
