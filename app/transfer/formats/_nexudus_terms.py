"""Nexudus DiscountCode fields <-> the record's Terms (both directions, one table each).

Mappings, decided from seed 001:
- DiscountPercentage xor DiscountAmount: PERCENTAGE with the percentage as given (10 = 10%),
  or FIXED with DiscountAmount in MAJOR units of the business currency (Nexudus types it
  `decimal?`: 12.5 is 12.50 GBP), converted to minor units with ISO 4217's digits; an amount
  with more decimals than its currency has is refused, never rounded. The currency is
  BusinessCurrencyCode, else the importing site's. Export writes the amount in the site's
  currency (another currency's amount has no place: Nexudus holds one).
- DiscountPricePlans/Tariffs, DiscountBookings/ResourceTypes, DiscountProducts/Products,
  DiscountEvents/EventCategories: a true flag makes the category eligible with the list's ids
  ([] = every item of it); Added*/Removed* lists, when a document has them, are applied to the
  list. A document with every flag false is refused (it would discount nothing, and "no
  category" means "everything" here). Export: no eligible category (everything) sets all four
  flags with empty lists; OFFERING ids (Trybe, nuwebgroup) have no Nexudus place and are
  dropped.
- ExpirationType 1 Day, 2 Week, 3 Month, 4 Year (0 or null: no relative expiry) x ExpiresIn.
- Active <-> active (Nexudus keeps no disabledAt); ReferralDiscount <-> isReferral;
  OnlyForMembers/OnlyForContacts <-> membersOnly/contactsOnly; MaxUses <-> maxUses;
  MaxUsesPerUser <-> maxUsesPerCustomer; ValidFrom/ValidTo, PublishFrom/PublishTo <-> the
  windows.
- Terms Nexudus has no field for (minimumSpend, maximumDiscount, applyToNetPrice,
  leadBookerOnly, boxOfficeOnly, maxUsesPerOrder, usagePeriod) are left out on import (their
  defaults on create, kept on update) and not written on export.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from app.transfer.formats._values import (
    Unreadable,
    currency_of,
    flag,
    instant,
    number_out,
    percentage_text,
    to_major,
    to_minor,
    vendor_id,
    whole,
    wire_id,
    wire_instant,
)
from app.transfer.site_facts import SiteFacts

UNITS = {1: "DAY", 2: "WEEK", 3: "MONTH", 4: "YEAR"}
UNIT_NUMBERS = {unit: number for number, unit in UNITS.items()}

CATEGORIES = (
    ("DiscountPricePlans", "Tariffs", "PRICE_PLAN"),
    ("DiscountBookings", "ResourceTypes", "BOOKING"),
    ("DiscountProducts", "Products", "PRODUCT"),
    ("DiscountEvents", "EventCategories", "EVENT"),
)
_FLAGS = {
    "Active": "active",
    "ReferralDiscount": "isReferral",
    "OnlyForContacts": "contactsOnly",
    "OnlyForMembers": "membersOnly",
}
_COUNTS = {"MaxUsesPerUser": "maxUsesPerCustomer", "MaxUses": "maxUses"}
_WINDOWS = {
    "PublishFrom": "publishFrom",
    "PublishTo": "publishTo",
    "ValidFrom": "validFrom",
    "ValidTo": "validTo",
}


def terms_of(source: Mapping[str, object], site: SiteFacts) -> dict[str, object]:
    """The Terms a Nexudus DiscountCode document gives (only the fields it has)."""
    terms: dict[str, object] = {}
    percentage, amount = source.get("DiscountPercentage"), source.get("DiscountAmount")
    if percentage is not None and amount is not None:
        raise Unreadable(
            "DiscountAmount", "DiscountPercentage and DiscountAmount exclude each other"
        )
    if percentage is not None:
        terms["kind"] = "PERCENTAGE"
        terms["percentage"] = percentage_text(percentage, "DiscountPercentage")
    elif amount is not None:
        currency = source.get("BusinessCurrencyCode") or site.currency
        if currency is None:
            raise Unreadable(
                "BusinessCurrencyCode",
                "DiscountAmount needs a currency: BusinessCurrencyCode is null and the site has none",
            )
        currency = currency_of(currency, "BusinessCurrencyCode")
        terms["kind"] = "FIXED"
        terms["amounts"] = [
            {"currency": currency, "amount": to_minor(amount, currency, "DiscountAmount")}
        ]
    else:
        raise Unreadable(
            "DiscountPercentage", "one of DiscountPercentage or DiscountAmount is needed"
        )
    for name, field in _FLAGS.items():
        if source.get(name) is not None:
            terms[field] = flag(source[name], name)
    for name, field in _COUNTS.items():
        if name in source:
            terms[field] = whole(source[name], name)
    for name, field in _WINDOWS.items():
        if name in source:
            terms[field] = instant(source[name], name)
    if "ExpirationType" in source:
        number = source["ExpirationType"]
        if number in (None, 0):
            terms["expirationUnit"] = None
        elif isinstance(number, int) and not isinstance(number, bool) and number in UNITS:
            terms["expirationUnit"] = UNITS[number]
        else:
            raise Unreadable(
                "ExpirationType", f"{number!r} is not 1 Day, 2 Week, 3 Month or 4 Year"
            )
    if "ExpiresIn" in source:
        terms["expiresIn"] = whole(source["ExpiresIn"], "ExpiresIn")
    eligible = _eligible_of(source)
    if eligible is not None:
        terms["eligibleCategories"] = eligible
    return terms


def _eligible_of(source: Mapping[str, object]) -> list[dict[str, object]] | None:
    if not any(name in source for name, _, _ in CATEGORIES):
        return None
    eligible: list[dict[str, object]] = []
    for name, list_name, category in CATEGORIES:
        if source.get(name) is None or not flag(source[name], name):
            continue
        ids = _ids(source, list_name)
        for added in _ids(source, f"Added{list_name}"):
            if added not in ids:
                ids.append(added)
        removed = set(_ids(source, f"Removed{list_name}"))
        eligible.append({"category": category, "itemIds": [i for i in ids if i not in removed]})
    if not eligible:
        raise Unreadable(
            "DiscountPricePlans",
            "no item category is enabled (DiscountPricePlans, DiscountBookings, DiscountProducts"
            " and DiscountEvents are all false), so the code would discount nothing",
        )
    return eligible


def _ids(source: Mapping[str, object], name: str) -> list[str]:
    values = source.get(name)
    if values is None:
        return []
    if not isinstance(values, list):
        raise Unreadable(name, f"{values!r} is not a list of ids")
    return [vendor_id(value, f"{name}[{index}]") for index, value in enumerate(values)]


def terms_fields(terms: dict[str, Any], site: SiteFacts) -> dict[str, Any]:
    """A DiscountCode document's terms fields, in Nexudus' order, from a record's Terms."""
    amount = None
    percentage = None
    if terms.get("kind") == "PERCENTAGE" and terms.get("percentage") is not None:
        percentage = number_out(Decimal(terms["percentage"]))
    amounts = terms.get("amounts") or []
    if terms.get("kind") == "FIXED" and amounts:
        chosen = next((m for m in amounts if m["currency"] == site.currency), amounts[0])
        amount = to_major(chosen["amount"], chosen["currency"])
    by_category = {c["category"]: c["itemIds"] for c in terms.get("eligibleCategories") or []}
    everything = not by_category
    fields: dict[str, Any] = {
        "Active": terms.get("active", True),
        "PublishFrom": wire_instant(terms.get("publishFrom"), micro=False),
        "PublishTo": wire_instant(terms.get("publishTo"), micro=False),
        "DiscountPercentage": percentage,
        "DiscountAmount": amount,
        "ReferralDiscount": terms.get("isReferral", False),
    }
    for name, list_name, category in CATEGORIES:
        fields[name] = everything or category in by_category
        fields[list_name] = [wire_id(i) for i in by_category.get(category, [])]
    fields.update(
        {
            "MaxUsesPerUser": terms.get("maxUsesPerCustomer"),
            "MaxUses": terms.get("maxUses"),
            "OnlyForContacts": terms.get("contactsOnly", False),
            "OnlyForMembers": terms.get("membersOnly", False),
            "ValidFrom": wire_instant(terms.get("validFrom"), micro=False),
            "ValidTo": wire_instant(terms.get("validTo"), micro=False),
            "ExpirationType": UNIT_NUMBERS.get(terms.get("expirationUnit") or "", 0),
            "ExpiresIn": terms.get("expiresIn"),
        }
    )
    return fields
