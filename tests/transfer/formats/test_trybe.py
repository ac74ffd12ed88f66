"""Trybe documents (seed 003: coupons, coupon codes, usage, customers) read and written back."""

from __future__ import annotations

import json
from typing import Any

import pytest

from app.transfer.formats import trybe
from app.transfer.registry import Refusal
from app.transfer.site_facts import SiteFacts
from tests.transfer.formats.support import fixture, read_all, records_of, round_trip, write_all

SEED = "seed_003_trybe_coupon.json"
SPA = SiteFacts(external_id="65a1f0c2e4b0a1b2c3d40001", name="Spa", currency="GBP")


def seed() -> dict[str, Any]:
    return json.loads(fixture(SEED))


def as_bytes(document: Any) -> bytes:
    return json.dumps(document).encode()


def test_the_seed_page_reads_and_writes_back_equal() -> None:
    assert round_trip(trybe, fixture(SEED), SPA, "page") == seed()


def test_one_coupon_code_in_its_data_envelope_reads_and_writes_back_equal() -> None:
    single = {"data": seed()["data"][3]}
    assert round_trip(trybe, as_bytes(single), SPA, "single") == single


def test_the_seed_page_becomes_customer_coupon_codes_and_an_imported_use() -> None:
    customer, coupon, shared, allocated, use = records_of(trybe, fixture(SEED), SPA)
    assert customer["type"] == "Customer"
    assert customer["fullName"] == "Ada Lovelace"
    assert coupon["terms"]["kind"] == "PERCENTAGE"
    assert coupon["terms"]["usagePeriod"] == "P1M"
    assert coupon["terms"]["maxUses"] == 200
    assert coupon["terms"]["leadBookerOnly"] is True
    assert coupon["terms"]["minimumSpend"] == [{"currency": "GBP", "amount": 5000}]
    assert coupon["terms"]["eligibleCategories"][0]["category"] == "OFFERING"
    assert shared["coupon"] == {"externalId": coupon["externalId"]}
    assert (shared["multiUse"], shared["customer"]) == (True, None)
    assert allocated["customer"] == {"externalId": customer["externalId"]}
    assert (allocated["customerCreditId"], allocated["revenue"]) == ("cc-7781", 4500)
    assert use["type"] == "Redemption"
    assert use["couponCode"] == {"externalId": shared["externalId"]}
    assert (use["amount"], use["currency"], use["orderReference"]) == (1350, "GBP", "BK-10021")
    assert use["redeemedAt"] == "2025-03-02T10:15:00Z"
    assert [r["@record"] for r in (customer, coupon, shared, allocated, use)] == [1, 2, 3, 4, 5]


def test_a_fixed_coupon_takes_the_site_currency_when_it_names_none() -> None:
    coupon = {
        **seed()["data"][1],
        "discount_type": "fixed",
        "percentage": None,
        "amount": 1000,
        "currency": None,
    }
    [record] = records_of(trybe, as_bytes([coupon]), SiteFacts(currency="EUR"))
    assert record["terms"]["amounts"] == [{"currency": "EUR", "amount": 1000}]
    [refusal] = read_all(trybe, as_bytes([coupon]))
    assert (refusal.record, refusal.field) == (1, "amount")


@pytest.mark.parametrize(
    ("index", "fields", "field", "reason"),
    [
        (1, {"usage_period": "P2W"}, "usage_period", "P1D, P1W, P1M or P1Y"),
        (1, {"discount_type": "bogof"}, "discount_type", "not percentage or fixed"),
        (1, {"percentage": 15.555}, "percentage", "two decimals"),
        (1, {"offering_ids": "all"}, "offering_ids", "not a list"),
        (2, {"multi_use": "yes"}, "multi_use", "not true or false"),
        (2, {"revenue": 12.5}, "revenue", "not a whole number"),
        (2, {"valid_to_date": "next week"}, "valid_to_date", "ISO 8601"),
        (4, {"used_at": None}, "used_at", "the time it was made"),
        (4, {"id": None}, "id", "re-import"),
        (4, {"currency": "pounds"}, "currency", "ISO 4217"),
    ],
)
def test_a_malformed_record_is_refused_naming_its_number_and_field(
    index: int, fields: dict[str, Any], field: str, reason: str
) -> None:
    document = seed()
    document["data"][index].update(fields)
    found = read_all(trybe, as_bytes(document), SPA)
    [refusal] = [r for r in found if isinstance(r, Refusal)]
    assert (refusal.record, refusal.field) == (index + 1, field)
    assert reason in refusal.reason
    assert len(found) == 5


def test_a_record_of_no_known_kind_is_refused() -> None:
    [refusal] = read_all(trybe, as_bytes({"data": [{"id": "x", "price": 10}]}))
    assert isinstance(refusal, Refusal)
    assert refusal.record == 1
    assert "not a coupon" in refusal.reason


def test_export_writes_uses_with_their_code_and_coupon() -> None:
    exported = [
        {"type": "Coupon", "uniqueId": "6f1e8a4c-0000-4000-8000-00000000000a", "externalId": "c1",
         "name": "Winter", "terms": {"kind": "FIXED", "amounts": [{"currency": "GBP", "amount": 500}],
                                     "eligibleCategories": []}},
        {"type": "CouponCode", "uniqueId": "6f1e8a4c-0000-4000-8000-00000000000b", "externalId": None,
         "coupon": {"externalId": "c1", "uniqueId": "6f1e8a4c-0000-4000-8000-00000000000a"}, "code": "WINTER",
         "multiUse": True, "customer": None},
        {"type": "DiscountCode", "uniqueId": "6f1e8a4c-0000-4000-8000-00000000000c", "code": "NOPE"},
        {"type": "Redemption", "uniqueId": "6f1e8a4c-0000-4000-8000-00000000000d", "externalId": None,
         "couponCode": {"uniqueId": "6f1e8a4c-0000-4000-8000-00000000000b"},
         "coupon": {"externalId": "c1"}, "amount": 500, "currency": "GBP",
         "redeemedAt": "2025-01-02T03:04:05+00:00", "voidedAt": "2025-01-03T00:00:00+00:00"},
    ]  # fmt: skip
    page = write_all(trybe, exported, SPA, "page")
    coupon, code, use = page["data"]
    assert (coupon["discount_type"], coupon["amount"], coupon["offering_ids"]) == (
        "fixed",
        500,
        None,
    )
    assert code["id"] == "6f1e8a4c-0000-4000-8000-00000000000b"
    assert use["coupon_code_id"] == code["id"]
    assert (use["coupon_id"], use["code"]) == ("c1", "WINTER")
    assert use["voided_at"] == "2025-01-03T00:00:00Z"
    assert page["meta"]["total"] == 3
