"""Writing Trybe documents (see app.transfer.formats.trybe for the mapping)."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any, TextIO

from app.transfer.formats._json_out import Envelope, RecordArray
from app.transfer.formats._lookup import DiskLookup
from app.transfer.formats._values import number_out, reference_key, wire_instant
from app.transfer.site_facts import SiteFacts


def write(
    records: Iterable[dict[str, Any]],
    stream: TextIO,
    *,
    site: SiteFacts | None = None,
    envelope: Envelope = "page",
) -> None:
    site = site or SiteFacts()
    # Laravel wraps a page in links and meta, and one record in nothing but "data".
    trailer = _paging if envelope == "page" else lambda _: {}
    with DiskLookup() as codes, RecordArray(stream, envelope, "data", trailer) as out:
        for record in records:
            kind = record.get("type")
            if kind == "Customer":
                out.add(_customer_document(record))
            elif kind == "Coupon":
                out.add(_coupon_document(record, site))
            elif kind == "CouponCode":
                document = _coupon_code_document(record)
                codes.put(_key(record) or "", [document["coupon_id"], document["code"]])
                out.add(document)
            elif kind == "Redemption" and record.get("couponCode"):
                out.add(_use_document(record, codes))


def _key(record: dict[str, Any]) -> str | None:
    return record.get("externalId") or record.get("uniqueId")


def _times(document: dict[str, object], record: dict[str, Any]) -> dict[str, object]:
    document["created_at"] = wire_instant(record.get("createdAt"), micro=False)
    document["updated_at"] = wire_instant(record.get("updatedAt"), micro=False)
    if record.get("deletedAt") is not None:
        document["deleted_at"] = wire_instant(record["deletedAt"], micro=False)
    return document


def _customer_document(record: dict[str, Any]) -> dict[str, object]:
    first, _, last = (record.get("fullName") or "").partition(" ")
    document = {
        "id": _key(record),
        "first_name": first or None,
        "last_name": last or None,
        "email": record.get("email"),
    }
    return _times(document, record)


def _coupon_document(record: dict[str, Any], site: SiteFacts) -> dict[str, object]:
    terms = record.get("terms") or {}
    amounts = terms.get("amounts") or []
    fixed = next(
        (m for m in amounts if m["currency"] == site.currency), amounts[0] if amounts else None
    )
    currency = fixed["currency"] if fixed else site.currency
    spend = next(
        (m["amount"] for m in terms.get("minimumSpend") or [] if m["currency"] == currency), None
    )
    percentage = terms.get("percentage")
    categories = terms.get("eligibleCategories") or []
    offerings = next((c["itemIds"] for c in categories if c["category"] == "OFFERING"), None)
    document = {
        "id": _key(record),
        "site_id": site.external_id,
        "name": record.get("name"),
        "description": record.get("description"),
        "discount_type": "percentage" if terms.get("kind") == "PERCENTAGE" else "fixed",
        "percentage": None if percentage is None else number_out(Decimal(percentage)),
        "amount": fixed["amount"] if fixed else None,
        "currency": currency,
        "minimum_spend": spend,
        "max_uses": terms.get("maxUses"),
        "usage_period": terms.get("usagePeriod"),
        "max_uses_per_customer": terms.get("maxUsesPerCustomer"),
        "lead_booker_only": terms.get("leadBookerOnly", False),
        "offering_ids": None if offerings is None else list(offerings),
        "valid_from_date": wire_instant(terms.get("validFrom"), micro=False),
        "valid_to_date": wire_instant(terms.get("validTo"), micro=False),
    }
    return _times(document, record)


def _coupon_code_document(record: dict[str, Any]) -> dict[str, object]:
    document = {
        "id": _key(record),
        "coupon_id": (reference_key(record.get("coupon"))),
        "code": record.get("code"),
        "valid_from_date": wire_instant(record.get("validFrom"), micro=False),
        "valid_to_date": wire_instant(record.get("validTo"), micro=False),
        "multi_use": record.get("multiUse", False),
        "customer_credit_id": record.get("customerCreditId"),
        "customer_id": (reference_key(record.get("customer"))),
        "revenue": record.get("revenue"),
    }
    return _times(document, record)


def _use_document(record: dict[str, Any], codes: DiskLookup) -> dict[str, object]:
    code_key = reference_key(record.get("couponCode"))
    coupon_id, code = codes.get(code_key) or [(reference_key(record.get("coupon"))), None]
    return {
        "id": _key(record),
        "coupon_id": coupon_id,
        "coupon_code_id": code_key,
        "code": code,
        "customer_id": (reference_key(record.get("customer"))),
        "order_id": record.get("orderReference"),
        "discount_amount": record.get("amount", 0),
        "currency": record.get("currency"),
        "used_at": wire_instant(record.get("redeemedAt"), micro=False),
        "voided_at": wire_instant(record.get("voidedAt"), micro=False),
    }


def _paging(count: int) -> dict[str, object]:
    return {
        "links": {"first": None, "last": None, "prev": None, "next": None},
        "meta": {
            "current_page": 1,
            "from": 1 if count else None,
            "last_page": 1,
            "path": None,
            "per_page": count,
            "to": count if count else None,
            "total": count,
        },
    }
