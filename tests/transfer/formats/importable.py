"""Hypothesis strategies for vendor documents the API accepts as they are: past dates, windows
that open before they close, codes unique in any letter case, references that name records of
the same document, and values in the forms the export writes them (so that a document
imported and exported comes back equal, server-set times aside)."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from app.transfer.site_facts import SiteFacts

SITE = SiteFacts(external_id="1004", name="Acme", currency="GBP")
_BASE = datetime(2024, 1, 1, tzinfo=UTC)

names = (
    st.text(st.characters(codec="utf-8", categories=("L", "N", "Zs")), min_size=1, max_size=20)
    .map(str.strip)
    .filter(bool)
)
words = st.text("abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=10)
codes = st.from_regex(r"[A-Z0-9][A-Z0-9_-]{0,9}", fullmatch=True)
caps = st.none() | st.integers(1, 1000)
_serial = itertools.count(1)
# uniqueIds are unique across the whole database, and every example imports into the same one.
unique_ids = st.builds(lambda: str(uuid.UUID(int=(0xA1 << 120) + next(_serial))))


def _at(seconds: int, *, micro: bool) -> str:
    moment = _BASE + timedelta(seconds=seconds)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ" if micro else "%Y-%m-%dT%H:%M:%SZ")


def instants(*, micro: bool = False) -> st.SearchStrategy[str]:
    return st.integers(0, 600 * 86400).map(lambda s: _at(s, micro=micro))


def windows(*, micro: bool = False) -> st.SearchStrategy[tuple[str | None, str | None]]:
    opened = st.tuples(st.integers(0, 600 * 86400), st.integers(1, 300 * 86400)).map(
        lambda p: (_at(p[0], micro=micro), _at(p[0] + p[1], micro=micro))
    )
    return st.just((None, None)) | opened | instants(micro=micro).map(lambda at: (None, at))


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


percentages = st.integers(1, 10_000).map(lambda bp: _number(Decimal(bp) / 100))


def sorted_ids(
    strategy: st.SearchStrategy[Any], *, min_size: int = 0
) -> st.SearchStrategy[list[Any]]:
    """Ids in the order an export lists them (by their text)."""
    return st.lists(strategy, min_size=min_size, max_size=3, unique_by=str).map(
        lambda ids: sorted(ids, key=str)
    )


@st.composite
def nexudus(draw: st.DrawFn) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """DiscountCodes, and CoworkerDiscountCodes of them, as two Nexudus files."""
    ids = iter(range(1000, 2000))
    discount_codes = []
    for code in draw(st.lists(codes, min_size=1, max_size=3, unique_by=str.lower)):
        fixed = draw(st.booleans())
        flags = draw(st.lists(st.booleans(), min_size=4, max_size=4).filter(any))
        lists = [draw(sorted_ids(st.integers(1, 99_999))) if on else [] for on in flags]
        valid, publish = draw(windows()), draw(windows())
        unit = draw(st.integers(0, 4))
        members, contacts = draw(st.sampled_from([(False, False), (True, False), (False, True)]))
        discount_codes.append({
            "BusinessId": 1004, "BusinessName": "Acme", "BusinessCurrencyCode": "GBP",
            "Code": code, "Description": draw(st.none() | names), "Active": draw(st.booleans()),
            "PublishFrom": publish[0], "PublishTo": publish[1],
            "DiscountPercentage": None if fixed else draw(percentages),
            "DiscountAmount": _number(Decimal(draw(st.integers(1, 10**6))) / 100) if fixed else None,
            "ReferralDiscount": draw(st.booleans()),
            "DiscountPricePlans": flags[0], "Tariffs": lists[0],
            "DiscountBookings": flags[1], "ResourceTypes": lists[1],
            "DiscountProducts": flags[2], "Products": lists[2],
            "DiscountEvents": flags[3], "EventCategories": lists[3],
            "MaxUsesPerUser": draw(caps), "MaxUses": draw(caps),
            "OnlyForContacts": contacts, "OnlyForMembers": members,
            "ValidFrom": valid[0], "ValidTo": valid[1],
            "ExpirationType": unit, "ExpiresIn": draw(st.integers(1, 24)) if unit else None,
            "Id": next(ids), "UpdatedOn": draw(instants()), "CreatedOn": draw(instants()),
            "UniqueId": draw(unique_ids), "UpdatedBy": "someone", "IsNew": False,
            "SystemId": None, "ToStringText": code, "LocalizationDetails": None, "CustomFields": None,
        })  # fmt: skip
    coworkers = {
        number: {
            "CoworkerId": number,
            "CoworkerCoworkerType": draw(st.sampled_from(["Individual", "Company"])),
            "CoworkerFullName": draw(names),
            "CoworkerBillingName": draw(st.none() | names),
            "CoworkerCompanyName": draw(st.none() | names),
        }
        for number in range(1, draw(st.integers(1, 3)) + 1)
    }
    pairs = [(c, d) for c in coworkers for d in range(len(discount_codes))]
    assignments = []
    for coworker, index in draw(st.lists(st.sampled_from(pairs), unique=True, max_size=4)):
        code = discount_codes[index]
        valid = draw(windows())
        assignments.append({
            **coworkers[coworker], "BusinessId": 1004, "BusinessName": "Acme",
            "DiscountCodeId": code["Id"], "DiscountCodeCode": code["Code"],
            "DiscountCodeActive": code["Active"], "DiscountCodeValidFrom": code["ValidFrom"],
            "DiscountCodeValidTo": code["ValidTo"], "Notes": draw(st.none() | names),
            "TimesUsed": draw(st.integers(0, 2)), "ValidFrom": valid[0], "ExpiresOn": valid[1],
            "RefererGuid": None, "BookingUniqueId": draw(st.none() | st.uuids().map(str)),
            "Id": next(ids), "UpdatedOn": draw(instants()), "CreatedOn": draw(instants()),
            "UniqueId": draw(unique_ids), "UpdatedBy": "someone", "IsNew": False,
            "SystemId": None, "ToStringText": code["Code"], "LocalizationDetails": None,
            "CustomFields": None,
        })  # fmt: skip
    return discount_codes, assignments


@st.composite
def trybe(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Customers, coupons, their codes and uses, in one Trybe list."""
    hexes = iter(f"65a1f0c2e4b0a1b2c3d4{n:04x}" for n in range(0x1000, 0x2000))
    customers = [
        {"id": str(draw(st.uuids())), "first_name": draw(words),
         "last_name": draw(st.none() | st.lists(words, min_size=1, max_size=2).map(" ".join)),
         "email": draw(st.sampled_from([None, "ana@example.com", "b.c@example.org"])),
         "created_at": draw(instants()), "updated_at": draw(instants())}
        for _ in range(draw(st.integers(0, 2)))
    ]  # fmt: skip
    coupons = []
    for _ in range(draw(st.integers(1, 2))):
        fixed = draw(st.booleans())
        valid = draw(windows())
        max_uses = draw(caps)
        coupons.append({
            "id": next(hexes), "site_id": SITE.external_id, "name": draw(names),
            "description": draw(st.none() | names), "discount_type": "fixed" if fixed else "percentage",
            "percentage": None if fixed else draw(percentages),
            "amount": draw(st.integers(1, 100_000)) if fixed else None, "currency": "GBP",
            "minimum_spend": draw(st.none() | st.integers(1, 100_000)), "max_uses": max_uses,
            "usage_period": draw(st.sampled_from([None, "P1D", "P1W", "P1M", "P1Y"])) if max_uses else None,
            "max_uses_per_customer": draw(caps), "lead_booker_only": draw(st.booleans()),
            "offering_ids": draw(st.none() | sorted_ids(st.from_regex(r"[a-f0-9]{6}", fullmatch=True))),
            "valid_from_date": valid[0], "valid_to_date": valid[1],
            "created_at": draw(instants()), "updated_at": draw(instants()),
        })  # fmt: skip
    people = [c["id"] for c in customers]
    coupon_codes = []
    for coupon in coupons:
        for code in draw(st.lists(codes, max_size=3, unique_by=str.lower)):
            valid = draw(windows())
            customer = draw(st.none() | st.sampled_from(people)) if people else None
            coupon_codes.append({
                "id": next(hexes), "coupon_id": coupon["id"], "code": code,
                "valid_from_date": valid[0], "valid_to_date": valid[1], "multi_use": draw(st.booleans()),
                "customer_credit_id": draw(st.none() | st.just("cc-1")) if customer else None,
                "customer_id": customer, "revenue": draw(st.none() | st.integers(0, 10_000)),
                "created_at": draw(instants()), "updated_at": draw(instants()),
            })  # fmt: skip
    uses = []
    for _ in range(draw(st.integers(0, 3)) if coupon_codes else 0):
        code = draw(st.sampled_from(coupon_codes))
        used = draw(st.integers(0, 600 * 86400))
        voided = draw(
            st.none() | st.integers(1, 86400).map(lambda s, used=used: _at(used + s, micro=False))
        )
        uses.append({
            "id": next(hexes), "coupon_id": code["coupon_id"], "coupon_code_id": code["id"],
            "code": code["code"], "customer_id": draw(st.none() | st.sampled_from(people)) if people else None,
            "order_id": draw(st.none() | codes), "discount_amount": draw(st.integers(0, 50_000)),
            "currency": draw(st.sampled_from(["GBP", "EUR"])), "used_at": _at(used, micro=False),
            "voided_at": voided,
        })  # fmt: skip
    return customers + coupons + coupon_codes + uses


@st.composite
def nuweb(draw: st.DrawFn) -> dict[str, Any]:
    """A JSON:API list of discountCodes and their uses, with the currencies they name."""
    ids = iter(range(1, 1000))
    currency_ids: dict[str, int] = {}

    def currency(code: str) -> dict[str, Any]:
        return {"type": "currencies", "id": currency_ids.setdefault(code, len(currency_ids) + 1)}

    data = []
    for code in draw(st.lists(codes, min_size=1, max_size=3, unique_by=str.lower)):
        fixed = draw(st.booleans())
        spend = draw(st.none() | st.integers(1, 100_000))
        # A code with no money in it is in the site's currency, as the export writes it.
        money = draw(st.sampled_from(["GBP", "EUR"])) if fixed or spend is not None else "GBP"
        valid = draw(windows(micro=True))
        attributes = {
            "type": "fixed" if fixed else "percentage", "code": code,
            "amount": draw(st.integers(1, 100_000)) if fixed else draw(percentages),
            "applyToNetPrice": draw(st.booleans()), "maxUsesPerOrder": draw(caps),
            "maximumUses": draw(caps), "maxUsesPerCustomer": draw(caps), "minimumSpend": spend,
            "maximumDiscount": draw(st.none() | st.dictionaries(st.sampled_from(["GBP", "EUR", "USD"]), st.integers(1, 100_000), min_size=1)),
            "validFrom": valid[0], "validTo": valid[1], "boxOfficeOnly": draw(st.booleans()),
            "disabledAt": draw(st.none() | instants(micro=True)), "createdAt": draw(instants(micro=True)),
            "updatedAt": draw(instants(micro=True)),
        }  # fmt: skip
        sale_items = draw(sorted_ids(st.integers(1, 999)))
        data.append({
            "type": "discountCodes", "id": next(ids), "attributes": attributes,
            "relationships": {
                "currencies": {"data": currency(money)},
                "saleItems": {"data": [{"type": "saleItems", "id": i} for i in sale_items]},
            },
        })  # fmt: skip
    discount_codes = list(data)
    for _ in range(draw(st.integers(0, 3))):
        code = draw(st.sampled_from(discount_codes))
        used = draw(st.integers(0, 600 * 86400))
        data.append({
            "type": "discountCodeUses", "id": next(ids),
            "attributes": {"orderId": draw(st.none() | codes), "customerId": None,
                           "amount": draw(st.integers(0, 50_000)), "boxOffice": draw(st.booleans()),
                           "usedAt": _at(used, micro=True),
                           "voidedAt": draw(st.none() | st.just(_at(used + 60, micro=True)))},
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
