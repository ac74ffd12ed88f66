"""nuwebgroup JSON:API documents (seed 004) read into transfer records and written back."""

from __future__ import annotations

import copy
import io
import json
from typing import Any

import pytest

from app.transfer.formats import nuweb
from app.transfer.registry import FormatError, Refusal
from app.transfer.site_facts import SiteFacts
from tests.transfer.formats.support import fixture, read_all, records_of, round_trip, write_all

SEED = "seed_004_nuweb_discount_code.json"


def comparable(document: dict[str, Any]) -> dict[str, Any]:
    """Less what the server makes: each record's URL and the currencies' display names."""
    document = copy.deepcopy(document)
    resources = document["data"] if isinstance(document["data"], list) else [document["data"]]
    for resource in resources:
        resource.pop("links", None)
    for included in document.get("included", []):
        included["attributes"] = {"code": included["attributes"]["code"]}
    return document


def seed() -> dict[str, Any]:
    return json.loads(fixture(SEED))


def as_bytes(document: Any) -> bytes:
    return json.dumps(document).encode()


def test_the_seed_document_reads_and_writes_back_equal() -> None:
    assert comparable(round_trip(nuweb, fixture(SEED), None, "single")) == comparable(seed())


def test_the_seed_code_becomes_a_fixed_discount_code_in_its_included_currency() -> None:
    [record] = records_of(nuweb, fixture(SEED))
    assert record["externalId"] == "1"
    assert record["code"] == "FIXED10"
    terms = record["terms"]
    assert terms["kind"] == "FIXED"
    assert terms["amounts"] == [{"currency": "GBP", "amount": 1000}]
    assert terms["minimumSpend"] == [{"currency": "GBP", "amount": 1000}]
    assert terms["maximumDiscount"] == [
        {"currency": "GBP", "amount": 2500},
        {"currency": "EUR", "amount": 3000},
    ]
    assert (terms["maxUses"], terms["maxUsesPerCustomer"], terms["maxUsesPerOrder"]) == (100, 2, 1)
    assert terms["eligibleCategories"] == [{"category": "OFFERING", "itemIds": ["1", "2"]}]
    assert terms["disabledAt"] is None
    assert terms["validTo"] == "2021-11-25T11:59:00.000000Z"


def test_a_percentage_code_keeps_two_decimals() -> None:
    document = seed()
    document["data"]["attributes"].update(type="percentage", amount=12.5)
    [record] = records_of(nuweb, as_bytes(document))
    assert (record["terms"]["kind"], record["terms"]["percentage"]) == ("PERCENTAGE", "12.5")
    written = write_all(nuweb, [record], None, "single")
    assert written["data"]["attributes"]["amount"] == 12.5
    assert written["data"]["attributes"]["type"] == "percentage"


def test_a_list_with_uses_becomes_codes_then_imported_uses() -> None:
    document = seed()
    use = {
        "type": "discountCodeUses", "id": 7,
        "attributes": {"orderId": "ORD-1", "customerId": "c-9", "amount": 250, "boxOffice": True,
                       "usedAt": "2021-11-23T10:00:00.000000Z", "voidedAt": None},
        "relationships": {"discountCode": {"data": {"type": "discountCodes", "id": 1}},
                          "currencies": {"data": {"type": "currencies", "id": 1}}},
    }  # fmt: skip
    document["data"] = [document["data"], use]
    code, redemption = records_of(nuweb, as_bytes(document))
    assert redemption == {
        "type": "Redemption", "externalId": "7", "discountCode": {"externalId": "1"}, "amount": 250,
        "redeemedAt": "2021-11-23T10:00:00.000000Z", "currency": "GBP", "customer": {"externalId": "c-9"},
        "orderReference": "ORD-1", "channel": "BOX_OFFICE", "voidedAt": None, "@record": 2,
    }  # fmt: skip
    written = write_all(nuweb, [code, redemption], None, "page")
    assert comparable(written) == comparable(document)


@pytest.mark.parametrize(
    ("change", "field", "reason"),
    [
        (
            lambda r: r["attributes"].update(type="free"),
            "attributes.type",
            "not fixed or percentage",
        ),
        (lambda r: r["attributes"].update(amount=10.5), "attributes.amount", "not a whole number"),
        (
            lambda r: r["attributes"].update(type="percentage", amount=10.555),
            "attributes.amount",
            "two decimals",
        ),
        (
            lambda r: r["relationships"]["currencies"]["data"].update(id=9),
            "relationships.currencies",
            "not in included",
        ),
        (
            lambda r: r["attributes"].update(maximumDiscount={"GBP": 1, "ZZZ": 2}),
            "attributes.maximumDiscount.ZZZ",
            "ISO 4217",
        ),
        (
            lambda r: r["attributes"].update(validFrom="22/11/2021"),
            "attributes.validFrom",
            "ISO 8601",
        ),
        (
            lambda r: r["relationships"]["saleItems"].update(data={"id": 1}),
            "relationships.saleItems",
            "list",
        ),
        (lambda r: r.update(type="saleItems"), "type", "not discountCodes"),
        (lambda r: r.update(attributes=None), "attributes", "attributes object"),
        # once an AttributeError that stopped the whole import
        (
            lambda r: r["relationships"].update(currencies=["GBP"]),
            "relationships.currencies",
            "not an object",
        ),
    ],
)
def test_a_malformed_resource_is_refused_naming_its_number_and_field(
    change: Any, field: str, reason: str
) -> None:
    document = seed()
    bad = copy.deepcopy(document["data"])
    change(bad)
    document["data"] = [document["data"], bad]
    good, refusal = read_all(nuweb, as_bytes(document))
    assert good["code"] == "FIXED10"
    assert isinstance(refusal, Refusal)
    assert (refusal.record, refusal.field) == (2, field)
    assert reason in refusal.reason


def test_without_a_currency_relationship_money_is_in_the_sites_currency() -> None:
    document = seed()
    document["data"]["relationships"]["currencies"]["data"] = None
    [record] = records_of(nuweb, as_bytes(document), SiteFacts(currency="EUR"))
    assert record["terms"]["amounts"] == [{"currency": "EUR", "amount": 1000}]
    [refusal] = read_all(nuweb, as_bytes(document))
    assert (refusal.record, refusal.field) == (1, "attributes.amount")


def test_included_after_data_is_found_in_a_stream_that_cannot_seek() -> None:
    class Pipe(io.BytesIO):
        def seekable(self) -> bool:
            return False

    [record] = nuweb.read(Pipe(fixture(SEED)), "pipe")
    assert record["terms"]["amounts"] == [{"currency": "GBP", "amount": 1000}]


def test_a_document_without_data_is_a_format_error() -> None:
    with pytest.raises(FormatError, match="no 'data'"):
        read_all(nuweb, b'{"included": []}')


def test_export_numbers_currencies_and_writes_deleted_codes_deleted_at() -> None:
    exported = {
        "type": "DiscountCode", "uniqueId": "6f1e8a4c-0000-4000-8000-000000000009", "externalId": None,
        "code": "BOX5", "createdAt": "2025-01-10T08:00:00+00:00", "deletedAt": "2025-02-01T00:00:00+00:00",
        "terms": {"kind": "PERCENTAGE", "percentage": "5.00", "amounts": [],
                  "minimumSpend": [{"currency": "EUR", "amount": 2000}], "maximumDiscount": [],
                  "boxOfficeOnly": True, "disabledAt": "2025-01-20T00:00:00+00:00", "active": False,
                  "eligibleCategories": [{"category": "PRICE_PLAN", "itemIds": ["3"]}]},
    }  # fmt: skip
    written = write_all(nuweb, [exported], SiteFacts(currency="EUR"), "page")
    [resource] = written["data"]
    assert resource["id"] == "6f1e8a4c-0000-4000-8000-000000000009"
    attributes = resource["attributes"]
    assert (attributes["type"], attributes["amount"], attributes["minimumSpend"]) == (
        "percentage",
        5,
        2000,
    )
    assert attributes["maximumDiscount"] is None
    assert attributes["deletedAt"] == "2025-02-01T00:00:00.000000Z"
    assert attributes["disabledAt"] == "2025-01-20T00:00:00.000000Z"
    assert resource["relationships"]["currencies"]["data"] == {"type": "currencies", "id": 1}
    assert resource["relationships"]["saleItems"]["data"] == []
    assert written["included"] == [
        {
            "type": "currencies",
            "id": 1,
            "attributes": {"name": "Euro", "code": "EUR", "symbol": None},
        }
    ]
