"""nuwebgroup: JSON:API `discountCodes` documents (seed 004), and their uses.

A file is a JSON:API document: `{"data": {...}, "included": [...]}` (one code, as seed 004)
or `{"data": [...], "included": [...], ...}` (a list), or a bare list of resources.

Reading a `discountCodes` resource -> a DiscountCode record:
- id -> externalId; attributes.code -> code; type `fixed` (amount in minor units of the code's
  currency) or `percentage` (amount is the percent, at most two decimals: 12.5 = 12.5%);
  minimumSpend (minor units, the code's currency) and maximumDiscount (`{"GBP": 2500, ...}`,
  minor units per currency) -> the Money lists; applyToNetPrice, maxUsesPerOrder,
  maximumUses (maxUses), maxUsesPerCustomer, validFrom, validTo, boxOfficeOnly, disabledAt
  (a disabled code is not deleted), createdAt; updatedAt (export-only); deletedAt when the
  document has it (`withTrashed`).
- relationships.currencies names the code's currency, looked up in `included` (the document is
  read twice: once for `included`, which JSON:API puts after `data`, then for the records, so a
  big file is still never held whole); without one, the site's currency.
- relationships.saleItems -> eligible OFFERING items (an empty list: everything eligible).
- links.self is the server's URL of the record: left out (written from the id on export).

The uses (the ledger; seed 004 shows none, so this is the shape chosen for them, JSON:API
like the codes): a `discountCodeUses` resource, after the codes, becomes an imported Redemption:
    {"type": "discountCodeUses", "id": 7,
     "attributes": {"orderId": "ORD-1", "customerId": "c-9" | null, "amount": 250,
                    "boxOffice": false, "usedAt": "...Z", "voidedAt": null},
     "relationships": {"discountCode": {"data": {"type": "discountCodes", "id": 1}},
                       "currencies": {"data": {"type": "currencies", "id": 1}}}}
  (amount discounted in minor units; customerId names a customer by externalId, e.g. one kept
  in step with `upsertCustomers`; boxOffice -> channel BOX_OFFICE).

Writing: every DiscountCode as a `discountCodes` resource and every Redemption of a discount
code as a `discountCodeUses` resource, then `included` with the currencies they name,
numbered in order of first use (nuwebgroup's own currency ids are not kept: the code is).
A code's currency is the site's when it has money in it, else the first its money names;
money in other currencies than that one has no place but in maximumDiscount and is dropped.
Coupons, coupon codes, customers and assignments have no nuwebgroup resource. Eligible
categories other than OFFERING (Nexudus price plans, bookings...) have none either.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, BinaryIO

from app.transfer.formats._json_in import items_at, records, rewindable
from app.transfer.formats._nuweb_writing import write
from app.transfer.formats._values import (
    Unreadable,
    currency_of,
    flag,
    instant,
    percentage_text,
    plain,
    text,
    vendor_id,
    whole,
)
from app.transfer.registry import Refusal
from app.transfer.site_facts import SiteFacts

__all__ = ["read", "write"]

_COUNTS = {
    "maxUsesPerOrder": "maxUsesPerOrder",
    "maximumUses": "maxUses",
    "maxUsesPerCustomer": "maxUsesPerCustomer",
}
_FLAGS = {"applyToNetPrice": "applyToNetPrice", "boxOfficeOnly": "boxOfficeOnly"}


def read(
    stream: BinaryIO, name: str, *, site: SiteFacts | None = None
) -> Iterator[dict[str, Any] | Refusal]:
    site = site or SiteFacts()
    with rewindable(stream) as seekable:
        currencies = _included_currencies(seekable, name)
        seekable.seek(0)
        for number, source in records(seekable, name, "data"):
            try:
                record = _convert(source, currencies, site)
            except Unreadable as problem:
                yield Refusal(number, problem.field, problem.reason, plain(source))
                continue
            record["@record"] = number
            yield record


def _included_currencies(stream: BinaryIO, name: str) -> dict[str, str]:
    """Currency id -> code, from `included` (a few entries, however long the file)."""
    found = {}
    for resource in items_at(stream, name, "included.item"):
        if isinstance(resource, dict) and resource.get("type") == "currencies":
            code = (resource.get("attributes") or {}).get("code")
            if isinstance(code, str) and resource.get("id") is not None:
                found[str(resource["id"])] = code
    return found


def _convert(source: object, currencies: dict[str, str], site: SiteFacts) -> dict[str, object]:
    if not isinstance(source, dict):
        raise Unreadable("", "a JSON:API resource is a JSON object")
    kind = source.get("type")
    attributes = source.get("attributes")
    if not isinstance(attributes, dict):
        raise Unreadable("attributes", "a resource needs its attributes object")
    relationships = source.get("relationships") or {}
    if not isinstance(relationships, dict):
        raise Unreadable("relationships", "is not an object")
    if kind == "discountCodes":
        return _discount_code(source, attributes, relationships, currencies, site)
    if kind == "discountCodeUses":
        return _use(source, attributes, relationships, currencies, site)
    raise Unreadable("type", f"{kind!r} is not discountCodes or discountCodeUses")


def _linked(relationships: Mapping[str, object], name: str) -> object:
    """`relationships.<name>.data`: the resource identifier linked (None: none given)."""
    relationship = relationships.get(name) or {}
    if not isinstance(relationship, dict):
        raise Unreadable(f"relationships.{name}", "is not an object")
    return relationship.get("data")


def _currency(
    relationships: Mapping[str, object], currencies: dict[str, str], site: SiteFacts
) -> str | None:
    linked = _linked(relationships, "currencies")
    if linked is None:
        return site.currency
    if not isinstance(linked, dict) or linked.get("id") is None:
        raise Unreadable("relationships.currencies", "is not a resource identifier")
    code = currencies.get(str(linked["id"]))
    if code is None:
        raise Unreadable("relationships.currencies", f"currency {linked['id']} is not in included")
    return currency_of(code, "included.currencies.code")


def _needs(currency: str | None, field: str) -> str:
    if currency is None:
        raise Unreadable(field, "money needs the code's currency (relationships.currencies)")
    return currency


def _discount_code(
    source: Mapping[str, object],
    attributes: Mapping[str, object],
    relationships: Mapping[str, object],
    currencies: dict[str, str],
    site: SiteFacts,
) -> dict[str, object]:
    currency = _currency(relationships, currencies, site)
    record: dict[str, object] = {"type": "DiscountCode"}
    if source.get("id") is not None:
        record["externalId"] = vendor_id(source["id"], "id")
    record["code"] = text(attributes.get("code"), "attributes.code", nullable=False)
    terms: dict[str, object] = {}
    kind, amount = attributes.get("type"), attributes.get("amount")
    if kind == "fixed":
        minor = whole(amount, "attributes.amount", nullable=False)
        terms["kind"] = "FIXED"
        terms["amounts"] = [{"currency": _needs(currency, "attributes.amount"), "amount": minor}]
    elif kind == "percentage":
        terms["kind"] = "PERCENTAGE"
        terms["percentage"] = percentage_text(amount, "attributes.amount")
    else:
        raise Unreadable("attributes.type", f"{kind!r} is not fixed or percentage")
    for name, field in _FLAGS.items():
        if attributes.get(name) is not None:
            terms[field] = flag(attributes[name], f"attributes.{name}")
    for name, field in _COUNTS.items():
        if name in attributes:
            terms[field] = whole(attributes[name], f"attributes.{name}")
    if "minimumSpend" in attributes:
        spend = whole(attributes["minimumSpend"], "attributes.minimumSpend")
        terms["minimumSpend"] = (
            []
            if spend is None
            else [{"currency": _needs(currency, "attributes.minimumSpend"), "amount": spend}]
        )
    if "maximumDiscount" in attributes:
        terms["maximumDiscount"] = _per_currency(attributes["maximumDiscount"])
    for name in ("validFrom", "validTo", "disabledAt"):
        if name in attributes:
            terms[name] = instant(attributes[name], f"attributes.{name}")
    sale_items = relationships.get("saleItems")
    if sale_items is not None:
        ids = _identifiers(sale_items, "relationships.saleItems")
        terms["eligibleCategories"] = [{"category": "OFFERING", "itemIds": ids}] if ids else []
    record["terms"] = terms
    _times(record, attributes)
    return record


def _per_currency(value: object) -> list[dict[str, object]]:
    if value is None:
        return []
    if not isinstance(value, dict):
        raise Unreadable("attributes.maximumDiscount", "is not an object of amounts by currency")
    return [
        {
            "currency": currency_of(code, f"attributes.maximumDiscount.{code}"),
            "amount": whole(amount, f"attributes.maximumDiscount.{code}", nullable=False),
        }
        for code, amount in value.items()
    ]


def _identifiers(relationship: object, field: str) -> list[str]:
    data = relationship.get("data") if isinstance(relationship, dict) else None
    if not isinstance(data, list):
        raise Unreadable(field, "data is not a list of resource identifiers")
    ids = []
    for index, item in enumerate(data):
        if not isinstance(item, dict):
            raise Unreadable(f"{field}[{index}]", "is not a resource identifier")
        ids.append(vendor_id(item.get("id"), f"{field}[{index}].id"))
    return ids


def _times(record: dict[str, Any], attributes: Mapping[str, object]) -> None:
    for name in ("createdAt", "updatedAt"):
        if attributes.get(name) is not None:
            record[name] = instant(attributes[name], f"attributes.{name}")
    if "deletedAt" in attributes:
        record["deletedAt"] = instant(attributes["deletedAt"], "attributes.deletedAt")


def _use(
    source: Mapping[str, object],
    attributes: Mapping[str, object],
    relationships: Mapping[str, object],
    currencies: dict[str, str],
    site: SiteFacts,
) -> dict[str, object]:
    if source.get("id") is None:
        raise Unreadable(
            "id", "a use needs its id (the key that keeps a re-import from counting it twice)"
        )
    code = _linked(relationships, "discountCode")
    if not isinstance(code, dict) or code.get("id") is None:
        raise Unreadable("relationships.discountCode", "a use names the code it used")
    record: dict[str, object] = {
        "type": "Redemption",
        "externalId": vendor_id(source["id"], "id"),
        "discountCode": {"externalId": vendor_id(code["id"], "relationships.discountCode.id")},
        "amount": whole(attributes.get("amount", 0), "attributes.amount", nullable=False),
        "redeemedAt": instant(attributes.get("usedAt"), "attributes.usedAt"),
    }
    if record["redeemedAt"] is None:
        raise Unreadable("attributes.usedAt", "a use needs the time it was made")
    currency = _currency(relationships, currencies, site)
    if currency is not None:
        record["currency"] = currency
    if "customerId" in attributes:
        customer = attributes["customerId"]
        record["customer"] = (
            None
            if customer is None
            else {"externalId": vendor_id(customer, "attributes.customerId")}
        )
    if "orderId" in attributes:
        record["orderReference"] = text(attributes["orderId"], "attributes.orderId")
    if attributes.get("boxOffice") is not None:
        box_office = flag(attributes["boxOffice"], "attributes.boxOffice")
        record["channel"] = "BOX_OFFICE" if box_office else "ONLINE"
    if "voidedAt" in attributes:
        record["voidedAt"] = instant(attributes["voidedAt"], "attributes.voidedAt")
    return record
