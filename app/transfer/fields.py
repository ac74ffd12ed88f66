"""The fields of each record type (app/transfer/records.py) and how one record is read.

Reading needs no database: it checks the JSON shape and types of every field given and turns
them into column values; what needs the site (window bounds, currencies) or other records
(references, uniqueness, Terms over the stored ones) is judged in app/transfer/planner.py.
"""

from __future__ import annotations

import pickle
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import EllipsisType
from typing import Any, NamedTuple, TypeAlias

import orjson

from app.domain.enums import (
    Channel,
    CustomerKind,
    DiscountKind,
    ExpirationUnit,
    ItemCategory,
    UsagePeriod,
)
from app.services.eligible_items import Eligible
from app.services.problems import Problem
from app.transfer import values as v
from app.transfer.records import OUTPUT_ONLY, RECORD_TYPES, REFERENCE_FIELDS
from app.transfer.terms_cache import CREATED_BASE

# Reads one JSON value given for a field: its column value, or `v.Invalid`.
Reader = Callable[[object], object]
# merge_terms' answer for a record's Terms over nothing: (columns, eligible lists, problems).
Created: TypeAlias = tuple[dict[str, Any], Eligible, list[Problem]]
# `Created` as it travels: the columns that differ from CREATED_BASE (`_slim`).
_Slim: TypeAlias = tuple[dict[str, object], Eligible, list[Problem]]


def _non_null(read: Reader) -> Reader:
    def checked(value: object) -> object:
        if value is None:
            raise v.Invalid("must not be null")
        return read(value)

    return checked


COMMON: dict[str, tuple[str, Reader]] = {
    "externalId": ("external_id", v.text),
    "createdAt": ("created_at", _non_null(v.instant)),
    "deletedAt": ("deleted_at", v.instant),
}

# Per type: JSON field -> (column, reader) for the plain columns.
PLAIN: dict[str, dict[str, tuple[str, Reader]]] = {
    "Customer": {
        "kind": ("kind", _non_null(v.member(CustomerKind))),
        "fullName": ("full_name", v.text),
        "billingName": ("billing_name", v.text),
        "companyName": ("company_name", v.text),
        "email": ("email", v.text),
        "isMember": ("is_member", v.boolean),
    },
    "Coupon": {"name": ("name", v.text), "description": ("description", v.text)},
    "DiscountCode": {"code": ("code", v.text), "description": ("description", v.text)},
    "CouponCode": {
        "code": ("code", v.text),
        "multiUse": ("multi_use", v.boolean),
        "customerCreditId": ("customer_credit_id", v.text),
        "revenue": ("revenue", v.integer),
    },
    "Assignment": {"notes": ("notes", v.text), "bookingReference": ("booking_reference", v.text)},
    "Redemption": {
        "orderReference": ("order_reference", v.text),
        "channel": ("channel", _non_null(v.member(Channel))),
        "isLeadBooker": ("is_lead_booker", v.boolean),
        "amount": ("amount", _non_null(v.integer)),
        "currency": ("currency", _non_null(v.text)),
        "lineAmounts": ("line_amounts", v.int_list),
        "redeemedAt": ("redeemed_at", _non_null(v.instant)),
        "voidedAt": ("voided_at", v.instant),
    },
}

# Window bounds (resolved in the site's time zone): JSON field -> column.
BOUNDS: dict[str, dict[str, str]] = {
    "CouponCode": {"validFrom": "valid_from", "validTo": "valid_to"},
    "Assignment": {"validFrom": "valid_from", "expiresOn": "expires_on"},
}

HAS_TERMS = frozenset({"Coupon", "DiscountCode"})

# Export-only fields of a type beyond OUTPUT_ONLY (derived from others).
DERIVED = {"Redemption": frozenset({"coupon"}), "Assignment": frozenset({"referrerUniqueId"})}

TERMS: dict[str, tuple[str, Reader]] = {
    "kind": ("kind", _non_null(v.member(DiscountKind))),
    "percentage": ("percentage", v.decimal),
    "amounts": ("amounts", v.money_list),
    "minimumSpend": ("minimum_spend", v.money_list),
    "maximumDiscount": ("maximum_discount", v.money_list),
    "applyToNetPrice": ("apply_to_net_price", v.boolean),
    "membersOnly": ("members_only", v.boolean),
    "contactsOnly": ("contacts_only", v.boolean),
    "leadBookerOnly": ("lead_booker_only", v.boolean),
    "boxOfficeOnly": ("box_office_only", v.boolean),
    "maxUses": ("max_uses", v.integer),
    "maxUsesPerCustomer": ("max_uses_per_customer", v.integer),
    "maxUsesPerOrder": ("max_uses_per_order", v.integer),
    "usagePeriod": ("usage_period", v.member(UsagePeriod)),
    "validFrom": ("valid_from", v.bound),
    "validTo": ("valid_to", v.bound),
    "publishFrom": ("publish_from", v.bound),
    "publishTo": ("publish_to", v.bound),
    "expirationUnit": ("expiration_unit", v.member(ExpirationUnit)),
    "expiresIn": ("expires_in", v.integer),
    "active": ("active", v.boolean),
    "isReferral": ("is_referral", v.boolean),
    # Ours, not a vendor's: how the discount combines with others on one order.
    "exclusive": ("exclusive", _non_null(v.boolean)),
    "combinesWith": ("combines_with", v.member_list(DiscountKind)),
    "priority": ("priority", _non_null(v.integer)),
}


class CategoryList(NamedTuple):
    """One entry of eligibleCategories, as app.services.eligible_items reads it (a named tuple:
    made for every record, it costs a third of a frozen dataclass)."""

    category: ItemCategory
    item_ids: list[str]


@dataclass(frozen=True)
class Key:
    """How a record or a reference names a record: its externalId, else its uniqueId."""

    external_id: str | None
    unique_id: uuid.UUID | None

    def __bool__(self) -> bool:
        return self.external_id is not None or self.unique_id is not None

    def __str__(self) -> str:
        if self.external_id is not None:
            return f"externalId {self.external_id!r}"
        return f"uniqueId {self.unique_id}"

    def __reduce__(self) -> tuple[object, ...]:
        return (Key, (self.external_id, self.unique_id))  # a dataclass' default costs 5x


@dataclass(eq=False)
class Item:
    """One record of an import as read, then as planned."""

    file: str
    number: int  # 1-based, in its file (the vendor record's, when the reader says)
    record: Any  # as given, for the rejects file
    type: str = ""
    key: Key = Key(None, None)
    unique_id: uuid.UUID | None = None  # given uniqueId (kept on create)
    columns: dict[str, Any] = field(default_factory=dict)
    bounds: dict[str, Any] = field(default_factory=dict)  # column -> date | datetime | None
    terms: dict[str, Any] | None = None  # snake_case changes, as merge_terms takes them
    disabled_at: datetime | None | EllipsisType = ...  # `...`: not given
    refs: dict[str, Key | None] = field(default_factory=dict)
    problems: list[tuple[str, str]] = field(default_factory=list)
    # Terms given: whether they were (a test of `terms` would unpack them, see _Shipped), their
    # `active` if given, and merge_terms' answer for them over nothing (a create), worked out
    # while reading (app/transfer/reading.py) so that the planner need not.
    has_terms: bool = False
    terms_active: bool | None = None
    created: Created | None = None

    def refuse(self, field_name: str, reason: str) -> None:
        self.problems.append((field_name, reason))

    def __reduce__(self) -> tuple[object, ...]:
        # Sent from the reading process as one flat tuple. The record (kept for the rejects
        # file) travels as bytes, decoded when first used; the Terms changes do not travel: a
        # create takes `created`, and an update that needs them reads them again from the
        # record (rarely: see planner._merged_terms). `created`'s columns travel as their
        # differences from CREATED_BASE: a third of them, and a third of the batch's bytes.
        return (
            _Shipped.unpack,
            (
                self.file, self.number, _packed(self.record), self.type, self.key,
                self.unique_id, self.columns, self.bounds, self.disabled_at, self.refs,
                self.problems, self.has_terms, self.terms_active, _slim(self.created),
            ),
        )  # fmt: skip


_ABSENT = object()


def _slim(created: Created | None) -> _Slim | None:
    """`created` with its columns as those that differ from CREATED_BASE, in type or value
    (False is not 0); every column of the base is in any merge's answer."""
    if created is None:
        return None
    columns, eligible, problems = created
    delta: dict[str, object] = {}
    base = CREATED_BASE
    for name, value in columns.items():
        held = base.get(name, _ABSENT)
        # Most are the base's own object (a default left as it was): the cheap test first.
        if value is not held and (type(value) is not type(held) or value != held):
            delta[name] = value
    return delta, eligible, problems


def _full(slim: _Slim | None) -> Created | None:
    if slim is None:
        return None
    delta, eligible, problems = slim
    return {**CREATED_BASE, **delta}, eligible, problems


def _packed(record: object) -> bytes:
    """A record as bytes: JSON (orjson) when it is plain JSON, which costs least both ways;
    else (a Decimal from ijson, an integer beyond 64 bits) pickled, to come back exactly."""
    try:
        return b"J" + orjson.dumps(record)
    except TypeError:
        return b"P" + pickle.dumps(record, protocol=pickle.HIGHEST_PROTOCOL)


def _unpacked(data: bytes) -> Any:
    return orjson.loads(data[1:]) if data[:1] == b"J" else pickle.loads(data[1:])


class _Shipped(Item):
    """An Item as it arrives from the reading process: `record` decoded on first use (most
    records are never refused), `terms` read again from it when first asked for."""

    _record: object  # the record (JSON as given), or its bytes until first used
    _terms: dict[str, Any] | None | EllipsisType  # the Terms changes, `...` until asked for

    @classmethod
    def unpack(cls, *state: Any) -> Item:
        item = cls.__new__(cls)
        (
            item.file, item.number, item._record, item.type, item.key, item.unique_id,
            item.columns, item.bounds, item.disabled_at, item.refs, item.problems,
            item.has_terms, item.terms_active, item.created,
        ) = state  # fmt: skip
        item.created = _full(item.created)  # it travelled slim (`_slim`)
        item._terms = ...
        return item

    @property
    def record(self) -> Any:
        if isinstance(self._record, bytes):
            self._record = _unpacked(self._record)
        return self._record

    @record.setter
    def record(self, value: Any) -> None:
        self._record = value

    @property
    def terms(self) -> dict[str, Any] | None:
        if self._terms is ...:
            self._terms = None
            if self.has_terms:
                again = Item(self.file, self.number, None)
                read_terms(again, self.record["terms"])
                self._terms = again.terms
        return self._terms

    @terms.setter
    def terms(self, value: dict[str, Any] | None) -> None:
        self._terms = value


def read_record(item: Item) -> None:
    """Fills `item` from `item.record`, adding a problem for every field that cannot be read."""
    record = item.record
    if not isinstance(record, dict):
        item.refuse("", "a record must be a JSON object")
        return
    kind = record.get("type")
    if kind not in RECORD_TYPES:
        item.refuse("type", f"must be one of {', '.join(RECORD_TYPES)}, not {kind!r}")
        return
    item.type = kind
    known = KNOWN[kind]
    for name in record:
        if name not in known:
            item.refuse(name, f"is not a field of {kind}")
    for name, value in record.items():
        plain = COLUMNS[kind].get(name)
        if plain is not None:
            try:
                item.columns[plain[0]] = plain[1](value)
            except v.Invalid as error:
                item.refuse(name, str(error))
    if "uniqueId" in record:
        try:
            item.unique_id = v.unique_id(record["uniqueId"])
        except v.Invalid as error:
            item.refuse("uniqueId", str(error))
    for name, column in BOUNDS.get(kind, {}).items():
        if name in record:
            try:
                item.bounds[column] = v.bound(record[name])
            except v.Invalid as error:
                item.refuse(name, str(error))
    for name in REFERENCE_FIELDS[kind]:
        if name in record:
            try:
                item.refs[name] = reference(record[name])
            except v.Invalid as error:
                item.refuse(name, str(error))
    if kind == "Assignment" and "referrer" not in record and record.get("referrerUniqueId"):
        try:
            item.refs["referrer"] = Key(None, v.unique_id(record["referrerUniqueId"]))
        except v.Invalid as error:
            item.refuse("referrerUniqueId", str(error))
    if kind in HAS_TERMS and "terms" in record:
        read_terms(item, record["terms"])
    external_id = item.columns.get("external_id")
    item.key = Key(external_id, None if external_id is not None else item.unique_id)


# Every field a record of each type may have, and the plain columns among them.
KNOWN = {
    kind: frozenset(
        {
            "type",
            *COMMON,
            "uniqueId",
            *PLAIN[kind],
            *BOUNDS.get(kind, {}),
            *REFERENCE_FIELDS[kind],
            *OUTPUT_ONLY,
            *DERIVED.get(kind, ()),
            *(("terms",) if kind in HAS_TERMS else ()),
        }
    )  # fmt: skip
    for kind in RECORD_TYPES
}
COLUMNS = {kind: COMMON | PLAIN[kind] for kind in RECORD_TYPES}


def reference(value: object) -> Key | None:
    if value is None:
        return None
    if not isinstance(value, dict) or not value or set(value) - {"externalId", "uniqueId"}:
        raise v.Invalid('must be {"externalId": ...} or {"uniqueId": ...} (or both), or null')
    external_id = v.text(value.get("externalId"))
    unique = value.get("uniqueId")
    key = Key(
        external_id, None if external_id is not None or unique is None else v.unique_id(unique)
    )
    if not key:
        raise v.Invalid("names no record: give externalId or uniqueId")
    return key


def read_terms(item: Item, terms: object) -> None:
    if not isinstance(terms, Mapping):
        item.refuse("terms", "must be an object (the Terms type)")
        return
    changes: dict[str, Any] = {}
    # The field's name for a problem ("terms.<name>") is only written when there is one.
    for name, value in terms.items():
        known = TERMS.get(name)
        if known is not None:
            try:
                changes[known[0]] = known[1](value)
            except v.Invalid as error:
                item.refuse(f"terms.{name}", str(error))
        elif name == "disabledAt":
            try:
                item.disabled_at = v.instant(value)
            except v.Invalid as error:
                item.refuse(f"terms.{name}", str(error))
        elif name == "eligibleCategories":
            try:
                changes["eligible_categories"] = _categories(value)
            except v.Invalid as error:
                item.refuse(f"terms.{name}", str(error))
        else:
            item.refuse(f"terms.{name}", "is not a field of Terms")
    item.terms = changes
    item.has_terms = True
    item.terms_active = changes.get("active")


_read_category = v.member(ItemCategory)


def _categories(value: object) -> list[CategoryList] | None:
    if value is None:
        return None
    if not isinstance(value, list):
        raise v.Invalid('must be a list of {"category": ..., "itemIds": [...]}')
    entries = []
    for index, entry in enumerate(value):
        if (
            not isinstance(entry, dict)
            or set(entry) - {"category", "itemIds"}
            or "category" not in entry
        ):
            raise v.Invalid(f'item {index} must be {{"category": ..., "itemIds": [...]}}')
        ids = entry.get("itemIds", [])
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            raise v.Invalid(f"item {index}: itemIds must be a list of strings")
        try:
            category = _read_category(entry["category"])
        except v.Invalid as error:
            raise v.Invalid(f"item {index}: category {error}") from None
        if category is None:
            raise v.Invalid(f"item {index}: category must not be null")
        entries.append(CategoryList(category, ids))
    return entries
