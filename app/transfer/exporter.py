"""Exporting a site as transfer records (app/transfer/records.py), streamed a page at a time.

The records come out in records.RECORD_TYPES order (what each references comes first), each
table in id order, with the values the API answers. A format's writer is a plain function over
an iterable (app/transfer/registry.py), so it runs in a worker thread, fed pages through a
bounded queue: memory holds a few pages whatever the site's size.
"""

from __future__ import annotations

import asyncio
import enum
import queue
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import date
from decimal import Decimal
from typing import Any, TextIO

from app.db import tables as t
from app.db import transfer as stored
from app.db.handles import Engine, Record
from app.db.tables import CATEGORY_FLAGS, COMBINES_WITH_FLAGS
from app.domain.enums import ItemCategory
from app.domain.global_ids import to_global_id
from app.transfer.collector import paced_collector
from app.transfer.registry import writer
from app.transfer.site_facts import SiteFacts, given_site

TRASHED = ("WITHOUT", "WITH", "ONLY")
_TABLES = (
    ("Customer", t.CUSTOMER),
    ("Coupon", t.COUPON),
    ("CouponCode", t.COUPON_CODE),
    ("DiscountCode", t.DISCOUNT_CODE),
    ("Assignment", t.ASSIGNMENT),
    ("Redemption", t.REDEMPTION),
)
_CENTS = Decimal("0.01")
_DONE = object()


class ExportRefused(Exception):
    """The site cannot be exported (it does not exist)."""


def _time(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _name(value: enum.Enum | None) -> str | None:
    return None if value is None else value.name


def _money(mapping: dict[str, int] | None) -> list[dict[str, Any]]:
    if not mapping:
        return []
    return [{"currency": c, "amount": a} for c, a in sorted(mapping.items())]


def _ref(row: Record, field: str) -> dict[str, str] | None:
    unique_id = row._mapping[f"{field}__unique_id"]
    if unique_id is None:
        return None
    external_id = row._mapping[f"{field}__external_id"]
    return {
        "uniqueId": str(unique_id),
        **({"externalId": external_id} if external_id is not None else {}),
    }


def _common(type_name: str, row: Record) -> dict[str, Any]:
    return {
        "type": type_name,
        "id": to_global_id(type_name, row.id),
        "uniqueId": str(row.unique_id),
        "externalId": row.external_id,
        "createdAt": _time(row.created_at),
        "updatedAt": _time(row.updated_at),
        "updatedBy": row.updated_by,
        "deletedAt": _time(row.deleted_at),
    }


_FLAGS = tuple(CATEGORY_FLAGS.items())
_COMBINES = tuple(COMBINES_WITH_FLAGS.items())
_PLAIN_TERMS = (
    ("applyToNetPrice", "apply_to_net_price"), ("membersOnly", "members_only"),
    ("contactsOnly", "contacts_only"), ("leadBookerOnly", "lead_booker_only"),
    ("boxOfficeOnly", "box_office_only"), ("maxUses", "max_uses"),
    ("maxUsesPerCustomer", "max_uses_per_customer"), ("maxUsesPerOrder", "max_uses_per_order"),
)  # fmt: skip


def terms_of(row: Record, items: list[tuple[ItemCategory, str]]) -> dict[str, Any]:
    """A row's Terms as the API answers them (app.graphql.types.terms.Terms)."""
    m = row._mapping
    bp = m["percentage_bp"]
    ids: dict[ItemCategory, list[str]] = {c: [] for c, flag in _FLAGS if m[flag]}
    for category, item_id in items:
        ids.setdefault(category, []).append(item_id)
    terms = {
        "kind": m["kind"].name,
        "percentage": None if bp is None else str((Decimal(bp) / 100).quantize(_CENTS)),
        "amounts": _money(m["amounts"]),
        "minimumSpend": _money(m["minimum_spend"]),
        "maximumDiscount": _money(m["maximum_discount"]),
    }
    for name, column in _PLAIN_TERMS:
        terms[name] = m[column]
    disabled_at = m["disabled_at"]
    terms.update(
        usagePeriod=_name(m["usage_period"]),
        validFrom=_time(m["valid_from"]),
        validTo=_time(m["valid_to"]),
        publishFrom=_time(m["publish_from"]),
        publishTo=_time(m["publish_to"]),
        expirationUnit=_name(m["expiration_unit"]),
        expiresIn=m["expires_in"],
        active=disabled_at is None,
        disabledAt=_time(disabled_at),
        isReferral=m["is_referral"],
        eligibleCategories=[{"category": c.name, "itemIds": sorted(v)} for c, v in ids.items()],
        exclusive=m["exclusive"],
        combinesWith=[kind.name for kind, flag in _COMBINES if m[flag]],
        priority=m["priority"],
    )
    return terms


def _customer(row: Record) -> dict[str, Any]:
    return {
        **_common("Customer", row),
        "kind": row.kind.name,
        "fullName": row.full_name,
        "billingName": row.billing_name,
        "companyName": row.company_name,
        "email": row.email,
        "isMember": row.is_member,
    }


def _coupon_code(row: Record) -> dict[str, Any]:
    return {
        **_common("CouponCode", row),
        "coupon": _ref(row, "coupon"),
        "code": row.code,
        "validFrom": _time(row.valid_from),
        "validTo": _time(row.valid_to),
        "multiUse": row.multi_use,
        "customer": _ref(row, "customer"),
        "customerCreditId": row.customer_credit_id,
        "revenue": row.revenue,
        "timesUsed": row.times_used,
    }


def _assignment(row: Record) -> dict[str, Any]:
    referrer = _ref(row, "referrer")
    return {
        **_common("Assignment", row),
        "customer": _ref(row, "customer"),
        "discountCode": _ref(row, "discountCode"),
        "couponCode": _ref(row, "couponCode"),
        "validFrom": _time(row.valid_from),
        "expiresOn": _time(row.expires_on),
        "timesUsed": row.times_used,
        "notes": row.notes,
        "bookingReference": row.booking_reference,
        "referrer": referrer,
        "referrerUniqueId": None if referrer is None else referrer["uniqueId"],
    }


def _redemption(row: Record) -> dict[str, Any]:
    return {
        **_common("Redemption", row),
        "discountCode": _ref(row, "discountCode"),
        "couponCode": _ref(row, "couponCode"),
        "coupon": _ref(row, "coupon"),
        "customer": _ref(row, "customer"),
        "assignment": _ref(row, "assignment"),
        "orderReference": row.order_reference,
        "channel": row.channel.name,
        "isLeadBooker": row.is_lead_booker,
        "amount": row.amount,
        "currency": row.currency,
        "lineAmounts": list(row.line_amounts or []),
        "redeemedAt": _time(row.redeemed_at),
        "voidedAt": _time(row.voided_at),
        "importedAt": _time(row.imported_at),
    }


async def _pages(db: stored.Db, site: Record, trashed: str) -> AsyncIterator[list[dict[str, Any]]]:
    for type_name, table in _TABLES:
        scope = (
            ("organisation_id", site.organisation_id)
            if type_name == "Customer"
            else ("site_id", site.id)
        )
        async for rows in stored.export_pages(db, table, scope, trashed):
            if type_name in ("Coupon", "DiscountCode"):
                column = "coupon_id" if type_name == "Coupon" else "discount_code_id"
                lists = await stored.eligible_lists(db, column, [row.id for row in rows])
                own = "name" if type_name == "Coupon" else "code"
                yield [
                    {
                        **_common(type_name, row),
                        own: row._mapping[own],
                        "description": row.description,
                        "timesUsed": row.times_used,
                        "terms": terms_of(row, lists.get(row.id, [])),
                    }
                    for row in rows
                ]
                continue
            convert = {
                "Customer": _customer,
                "CouponCode": _coupon_code,
                "Assignment": _assignment,
                "Redemption": _redemption,
            }[type_name]
            yield [convert(row) for row in rows]


async def run_export(
    engine: Engine,
    *,
    site_id: int,
    format_name: str,
    trashed: str,
    stream: TextIO,
    on_progress: Callable[[int], object] = lambda n: None,
) -> int:
    """Writes the site's records in the format to `stream`; answers how many records. The
    garbage collector keeps the server's pace meanwhile (app/transfer/collector.py)."""
    with paced_collector():
        return await _run_export(
            engine, site_id=site_id, format_name=format_name, trashed=trashed, stream=stream,
            on_progress=on_progress,
        )  # fmt: skip


async def _run_export(
    engine: Engine,
    *,
    site_id: int,
    format_name: str,
    trashed: str,
    stream: TextIO,
    on_progress: Callable[[int], object] = lambda n: None,
) -> int:
    write = writer(format_name)
    pages: queue.Queue[Any] = queue.Queue(maxsize=4)

    finished = threading.Event()

    def records() -> Iterator[dict[str, Any]]:
        while (page := pages.get()) is not _DONE:
            yield from page
        finished.set()

    def consume() -> None:
        # The first item is the site's facts (vendor documents repeat them), once it is found.
        site = pages.get()
        if site is _DONE:
            finished.set()
            return
        try:
            given_site(write, site)(records(), stream)
        finally:
            # A writer that stopped early must not leave the producer blocked on a full queue.
            while not finished.is_set():
                if pages.get() is _DONE:
                    finished.set()

    count = 0
    worker = asyncio.create_task(asyncio.to_thread(consume))
    try:
        async with engine.connect() as db:
            site = await stored.site_for_transfer(db, site_id)
            if site is None:
                raise ExportRefused(f"no site has the id {site_id}")
            await asyncio.to_thread(pages.put, SiteFacts.of(site))
            async for page in _pages(db, site, trashed):
                count += len(page)
                on_progress(len(page))
                await asyncio.to_thread(pages.put, page)
    finally:
        await asyncio.to_thread(pages.put, _DONE)
        await worker
    return count
