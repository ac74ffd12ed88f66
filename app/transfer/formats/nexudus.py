"""Nexudus: DiscountCode (seed 001) and CoworkerDiscountCode (seeds 000, 002) documents.

A file is what the Nexudus API answers: one record (get one), a list (get several), or a search
page `{"Records": [...], "CurrentPage": ...}`; DiscountCodes and CoworkerDiscountCodes may
share a file, each record known by its fields (`Code` / `CoworkerId`, `DiscountCodeId`).
A DiscountCode file is read before the CoworkerDiscountCode file that names its codes.

Reading (each vendor record, numbered from 1, becomes these records):
- DiscountCode -> DiscountCode (terms: see _nexudus_terms).
- CoworkerDiscountCode -> Customer (CoworkerId as externalId; CoworkerCoworkerType
  Individual/Company, CoworkerFullName, CoworkerBillingName, CoworkerCompanyName; emitted once
  per run of assignments of the same coworker), Assignment (ValidFrom, ExpiresOn, Notes,
  BookingUniqueId as bookingReference, RefererGuid as the referrer's uniqueId: a customer
  imported with that UUID, e.g. Nexudus coworkers moved with their UniqueId in JSON Lines,
  else the assignment is refused), and TimesUsed
  imported Redemption records: amount 0 in the site's currency (Nexudus keeps no amount),
  dated at the record's CreatedOn (the one date that does not move when a use is added, so a
  re-import finds the same ledger rows), keyed "<Id>#use-<n>" so a re-import adds only the
  uses that are new.
- Every record: Id -> externalId, UniqueId -> uniqueId, CreatedOn -> createdAt, and
  UpdatedOn/UpdatedBy as updatedAt/updatedBy (export-only fields, which an import ignores).
- Left out on import: BusinessId/BusinessName/BusinessCurrencyCode (the import's --site),
  the CoworkerDiscountCode's DiscountCode* copies (the discount code's own record holds them),
  IsNew, SystemId, ToStringText, LocalizationDetails, CustomFields (Nexudus-side display and
  extension data the model has no place for). A date-time without an offset is UTC.

Writing: one search page of every DiscountCode and then every Assignment of a discount code
(an assignment of a Trybe-style coupon code, coupons, coupon codes and redemptions have no
Nexudus record: TimesUsed carries the uses). Derived on export: Business* from the site,
CoworkerFullName and the other Coworker* fields from the customer, DiscountCodeCode/Active/
ValidFrom/ValidTo from the discount code, ToStringText from the code; IsNew false, SystemId,
LocalizationDetails and CustomFields null. Nexudus documents say nothing of deletion: a
deleted record (an export with --trashed) is written like a live one. A record without an externalId (made here, not
imported) is written with its UniqueId as Id, so the page links up when read back. The page
is one page of everything: CurrentPage 1 of 1, sorted by Id ascending.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any, BinaryIO, TextIO

from app.transfer.formats._json_in import records
from app.transfer.formats._json_out import Envelope, RecordArray
from app.transfer.formats._lookup import DiskLookup
from app.transfer.formats._nexudus_terms import terms_fields, terms_of
from app.transfer.formats._recent import RecentKeys
from app.transfer.formats._values import (
    Unreadable,
    instant,
    plain,
    reference_key,
    text,
    vendor_id,
    whole,
    wire_id,
    wire_instant,
)
from app.transfer.registry import Refusal
from app.transfer.site_facts import SiteFacts

_KINDS = {"individual": "INDIVIDUAL", "company": "COMPANY"}
_KIND_NAMES = {"INDIVIDUAL": "Individual", "COMPANY": "Company"}


def read(
    stream: BinaryIO, name: str, *, site: SiteFacts | None = None
) -> Iterator[dict[str, Any] | Refusal]:
    site = site or SiteFacts()
    recent = RecentKeys()
    for number, source in records(stream, name, "Records"):
        try:
            converted = _convert(source, site, recent)
        except Unreadable as problem:
            yield Refusal(number, problem.field, problem.reason, plain(source))
            continue
        for record in converted:
            record["@record"] = number
            yield record


def _convert(source: object, site: SiteFacts, recent: RecentKeys) -> Iterable[dict[str, Any]]:
    if not isinstance(source, dict):
        raise Unreadable("", "a Nexudus record is a JSON object")
    if "CoworkerId" in source or "DiscountCodeId" in source:
        return _coworker_discount_code(source, recent)
    if "Code" in source:
        return [_discount_code(source, site)]
    raise Unreadable(
        "", "neither a DiscountCode (no Code) nor a CoworkerDiscountCode (no CoworkerId)"
    )


def _common(source: Mapping[str, object], type_name: str) -> dict[str, object]:
    record: dict[str, object] = {"type": type_name}
    if source.get("Id") is not None:
        record["externalId"] = vendor_id(source["Id"], "Id")
    if source.get("UniqueId") is not None:
        record["uniqueId"] = text(source["UniqueId"], "UniqueId")
    if source.get("CreatedOn") is not None:
        record["createdAt"] = instant(source["CreatedOn"], "CreatedOn")
    if source.get("UpdatedOn") is not None:
        record["updatedAt"] = instant(source["UpdatedOn"], "UpdatedOn")
    if "UpdatedBy" in source:
        record["updatedBy"] = text(source["UpdatedBy"], "UpdatedBy")
    return record


def _discount_code(source: Mapping[str, object], site: SiteFacts) -> dict[str, object]:
    record = _common(source, "DiscountCode")
    record["code"] = text(source["Code"], "Code", nullable=False)
    if "Description" in source:
        record["description"] = text(source["Description"], "Description")
    record["terms"] = terms_of(source, site)
    return record


def _coworker_discount_code(
    source: Mapping[str, object], recent: RecentKeys
) -> Iterable[dict[str, Any]]:
    if source.get("CoworkerId") is None:
        raise Unreadable("CoworkerId", "an assignment needs its coworker")
    if source.get("DiscountCodeId") is None:
        raise Unreadable("DiscountCodeId", "an assignment needs its discount code")
    customer_key = vendor_id(source["CoworkerId"], "CoworkerId")
    code = {"externalId": vendor_id(source["DiscountCodeId"], "DiscountCodeId")}
    customer = _customer(source, customer_key)
    assignment = _common(source, "Assignment")
    assignment.update({"customer": {"externalId": customer_key}, "discountCode": code})
    for name, field in (("ValidFrom", "validFrom"), ("ExpiresOn", "expiresOn")):
        if name in source:
            assignment[field] = instant(source[name], name)
    for name, field in (
        ("Notes", "notes"),
        ("BookingUniqueId", "bookingReference"),
        ("RefererGuid", "referrerUniqueId"),
    ):
        if name in source:
            assignment[field] = text(source[name], name)
    uses = whole(source.get("TimesUsed", 0), "TimesUsed", nullable=False) or 0
    if uses < 0:
        raise Unreadable("TimesUsed", f"{uses} is negative")
    if uses and "externalId" not in assignment:
        raise Unreadable("Id", "TimesUsed needs the record's Id to key its imported uses")
    if uses and "createdAt" not in assignment:
        raise Unreadable("CreatedOn", "TimesUsed needs CreatedOn to date its imported uses")
    # Output-only (the importer recounts from the ledger): lets a document read and written
    # back without a database keep its TimesUsed.
    assignment["timesUsed"] = uses
    converted = [] if recent.seen(customer_key) else [customer]
    converted.append(assignment)
    if uses:
        return _with_uses(converted, assignment, uses)
    return converted


def _with_uses(
    converted: list[dict[str, Any]], assignment: dict[str, Any], uses: int
) -> Iterator[dict[str, Any]]:
    yield from converted
    key = assignment["externalId"]
    for use in range(1, uses + 1):
        yield {
            "type": "Redemption",
            "externalId": f"{key}#use-{use}",
            "discountCode": assignment["discountCode"],
            "customer": assignment["customer"],
            "assignment": {"externalId": key},
            "amount": 0,
            "redeemedAt": assignment["createdAt"],
        }


def _customer(source: Mapping[str, object], key: str) -> dict[str, object]:
    customer: dict[str, object] = {"type": "Customer", "externalId": key}
    kind = source.get("CoworkerCoworkerType")
    if kind is not None:
        if not isinstance(kind, str) or kind.lower() not in _KINDS:
            raise Unreadable("CoworkerCoworkerType", f"{kind!r} is not Individual or Company")
        customer["kind"] = _KINDS[kind.lower()]
    if source.get("CoworkerFullName") is not None:
        customer["fullName"] = text(source["CoworkerFullName"], "CoworkerFullName")
    for name, field in (
        ("CoworkerBillingName", "billingName"),
        ("CoworkerCompanyName", "companyName"),
    ):
        if name in source:
            customer[field] = text(source[name], name)
    return customer


def write(
    records: Iterable[dict[str, Any]],
    stream: TextIO,
    *,
    site: SiteFacts | None = None,
    envelope: Envelope = "page",
) -> None:
    site = site or SiteFacts()
    with DiskLookup() as facts, RecordArray(stream, envelope, "Records", _paging) as page:
        for record in records:
            kind = record.get("type")
            if kind == "Customer":
                facts.put(f"customer:{_key(record)}", _coworker_fields(record))
            elif kind == "DiscountCode":
                document = _discount_code_document(record, site)
                facts.put(f"code:{_key(record)}", _code_fields(document))
                page.add(document)
            elif kind == "Assignment" and record.get("discountCode"):
                page.add(_assignment_document(record, site, facts))


def _key(record: dict[str, Any]) -> str | None:
    return record.get("externalId") or record.get("uniqueId")


def _server_fields(record: dict[str, Any], to_string: str | None) -> dict[str, object]:
    return {
        "Id": wire_id(_key(record)),
        "UpdatedOn": wire_instant(record.get("updatedAt"), micro=False),
        "CreatedOn": wire_instant(record.get("createdAt"), micro=False),
        "UniqueId": record.get("uniqueId"),
        "UpdatedBy": record.get("updatedBy"),
        "IsNew": False,
        "SystemId": None,
        "ToStringText": to_string,
        "LocalizationDetails": None,
        "CustomFields": None,
    }


def _discount_code_document(record: dict[str, Any], site: SiteFacts) -> dict[str, object]:
    terms = record.get("terms") or {}
    document: dict[str, object] = {
        "BusinessId": wire_id(site.external_id),
        "BusinessName": site.name,
        "BusinessCurrencyCode": site.currency,
        "Code": record.get("code"),
        "Description": record.get("description"),
    }
    document.update(terms_fields(terms, site))
    document.update(_server_fields(record, record.get("code")))
    return document


def _code_fields(document: dict[str, Any]) -> list[object]:
    return [document["Code"], document["Active"], document["ValidFrom"], document["ValidTo"]]


def _coworker_fields(record: dict[str, Any]) -> list[object]:
    kind = record.get("kind")
    return [
        _KIND_NAMES.get(kind) if kind else None,
        record.get("fullName"),
        record.get("billingName"),
        record.get("companyName"),
    ]


def _assignment_document(
    record: dict[str, Any], site: SiteFacts, facts: DiskLookup
) -> dict[str, object]:
    customer_key = reference_key(record.get("customer"))
    code_key = reference_key(record.get("discountCode"))
    kind, full_name, billing_name, company_name = (
        facts.get(f"customer:{customer_key}") or [None] * 4
    )
    code, active, valid_from, valid_to = facts.get(f"code:{code_key}") or [None] * 4
    document: dict[str, object] = {
        "CoworkerId": wire_id(customer_key),
        "CoworkerCoworkerType": kind,
        "CoworkerFullName": full_name,
        "CoworkerBillingName": billing_name,
        "CoworkerCompanyName": company_name,
        "BusinessId": wire_id(site.external_id),
        "BusinessName": site.name,
        "DiscountCodeId": wire_id(code_key),
        "DiscountCodeCode": code,
        "DiscountCodeActive": active,
        "DiscountCodeValidFrom": valid_from,
        "DiscountCodeValidTo": valid_to,
        "Notes": record.get("notes"),
        "TimesUsed": record.get("timesUsed", 0),
        "ValidFrom": wire_instant(record.get("validFrom"), micro=False),
        "ExpiresOn": wire_instant(record.get("expiresOn"), micro=False),
        "RefererGuid": record.get("referrerUniqueId"),
        "BookingUniqueId": record.get("bookingReference"),
    }
    if "notes" not in record:
        # As Nexudus' search pages leave Notes out: a record read from one has none to give.
        del document["Notes"]
    document.update(_server_fields(record, code))
    return document


def _paging(count: int) -> dict[str, object]:
    return {
        "CurrentPageSize": count,
        "CurrentPage": 1,
        "CurrentOrderField": "Id",
        "CurrentSortDirection": 0,
        "FirstItem": 1 if count else 0,
        "HasNextPage": False,
        "HasPreviousPage": False,
        "LastItem": count,
        "PageNumber": 1,
        "PageSize": count,
        "TotalItems": count,
        "TotalPages": 1,
    }
