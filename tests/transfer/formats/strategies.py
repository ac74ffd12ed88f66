"""Hypothesis strategies for vendor documents, consistent as a vendor's own export would be
(a coworker has one name, a code's copied fields match the code, ids are unique)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from app.transfer.site_facts import SiteFacts

SITE = SiteFacts(external_id="1004", name="Acme", currency="GBP")

_moments = st.datetimes(
    min_value=datetime(2015, 1, 1), max_value=datetime(2035, 12, 31), timezones=st.just(UTC)
)
seconds = _moments.map(lambda m: m.strftime("%Y-%m-%dT%H:%M:%SZ"))
micros = _moments.map(lambda m: m.strftime("%Y-%m-%dT%H:%M:%S.%fZ"))
names = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=20
)
maybe_names = st.none() | names
counts = st.none() | st.integers(0, 10_000)
uuids = st.uuids().map(str)
codes = st.text("ABCDEFGHJKMNPQRSTUVWXYZ23456789-_", min_size=1, max_size=12)


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


percentages = st.integers(1, 10_000).map(lambda bp: _number(Decimal(bp) / 100))
minor_amounts = st.integers(0, 10_000_000)


@st.composite
def nexudus_pages(draw: st.DrawFn) -> tuple[Any, str]:
    """A Nexudus document of DiscountCodes then CoworkerDiscountCodes, and its envelope."""
    ids = iter(draw(st.lists(st.integers(1, 10**9), min_size=20, max_size=20, unique=True)))
    codes_written = []
    for _ in range(draw(st.integers(0, 3))):
        fixed = draw(st.booleans())
        flags = draw(st.lists(st.booleans(), min_size=4, max_size=4).filter(any))
        lists = [
            draw(st.lists(st.integers(1, 99_999), max_size=3, unique=True)) if on else []
            for on in flags
        ]
        code = {
            "BusinessId": 1004, "BusinessName": "Acme", "BusinessCurrencyCode": "GBP",
            "Code": draw(codes), "Description": draw(maybe_names), "Active": draw(st.booleans()),
            "PublishFrom": draw(st.none() | seconds), "PublishTo": draw(st.none() | seconds),
            "DiscountPercentage": None if fixed else draw(percentages),
            "DiscountAmount": draw(minor_amounts.map(lambda m: _number(Decimal(m) / 100))) if fixed else None,
            "ReferralDiscount": draw(st.booleans()),
            "DiscountPricePlans": flags[0], "Tariffs": lists[0],
            "DiscountBookings": flags[1], "ResourceTypes": lists[1],
            "DiscountProducts": flags[2], "Products": lists[2],
            "DiscountEvents": flags[3], "EventCategories": lists[3],
            "MaxUsesPerUser": draw(counts), "MaxUses": draw(counts),
            "OnlyForContacts": draw(st.booleans()), "OnlyForMembers": draw(st.booleans()),
            "ValidFrom": draw(st.none() | seconds), "ValidTo": draw(st.none() | seconds),
            "ExpirationType": draw(st.integers(0, 4)), "ExpiresIn": draw(st.none() | st.integers(1, 100)),
            "Id": next(ids), "UpdatedOn": draw(seconds), "CreatedOn": draw(seconds),
            "UniqueId": draw(uuids), "UpdatedBy": draw(st.none() | names), "IsNew": False,
            "SystemId": None, "ToStringText": "", "LocalizationDetails": None, "CustomFields": None,
        }  # fmt: skip
        codes_written.append(code)
    coworkers = {
        coworker_id: {
            "CoworkerId": coworker_id,
            "CoworkerCoworkerType": draw(st.sampled_from([None, "Individual", "Company"])),
            "CoworkerFullName": draw(maybe_names),
            "CoworkerBillingName": draw(maybe_names),
            "CoworkerCompanyName": draw(maybe_names),
        }
        for coworker_id in draw(
            st.lists(st.integers(0, 10**6), min_size=1, max_size=3, unique=True)
        )
    }
    envelope = draw(st.sampled_from(["page", "list"]))
    assignments = []
    for _ in range(draw(st.integers(0, 4))):
        code = draw(st.none() | st.sampled_from(codes_written)) if codes_written else None
        assignment = {
            **coworkers[draw(st.sampled_from(sorted(coworkers)))],
            "BusinessId": 1004, "BusinessName": "Acme",
            "DiscountCodeId": code["Id"] if code else next(ids),
            "DiscountCodeCode": code and code["Code"], "DiscountCodeActive": code and code["Active"],
            "DiscountCodeValidFrom": code and code["ValidFrom"], "DiscountCodeValidTo": code and code["ValidTo"],
            "Notes": draw(maybe_names),
            "TimesUsed": draw(st.integers(0, 3)),
            "ValidFrom": draw(st.none() | seconds), "ExpiresOn": draw(st.none() | seconds),
            "RefererGuid": draw(st.none() | uuids), "BookingUniqueId": draw(st.none() | uuids),
            "Id": next(ids), "UpdatedOn": draw(seconds), "CreatedOn": draw(seconds),
            "UniqueId": draw(uuids), "UpdatedBy": draw(st.none() | names), "IsNew": False,
            "SystemId": None, "ToStringText": "", "LocalizationDetails": None, "CustomFields": None,
        }  # fmt: skip
        if envelope == "page" and draw(st.booleans()):
            del assignment["Notes"]  # as Nexudus' search pages leave it out
        assignments.append(assignment)
    records = codes_written + assignments
    if envelope == "list":
        return records, envelope
    count = len(records)
    return {
        "Records": records, "CurrentPageSize": count, "CurrentPage": 1, "CurrentOrderField": "Id",
        "CurrentSortDirection": 0, "FirstItem": 1 if count else 0, "HasNextPage": False,
        "HasPreviousPage": False, "LastItem": count, "PageNumber": 1, "PageSize": count,
        "TotalItems": count, "TotalPages": 1,
    }, envelope  # fmt: skip


@st.composite
def trybe_pages(draw: st.DrawFn) -> dict[str, Any]:
    """A Trybe page of customers, coupons, their codes and their uses."""
    object_ids = iter(
        draw(
            st.lists(
                st.text("0123456789abcdef", min_size=24, max_size=24),
                min_size=30,
                max_size=30,
                unique=True,
            )
        )
    )
    words = st.text("abcdefghijklmnopqrstuvwxyzéß", min_size=1, max_size=10)
    customers = [
        {"id": draw(uuids), "first_name": draw(words),
         "last_name": draw(st.none() | st.lists(words, min_size=1, max_size=2).map(" ".join)),
         "email": draw(st.none() | st.emails()), "created_at": draw(seconds), "updated_at": draw(seconds)}
        for _ in range(draw(st.integers(0, 2)))
    ]  # fmt: skip
    coupons = []
    for _ in range(draw(st.integers(1, 2))):
        fixed = draw(st.booleans())
        coupon = {
            "id": next(object_ids), "site_id": SITE.external_id, "name": draw(names),
            "description": draw(maybe_names), "discount_type": "fixed" if fixed else "percentage",
            "percentage": None if fixed else draw(percentages),
            "amount": draw(minor_amounts) if fixed else None, "currency": "GBP",
            "minimum_spend": draw(st.none() | minor_amounts), "max_uses": draw(counts),
            "usage_period": draw(st.sampled_from([None, "P1D", "P1W", "P1M", "P1Y"])),
            "max_uses_per_customer": draw(counts), "lead_booker_only": draw(st.booleans()),
            "offering_ids": draw(st.none() | st.lists(st.text("0123456789abcdef", min_size=3, max_size=8), max_size=3)),
            "valid_from_date": draw(st.none() | seconds), "valid_to_date": draw(st.none() | seconds),
            "created_at": draw(seconds), "updated_at": draw(seconds),
        }  # fmt: skip
        if draw(st.booleans()):
            coupon["deleted_at"] = draw(seconds)
        coupons.append(coupon)
    people = [c["id"] for c in customers] + [None]
    coupon_codes = [
        {"id": next(object_ids), "coupon_id": draw(st.sampled_from(coupons))["id"], "code": draw(codes),
         "valid_from_date": draw(st.none() | seconds), "valid_to_date": draw(st.none() | seconds),
         "multi_use": draw(st.booleans()), "customer_credit_id": draw(st.none() | codes),
         "customer_id": draw(st.sampled_from(people)), "revenue": draw(st.none() | minor_amounts),
         "created_at": draw(seconds), "updated_at": draw(seconds)}
        for _ in range(draw(st.integers(0, 3)))
    ]  # fmt: skip
    uses = []
    for _ in range(draw(st.integers(0, 3)) if coupon_codes else 0):
        code = draw(st.sampled_from(coupon_codes))
        uses.append({
            "id": next(object_ids), "coupon_id": code["coupon_id"], "coupon_code_id": code["id"],
            "code": code["code"], "customer_id": draw(st.sampled_from(people)),
            "order_id": draw(st.none() | codes), "discount_amount": draw(minor_amounts),
            "currency": draw(st.sampled_from([None, "GBP", "EUR"])), "used_at": draw(seconds),
            "voided_at": draw(st.none() | seconds),
        })  # fmt: skip
    data = customers + coupons + coupon_codes + uses
    count = len(data)
    return {
        "data": data,
        "links": {"first": None, "last": None, "prev": None, "next": None},
        "meta": {"current_page": 1, "from": 1 if count else None, "last_page": 1, "path": None,
                 "per_page": count, "to": count if count else None, "total": count},
    }  # fmt: skip


@st.composite
def nuweb_documents(draw: st.DrawFn) -> dict[str, Any]:
    """A JSON:API list of discountCodes and their uses, with the currencies they name."""
    ids = iter(draw(st.lists(st.integers(1, 10**6), min_size=12, max_size=12, unique=True)))
    currency_ids: dict[str, int] = {}

    def currency(code: str | None) -> dict[str, Any] | None:
        if code is None:
            return None
        return {"type": "currencies", "id": currency_ids.setdefault(code, len(currency_ids) + 1)}

    data = []
    for _ in range(draw(st.integers(1, 3))):
        fixed = draw(st.booleans())
        spend = draw(st.none() | minor_amounts)
        money = draw(st.sampled_from(["GBP", "EUR"])) if fixed or spend is not None else None
        resource_id = next(ids)
        attributes = {
            "type": "fixed" if fixed else "percentage", "code": draw(codes),
            "amount": draw(minor_amounts) if fixed else draw(percentages),
            "applyToNetPrice": draw(st.booleans()), "maxUsesPerOrder": draw(counts),
            "maximumUses": draw(counts), "maxUsesPerCustomer": draw(counts), "minimumSpend": spend,
            "maximumDiscount": draw(st.none() | st.dictionaries(st.sampled_from(["GBP", "EUR", "USD"]), minor_amounts, min_size=1)),
            "validFrom": draw(st.none() | micros), "validTo": draw(st.none() | micros),
            "boxOfficeOnly": draw(st.booleans()), "disabledAt": draw(st.none() | micros),
            "createdAt": draw(micros), "updatedAt": draw(micros),
        }  # fmt: skip
        if draw(st.booleans()):
            attributes["deletedAt"] = draw(micros)
        sale_items = draw(st.lists(st.integers(1, 999), max_size=3, unique=True))
        data.append({
            "type": "discountCodes", "id": resource_id, "attributes": attributes,
            "relationships": {
                "currencies": {"data": currency(money)},
                "saleItems": {"data": [{"type": "saleItems", "id": i} for i in sale_items]},
            },
        })  # fmt: skip
    discount_codes = list(data)
    for _ in range(draw(st.integers(0, 3))):
        code = draw(st.sampled_from(discount_codes))
        data.append({
            "type": "discountCodeUses", "id": next(ids),
            "attributes": {"orderId": draw(st.none() | codes), "customerId": draw(st.none() | codes),
                           "amount": draw(minor_amounts), "boxOffice": draw(st.booleans()),
                           "usedAt": draw(micros), "voidedAt": draw(st.none() | micros)},
            "relationships": {
                "discountCode": {"data": {"type": "discountCodes", "id": code["id"]}},
                "currencies": {"data": currency(draw(st.sampled_from(["GBP", "EUR"])))},
            },
        })  # fmt: skip
    included = [
        {"type": "currencies", "id": number, "attributes": {"code": code}}
        for code, number in currency_ids.items()
    ]
    return {"data": data, "included": included}
