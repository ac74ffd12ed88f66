"""Trybe: coupons, their coupon codes (seed 003), their usage, and customers, snake_case.

A file is what Trybe's shop API answers: one record, a list, or a Laravel page
`{"data": [...], "links": {...}, "meta": {...}}` (`{"data": {...}}` for one record). Records
of every kind may share a file, each known by its fields, parents before children:
- a customer: `first_name`/`last_name`/`email` (no `code`) -> Customer (full name: first
  and last name joined by a space; on export split at the first space);
- a coupon: `name` -> Coupon;
- a coupon code: `coupon_id` and `code` -> CouponCode;
- a use: `coupon_code_id` -> an imported Redemption.

Seed 003 gives the coupon code's fields (its request body); the coupon's and the usage's are
the facts it names (usage periods, pre-allocation, revenue...), chosen as below:

    coupon: {"id", "site_id", "name", "description", "discount_type": "percentage"|"fixed",
             "percentage": 15 (at most two decimals) | null, "amount": 1000 (minor) | null,
             "currency": "GBP", "minimum_spend": 5000 | null, "max_uses": 100 | null,
             "usage_period": "P1D"|"P1W"|"P1M"|"P1Y" | null (what max_uses counts over),
             "max_uses_per_customer", "lead_booker_only", "offering_ids": [...] | null
             (null: every item; []: every offering), "valid_from_date", "valid_to_date",
             "created_at", "updated_at", "deleted_at" (only when deleted)}
    coupon code: {"id", "coupon_id", "code", "valid_from_date", "valid_to_date", "multi_use",
             "customer_credit_id", "customer_id" (pre-allocation), "revenue" (minor units,
             null: the coupon's), "created_at", "updated_at", "deleted_at" (only when deleted)}
    use:    {"id", "coupon_id", "coupon_code_id", "code", "customer_id", "order_id",
             "discount_amount" (minor), "currency", "used_at", "voided_at"}

Ids become externalIds and are written back as strings (Trybe's ids are object ids and UUIDs); `customer_id` names a customer by externalId (Trybe customer ids);
`coupon_id` on a code names its coupon. Left out on import: `site_id` (the --site),
`organisation_id` (the cross-organisation listing's), a use's `coupon_id` and `code` (its
code record holds them; written on export). A coupon's default revenue has no place in the
model (a code's `revenue` override does). A pre-allocated code is not also an Assignment.

Writing: one Laravel page of customers, coupons, coupon codes and uses of coupon codes (in
that order). Standalone discount codes and assignments have no Trybe record.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, BinaryIO

from app.transfer.formats._json_in import records
from app.transfer.formats._trybe_writing import write
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

_PERIODS = frozenset({"P1D", "P1W", "P1M", "P1Y"})


def read(
    stream: BinaryIO, name: str, *, site: SiteFacts | None = None
) -> Iterator[dict[str, Any] | Refusal]:
    site = site or SiteFacts()
    for number, source in records(stream, name, "data"):
        try:
            record = _convert(source, site)
        except Unreadable as problem:
            yield Refusal(number, problem.field, problem.reason, plain(source))
            continue
        record["@record"] = number
        yield record


def _convert(source: object, site: SiteFacts) -> dict[str, object]:
    if not isinstance(source, dict):
        raise Unreadable("", "a Trybe record is a JSON object")
    if "coupon_code_id" in source:
        return _use(source, site)
    if "coupon_id" in source and "code" in source:
        return _coupon_code(source)
    if "name" in source:
        return _coupon(source, site)
    if "code" not in source and any(k in source for k in ("first_name", "last_name", "email")):
        return _customer(source)
    raise Unreadable(
        "",
        "not a coupon (name), coupon code (coupon_id, code), use "
        "(coupon_code_id) or customer (first_name, last_name, email)",
    )


def _common(source: Mapping[str, object], type_name: str) -> dict[str, object]:
    record: dict[str, object] = {"type": type_name}
    if source.get("id") is not None:
        record["externalId"] = vendor_id(source["id"], "id")
    for name, field in (("created_at", "createdAt"), ("updated_at", "updatedAt")):
        if source.get(name) is not None:
            record[field] = instant(source[name], name)
    if "deleted_at" in source:
        record["deletedAt"] = instant(source["deleted_at"], "deleted_at")
    return record


def _customer(source: Mapping[str, object]) -> dict[str, object]:
    record = _common(source, "Customer")
    names = [text(source.get(k), k) for k in ("first_name", "last_name")]
    full_name = " ".join(n for n in names if n)
    if full_name:
        record["fullName"] = full_name
    if "email" in source:
        record["email"] = text(source["email"], "email")
    return record


def _coupon(source: Mapping[str, object], site: SiteFacts) -> dict[str, object]:
    record = _common(source, "Coupon")
    record["name"] = text(source["name"], "name", nullable=False)
    if "description" in source:
        record["description"] = text(source["description"], "description")
    terms: dict[str, object] = {}
    kind = source.get("discount_type")
    currency = source.get("currency") or site.currency
    if kind == "percentage":
        terms["kind"] = "PERCENTAGE"
        terms["percentage"] = percentage_text(source.get("percentage"), "percentage")
    elif kind == "fixed":
        amount = whole(source.get("amount"), "amount", nullable=False)
        terms["kind"] = "FIXED"
        terms["amounts"] = [{"currency": _currency(currency, "amount"), "amount": amount}]
    elif kind is not None or "discount_type" in source:
        raise Unreadable("discount_type", f"{kind!r} is not percentage or fixed")
    if "minimum_spend" in source:
        spend = whole(source["minimum_spend"], "minimum_spend")
        terms["minimumSpend"] = (
            []
            if spend is None
            else [{"currency": _currency(currency, "minimum_spend"), "amount": spend}]
        )
    for name, field in (("max_uses", "maxUses"), ("max_uses_per_customer", "maxUsesPerCustomer")):
        if name in source:
            terms[field] = whole(source[name], name)
    if "usage_period" in source:
        period = source["usage_period"]
        if period is not None and period not in _PERIODS:
            raise Unreadable("usage_period", f"{period!r} is not P1D, P1W, P1M or P1Y")
        terms["usagePeriod"] = period
    if source.get("lead_booker_only") is not None:
        terms["leadBookerOnly"] = flag(source["lead_booker_only"], "lead_booker_only")
    if "offering_ids" in source:
        terms["eligibleCategories"] = _offerings(source["offering_ids"])
    for name, field in (("valid_from_date", "validFrom"), ("valid_to_date", "validTo")):
        if name in source:
            terms[field] = instant(source[name], name)
    record["terms"] = terms
    return record


def _currency(currency: object, field: str) -> str:
    if currency is None:
        raise Unreadable(field, "money needs a currency (currency is null and the site has none)")
    return currency_of(currency, "currency")


def _offerings(value: object) -> list[dict[str, object]]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise Unreadable("offering_ids", f"{value!r} is not a list of ids")
    ids = [vendor_id(item, f"offering_ids[{index}]") for index, item in enumerate(value)]
    return [{"category": "OFFERING", "itemIds": ids}]


def _coupon_code(source: Mapping[str, object]) -> dict[str, object]:
    record = _common(source, "CouponCode")
    record["coupon"] = {"externalId": vendor_id(source["coupon_id"], "coupon_id")}
    record["code"] = text(source["code"], "code", nullable=False)
    for name, field in (("valid_from_date", "validFrom"), ("valid_to_date", "validTo")):
        if name in source:
            record[field] = instant(source[name], name)
    if source.get("multi_use") is not None:
        record["multiUse"] = flag(source["multi_use"], "multi_use")
    if "customer_id" in source:
        customer = source["customer_id"]
        record["customer"] = (
            None if customer is None else {"externalId": vendor_id(customer, "customer_id")}
        )
    if "customer_credit_id" in source:
        record["customerCreditId"] = text(source["customer_credit_id"], "customer_credit_id")
    if "revenue" in source:
        record["revenue"] = whole(source["revenue"], "revenue")
    return record


def _use(source: Mapping[str, object], site: SiteFacts) -> dict[str, object]:
    if source.get("id") is None:
        raise Unreadable(
            "id", "a use needs its id (the key that keeps a re-import from counting it twice)"
        )
    record: dict[str, object] = {
        "type": "Redemption",
        "externalId": vendor_id(source["id"], "id"),
        "couponCode": {"externalId": vendor_id(source["coupon_code_id"], "coupon_code_id")},
        "amount": whole(source.get("discount_amount", 0), "discount_amount", nullable=False),
        "redeemedAt": instant(source.get("used_at"), "used_at"),
    }
    if record["redeemedAt"] is None:
        raise Unreadable("used_at", "a use needs the time it was made")
    if source.get("currency") is not None:
        record["currency"] = currency_of(source["currency"], "currency")
    if "customer_id" in source:
        customer = source["customer_id"]
        record["customer"] = (
            None if customer is None else {"externalId": vendor_id(customer, "customer_id")}
        )
    if "order_id" in source:
        record["orderReference"] = text(source["order_id"], "order_id")
    if "voided_at" in source:
        record["voidedAt"] = instant(source["voided_at"], "voided_at")
    return record
