"""Nexudus documents (seeds 000, 001, 002) read into transfer records and written back."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from app.transfer.formats import nexudus
from app.transfer.registry import FormatError, Refusal
from app.transfer.site_facts import SiteFacts
from tests.transfer.formats.support import (
    fixture,
    read_all,
    records_of,
    round_trip,
    without,
    write_all,
)

# Server-rendered display text, and the page's echo of the request (page size, sort order).
ASIDE = frozenset({"ToStringText", "CurrentPageSize", "PageSize", "CurrentOrderField",
                   "CurrentSortDirection"})  # fmt: skip
SEED_SITE = SiteFacts(external_id="0")
ACME = SiteFacts(external_id="1004", name="Acme Manhattan", currency="USD")


def doc(value: Any) -> bytes:
    return json.dumps(value).encode()


def discount_code(**fields: Any) -> dict[str, Any]:
    return {**json.loads(fixture("seed_001_nexudus_discount_code.json")), **fields}


def coworker_discount_code(**fields: Any) -> dict[str, Any]:
    return {**json.loads(fixture("seed_000_nexudus_coworker_discount_code.json")), **fields}


@pytest.mark.parametrize(
    ("name", "site", "envelope"),
    [
        ("seed_000_nexudus_coworker_discount_code.json", SEED_SITE, "record"),
        ("seed_001_nexudus_discount_code.json", ACME, "record"),
        ("seed_002_nexudus_coworker_discount_codes_page.json", SEED_SITE, "page"),
    ],
)
def test_each_seed_document_reads_and_writes_back_equal(
    name: str, site: SiteFacts, envelope: str
) -> None:
    original = json.loads(fixture(name))
    assert without(round_trip(nexudus, fixture(name), site, envelope), ASIDE) == without(
        original, ASIDE
    )


def test_a_discount_code_becomes_a_discount_code_record_with_its_terms() -> None:
    [record] = records_of(nexudus, fixture("seed_001_nexudus_discount_code.json"), ACME)
    assert record["type"] == "DiscountCode"
    assert record["externalId"] == "87654321"
    assert record["code"] == "WELCOME10"
    assert record["terms"]["kind"] == "PERCENTAGE"
    assert record["terms"]["percentage"] == "10"
    assert record["terms"]["expirationUnit"] == "MONTH"
    assert record["terms"]["expiresIn"] == 2
    assert record["terms"]["membersOnly"] is True
    assert record["terms"]["maxUsesPerCustomer"] == 1
    assert record["terms"]["eligibleCategories"] == [
        {"category": "PRICE_PLAN", "itemIds": ["1101", "1102"]},
        {"category": "BOOKING", "itemIds": []},
    ]
    assert record["@record"] == 1


@pytest.mark.parametrize(
    ("amount", "currency", "minor"),
    [(12.5, "USD", 1250), (500, "JPY", 500), (1.5, "KWD", 1500), (0.01, "GBP", 1)],
)
def test_discount_amount_is_major_units_of_the_business_currency(
    amount: float, currency: str, minor: int
) -> None:
    source = discount_code(
        DiscountPercentage=None, DiscountAmount=amount, BusinessCurrencyCode=currency
    )
    [record] = records_of(nexudus, doc(source))
    assert record["terms"]["kind"] == "FIXED"
    assert record["terms"]["amounts"] == [{"currency": currency, "amount": minor}]
    written = write_all(nexudus, [record], SiteFacts(currency=currency), "record")
    assert written["DiscountAmount"] == amount
    assert written["DiscountPercentage"] is None


def test_discount_amount_without_a_currency_takes_the_sites() -> None:
    source = discount_code(DiscountPercentage=None, DiscountAmount=20, BusinessCurrencyCode=None)
    [record] = records_of(nexudus, doc(source), SiteFacts(currency="EUR"))
    assert record["terms"]["amounts"] == [{"currency": "EUR", "amount": 2000}]


@pytest.mark.parametrize(
    ("fields", "field", "reason"),
    [
        ({"DiscountAmount": 5}, "DiscountAmount", "exclude each other"),
        ({"DiscountPercentage": None}, "DiscountPercentage", "is needed"),
        ({"DiscountPercentage": None, "DiscountAmount": 1.234}, "DiscountAmount", "more decimals"),
        ({"DiscountPercentage": 12.345}, "DiscountPercentage", "two decimals"),
        ({"ExpirationType": 5}, "ExpirationType", "1 Day, 2 Week, 3 Month or 4 Year"),
        ({"MaxUses": "many"}, "MaxUses", "not a whole number"),
        ({"ValidFrom": "soon"}, "ValidFrom", "not an ISO 8601 date-time"),
        ({"Tariffs": [1, None]}, "Tariffs[1]", "not a record id"),
        (
            {"BusinessCurrencyCode": "XXQ", "DiscountPercentage": None, "DiscountAmount": 1},
            "BusinessCurrencyCode",
            "not a current ISO 4217",
        ),
        (
            {"DiscountPricePlans": False, "DiscountBookings": False},
            "DiscountPricePlans",
            "discount nothing",
        ),
    ],
)
def test_a_malformed_record_is_refused_naming_its_number_and_field(
    fields: dict[str, Any], field: str, reason: str
) -> None:
    good = discount_code(Id=1, Code="FIRST")
    bad = discount_code(Id=2, Code="SECOND", **fields)
    found = read_all(nexudus, doc({"Records": [good, bad]}), ACME)
    assert found[0]["code"] == "FIRST"
    [refusal] = found[1:]
    assert isinstance(refusal, Refusal)
    assert (refusal.record, refusal.field) == (2, field)
    assert reason in refusal.reason
    assert refusal.source == json.loads(json.dumps(bad))


def test_added_and_removed_id_lists_apply_to_the_full_list() -> None:
    source = discount_code(Tariffs=[1, 2], AddedTariffs=[3, 2], RemovedTariffs=[1])
    [record] = records_of(nexudus, doc(source), ACME)
    assert record["terms"]["eligibleCategories"][0] == {
        "category": "PRICE_PLAN",
        "itemIds": ["2", "3"],
    }


def test_a_record_of_neither_kind_is_refused() -> None:
    [refusal] = read_all(nexudus, doc([{"Name": "a tariff"}]))
    assert isinstance(refusal, Refusal)
    assert refusal.record == 1
    assert "neither a DiscountCode" in refusal.reason


@pytest.mark.parametrize("content", [b"", b"{not json", b"42", b'{"Records": [{"Code": "A"}'])
def test_a_file_that_is_not_a_document_of_records_is_a_format_error(content: bytes) -> None:
    with pytest.raises(FormatError, match="doc.json"):
        read_all(nexudus, content)


def test_times_used_becomes_that_many_imported_uses_of_the_assignment() -> None:
    source = coworker_discount_code(
        CoworkerId=17, CoworkerFullName="Ada Lovelace", DiscountCodeId=5, TimesUsed=3
    )
    customer, assignment, *uses = records_of(nexudus, doc(source))
    assert customer == {
        "type": "Customer", "externalId": "17", "fullName": "Ada Lovelace",
        "billingName": None, "companyName": None, "@record": 1,
    }  # fmt: skip
    assert assignment["customer"] == {"externalId": "17"}
    assert assignment["discountCode"] == {"externalId": "5"}
    assert [use["externalId"] for use in uses] == [
        "87654321#use-1",
        "87654321#use-2",
        "87654321#use-3",
    ]
    for use in uses:
        assert use["type"] == "Redemption"
        assert use["amount"] == 0
        assert use["redeemedAt"] == "2025-01-10T08:00:00Z"
        assert use["assignment"] == {"externalId": "87654321"}
        assert use["discountCode"] == {"externalId": "5"}
        assert use["customer"] == {"externalId": "17"}
        assert use["@record"] == 1


def test_uses_need_the_records_id_and_creation_date() -> None:
    found = read_all(nexudus, doc([
        coworker_discount_code(Id=None, TimesUsed=1),
        coworker_discount_code(CreatedOn=None, TimesUsed=1),
        coworker_discount_code(CreatedOn=None, TimesUsed=0),
    ]))  # fmt: skip
    refusals = [(r.record, r.field) for r in found if isinstance(r, Refusal)]
    assert refusals == [(1, "Id"), (2, "CreatedOn")]


def test_a_coworker_is_emitted_once_for_consecutive_assignments() -> None:
    page = {
        "Records": [coworker_discount_code(Id=i, CoworkerId=9, DiscountCodeId=i) for i in (1, 2, 3)]
    }
    types = [r["type"] for r in records_of(nexudus, doc(page))]
    assert types == ["Customer", "Assignment", "Assignment", "Assignment"]


def test_export_derives_the_coworker_site_and_code_fields() -> None:
    exported = [
        {"type": "Customer", "uniqueId": "6f1e8a4c-0000-4000-8000-000000000001", "externalId": "17",
         "kind": "COMPANY", "fullName": "Analytical Engines Ltd", "billingName": "AE Billing",
         "companyName": "Analytical Engines"},
        {"type": "DiscountCode", "uniqueId": "6f1e8a4c-0000-4000-8000-000000000002", "externalId": None,
         "code": "NYC10", "description": None, "createdAt": "2025-01-10T08:00:00+00:00",
         "updatedAt": "2025-01-10T08:00:00.250000+00:00", "updatedBy": "ops", "deletedAt": None,
         "timesUsed": 2,
         "terms": {"kind": "FIXED", "percentage": None, "amounts": [{"currency": "USD", "amount": 1050}],
                   "active": False, "validFrom": "2025-02-01T05:00:00+00:00", "validTo": None,
                   "eligibleCategories": []}},
        {"type": "Assignment", "uniqueId": "6f1e8a4c-0000-4000-8000-000000000003", "externalId": "77",
         "customer": {"externalId": "17", "uniqueId": "6f1e8a4c-0000-4000-8000-000000000001"},
         "discountCode": {"uniqueId": "6f1e8a4c-0000-4000-8000-000000000002"},
         "notes": "newsletter", "timesUsed": 2, "expiresOn": "2025-03-01T00:00:00+00:00",
         "createdAt": "2025-01-12T09:00:00+00:00"},
        {"type": "Redemption", "externalId": "77#use-1", "amount": 0, "redeemedAt": "2025-01-10T08:00:00+00:00",
         "discountCode": {"uniqueId": "6f1e8a4c-0000-4000-8000-000000000002"}},
    ]  # fmt: skip
    page = write_all(nexudus, exported, ACME, "page")
    code, assignment = page["Records"]
    assert code["Id"] == "6f1e8a4c-0000-4000-8000-000000000002"
    assert (code["BusinessId"], code["BusinessName"], code["BusinessCurrencyCode"]) == (
        1004,
        "Acme Manhattan",
        "USD",
    )
    assert (code["DiscountAmount"], code["DiscountPercentage"], code["Active"]) == (
        10.5,
        None,
        False,
    )
    assert code["ValidFrom"] == "2025-02-01T05:00:00Z"
    assert code["UpdatedOn"] == "2025-01-10T08:00:00.250000Z"
    # Everything eligible: every Nexudus category, no id list.
    assert [
        code[f]
        for f in ("DiscountPricePlans", "DiscountBookings", "DiscountProducts", "DiscountEvents")
    ] == [True] * 4
    assert assignment["Id"] == 77
    assert assignment["CoworkerId"] == 17
    assert assignment["CoworkerCoworkerType"] == "Company"
    assert assignment["CoworkerFullName"] == "Analytical Engines Ltd"
    assert assignment["CoworkerBillingName"] == "AE Billing"
    assert assignment["CoworkerCompanyName"] == "Analytical Engines"
    assert assignment["DiscountCodeId"] == code["Id"]
    assert (assignment["DiscountCodeCode"], assignment["DiscountCodeActive"]) == ("NYC10", False)
    assert assignment["DiscountCodeValidFrom"] == "2025-02-01T05:00:00Z"
    assert (assignment["TimesUsed"], assignment["Notes"]) == (2, "newsletter")
    assert assignment["ExpiresOn"] == "2025-03-01T00:00:00Z"
    assert (page["TotalItems"], page["LastItem"], page["HasNextPage"]) == (2, 2, False)

    # And what was written reads back to the same discount code and assignment.
    code_again, customer, assignment_again, *uses = records_of(
        nexudus, json.dumps(page).encode(), ACME
    )
    assert code_again["terms"]["amounts"] == [{"currency": "USD", "amount": 1050}]
    assert customer["fullName"] == "Analytical Engines Ltd"
    assert assignment_again["discountCode"] == {
        "externalId": "6f1e8a4c-0000-4000-8000-000000000002"
    }
    assert len(uses) == 2


def test_a_stream_that_cannot_seek_is_read_too() -> None:
    class Pipe(io.BytesIO):
        def seekable(self) -> bool:
            return False

    found = list(
        nexudus.read(Pipe(fixture("seed_002_nexudus_coworker_discount_codes_page.json")), "pipe")
    )
    assert [r["type"] for r in found] == ["Customer", "Assignment"]
