"""Writing nuwebgroup JSON:API documents (see app.transfer.formats.nuweb for the mapping)."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any, TextIO

import pycountry

from app.transfer.formats._json_out import Envelope, RecordArray
from app.transfer.formats._values import number_out, reference_key, wire_id, wire_instant
from app.transfer.site_facts import SiteFacts

_BASE_URL = "https://api.nuwebgroup.com/v1"


class _CurrencyIds:
    """nuwebgroup currency resources of the written document, numbered as first named."""

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}

    def identifier(self, currency: str | None) -> dict[str, Any] | None:
        if currency is None:
            return None
        number = self.ids.setdefault(currency, len(self.ids) + 1)
        return {"type": "currencies", "id": number}

    def included(self) -> list[dict[str, Any]]:
        resources = []
        for code, number in self.ids.items():
            known = pycountry.currencies.get(alpha_3=code)
            attributes = {"name": known.name if known else code, "code": code, "symbol": None}
            resources.append({"type": "currencies", "id": number, "attributes": attributes})
        return resources


def write(
    records: Iterable[dict[str, Any]],
    stream: TextIO,
    *,
    site: SiteFacts | None = None,
    envelope: Envelope = "page",
) -> None:
    site = site or SiteFacts()
    currencies = _CurrencyIds()
    with RecordArray(
        stream, envelope, "data", lambda _: {"included": currencies.included()}
    ) as out:
        for record in records:
            if record.get("type") == "DiscountCode":
                out.add(_code_resource(record, site, currencies))
            elif record.get("type") == "Redemption" and record.get("discountCode"):
                out.add(_use_resource(record, currencies))


def _code_currency(terms: dict[str, Any], site: SiteFacts) -> str | None:
    named = [m["currency"] for key in ("amounts", "minimumSpend") for m in terms.get(key) or []]
    if site.currency is not None and (site.currency in named or not named):
        return site.currency
    return named[0] if named else None


def _code_resource(
    record: dict[str, Any], site: SiteFacts, currencies: _CurrencyIds
) -> dict[str, Any]:
    terms = record.get("terms") or {}
    currency = _code_currency(terms, site)

    def in_currency(key: str) -> int | None:
        return next((m["amount"] for m in terms.get(key) or [] if m["currency"] == currency), None)

    amount: int | float | None
    if terms.get("kind") == "PERCENTAGE":
        kind, amount = "percentage", number_out(Decimal(terms.get("percentage") or 0))
    else:
        kind, amount = "fixed", in_currency("amounts")
    maximum = {m["currency"]: m["amount"] for m in terms.get("maximumDiscount") or []}
    attributes: dict[str, Any] = {
        "type": kind,
        "code": record.get("code"),
        "amount": amount,
        "applyToNetPrice": terms.get("applyToNetPrice", False),
        "maxUsesPerOrder": terms.get("maxUsesPerOrder"),
        "maximumUses": terms.get("maxUses"),
        "maxUsesPerCustomer": terms.get("maxUsesPerCustomer"),
        "minimumSpend": in_currency("minimumSpend"),
        "maximumDiscount": maximum or None,
        "validFrom": wire_instant(terms.get("validFrom"), micro=True),
        "validTo": wire_instant(terms.get("validTo"), micro=True),
        "boxOfficeOnly": terms.get("boxOfficeOnly", False),
        "disabledAt": wire_instant(terms.get("disabledAt"), micro=True),
        "createdAt": wire_instant(record.get("createdAt"), micro=True),
        "updatedAt": wire_instant(record.get("updatedAt"), micro=True),
    }
    if record.get("deletedAt") is not None:
        attributes["deletedAt"] = wire_instant(record["deletedAt"], micro=True)
    offerings: list[str] = next(
        (
            c["itemIds"]
            for c in terms.get("eligibleCategories") or []
            if c["category"] == "OFFERING"
        ),
        [],
    )
    identifier = wire_id(record.get("externalId") or record.get("uniqueId"))
    return {
        "type": "discountCodes",
        "id": identifier,
        "attributes": attributes,
        "relationships": {
            "currencies": {"data": currencies.identifier(currency)},
            "saleItems": {"data": [{"type": "saleItems", "id": wire_id(i)} for i in offerings]},
        },
        "links": {"self": f"{_BASE_URL}/discount-codes?id={identifier}"},
    }


def _use_resource(record: dict[str, Any], currencies: _CurrencyIds) -> dict[str, Any]:
    customer = reference_key(record.get("customer"))
    return {
        "type": "discountCodeUses",
        "id": wire_id(record.get("externalId") or record.get("uniqueId")),
        "attributes": {
            "orderId": record.get("orderReference"),
            "customerId": customer,
            "amount": record.get("amount", 0),
            "boxOffice": record.get("channel") == "BOX_OFFICE",
            "usedAt": wire_instant(record.get("redeemedAt"), micro=True),
            "voidedAt": wire_instant(record.get("voidedAt"), micro=True),
        },
        "relationships": {
            "discountCode": {
                "data": {
                    "type": "discountCodes",
                    "id": wire_id(reference_key(record.get("discountCode"))),
                }
            },
            "currencies": {"data": currencies.identifier(record.get("currency"))},
        },
    }
