"""The transfer record: the unified model as one JSON Lines line, shared by every format.

A transfer record is a plain dict, exactly one line of the JSON Lines format:

    {"type": "<Customer|Coupon|CouponCode|DiscountCode|Assignment|Redemption>", ...fields}

Vendor readers (app/transfer/formats/*) turn a vendor document into an iterator of these;
vendor writers turn an iterator of these (as the exporter yields them) into the vendor
document. The importer validates them, plans them and writes them.

Values are what the GraphQL API answers for the field of the same name (schema.graphql):
- money: integer minor units; `Money` lists are `[{"currency": "GBP", "amount": 500}]`;
- percentage: a decimal string, two decimals on export (`"12.50"`); a JSON number or any
  decimal string with at most two decimals on import;
- DateTime: ISO 8601 in UTC on export (`"2025-03-01T00:00:00+00:00"`); on import any RFC 3339
  instant with an offset, or a date `YYYY-MM-DD` for a window bound (the site's local day, as
  the API's DateOrDateTime: a start bound its first instant, an end bound its last);
- enums by name (`"PERCENTAGE"`, `"P1M"`, `"BOX_OFFICE"`...);
- UUIDs in their canonical 8-4-4-4-12 form.

Presence matters: a field absent from the dict is "not given" (on create: the API's default;
on update: keep the current value); a field given as null sets null (clears). In `terms` the
same holds field by field (an update of a coupon with `terms: {"maxUses": 5}` changes only
maxUses).

Readers may add "@record" (the 1-based number of the vendor record a transfer record came
from, for messages; see app/transfer/registry.py); the importer drops it.

## Fields every record has

- `type` (required): the GraphQL type name.
- `id`: the global (Relay) id. Written on export; ignored on import (a global id is one
  database's).
- `uniqueId`: the record's UUID. Kept on create when given (so JSON Lines moved between two
  instances keep them); never changed on update.
- `externalId`: the source system's id (Nexudus Id, Trybe id, nuwebgroup id...). The import key.
- `createdAt`: export: when created. Import: honoured on create (history keeps its dates;
  for an Assignment it is the assigned time that relative expiry runs from); ignored on update.
- `updatedAt`, `updatedBy`: export only (an import sets them: now, and the importing actor).
- `deletedAt`: a given instant soft-deletes the record (kept trashed); null restores a trashed
  one; absent keeps its state (a new record is live).

## Keys: create, update or unchanged

Each record is looked up by its key, within the `--site`'s scope (customers: the site's
organisation; everything else: the site):
- `externalId` when the record gives one (idempotent re-imports from a vendor);
- else `uniqueId` (JSON Lines between instances, for records created through the API);
- a record with neither is always created (a Redemption must have one or the other, so a
  re-import cannot count a use twice: readers derive a stable externalId, e.g.
  `"<code externalId>#use-3"` for the third of Nexudus' TimesUsed).
Found: the given fields are compared with the stored ones; equal is "unchanged", else
"updated" (only the given fields change). Not found: "created".

## References

A relationship field (`coupon`, `customer`, `referrer`, `discountCode`, `couponCode`,
`assignment`) is a reference dict `{"externalId": "..."}` or `{"uniqueId": "..."}` (or both)
naming a record of that type by its key (externalId when given, else uniqueId), looked up
first among the records of the same import (earlier in the stream: readers and the exporter
emit the order Customer, Coupon, CouponCode, DiscountCode, Assignment, Redemption), then in the
database in the site's scope (customers: the organisation). Export writes both keys when the
target has them (`uniqueId` always). A reference that names nothing refuses the record.
A reference field given as null means "none" (e.g. a CouponCode's `customer`: not pre-allocated).

## Output-only fields

`timesUsed` (every code, coupon, assignment) is written on export and ignored on import:
uses come from Redemption records (the ledger), and every counter is recomputed from the
non-voided ledger rows of what the import touched, so caps and usage statistics hold.
`coupon` on a Redemption (the coupon behind its coupon code) and `referrerUniqueId` on an
Assignment are also export-only (derived). `importedAt` on a Redemption: see below.

## The types

Customer (per organisation; the site's organisation):
  kind (INDIVIDUAL|COMPANY, default INDIVIDUAL), fullName (required on create), billingName,
  companyName, email, isMember (default false).

Coupon: name (required on create), description, terms (required on create; Terms below),
  timesUsed (output).

CouponCode: coupon (reference, required on create; the coupon cannot change on update),
  code (required on create; unique among the coupon's live codes in any letter case),
  validFrom, validTo, multiUse (default false), customer (reference or null: pre-allocation;
  the importer records no Assignment for it by itself: a reader emits an Assignment record when
  the vendor's pre-allocation should show as one), customerCreditId (needs customer),
  revenue (>= 0 or null), timesUsed (output).

DiscountCode: code (required on create; unique among the site's live codes in any letter case;
  ASCII letters, digits, '-' and '_'), description, terms (required on create), timesUsed (output).

Terms (nested under `terms`, exactly the GraphQL Terms type): kind (PERCENTAGE|FIXED,
  required on create), percentage (PERCENTAGE), amounts (FIXED, Money list), minimumSpend,
  maximumDiscount (Money lists), applyToNetPrice, membersOnly, contactsOnly, leadBookerOnly,
  boxOfficeOnly, maxUses, maxUsesPerCustomer, maxUsesPerOrder, usagePeriod (P1D|P1W|P1M|P1Y),
  validFrom, validTo, publishFrom, publishTo, expirationUnit (DAY|WEEK|MONTH|YEAR), expiresIn,
  active, disabledAt, isReferral, eligibleCategories
  (`[{"category": "EVENT", "itemIds": ["12", "13"]}]`; empty itemIds: every item of that
  category; an empty list: everything is eligible), exclusive (default true), combinesWith
  (`["PERCENTAGE", "FIXED"]`, each at most once; null: none), priority (0 to 1000, default 0):
  how the discount combines with others on one order (ours: no vendor format has them).
  `active` and `disabledAt`: a given disabledAt instant disables at that instant (active false),
  null enables; `active: false` alone disables now, `active: true` enables. Given both, they
  must agree. The checks are the API's (app/services/terms_input.py): every problem is reported.

Assignment: customer (reference, required on create), discountCode xor couponCode (reference,
  required on create; neither can change on update), validFrom, expiresOn (absent on create:
  createdAt (or now) plus the code's relative expiry, as assignCode does; null: none), notes,
  bookingReference, referrer (customer reference or null), referrerUniqueId (output; on import
  it may stand for `referrer: {"uniqueId": ...}` when no referrer is given), timesUsed (output).
  When no key matches, a live assignment of the same customer and code is the same record
  (so a re-import without externalIds does not hit the one-live-assignment rule).

Redemption (imported history; a ledger entry): discountCode xor couponCode (reference,
  required), customer (reference or null), assignment (reference or null; absent: the
  customer's live assignment of that code, if any, as redeemCode counts it), orderReference,
  channel (ONLINE|BOX_OFFICE, default ONLINE), isLeadBooker (default false), amount (required,
  >= 0: 0 when the vendor gives none), currency (default: the site's), lineAmounts (default []),
  redeemedAt (required; not ahead of now), voidedAt (null: counts as a use; an instant: voided).
  `importedAt` (export: when the row was imported; null for a use made here) is ignored on
  import: the importer sets it. A redemption is a ledger row: on a re-import only `voidedAt`
  may change (null to an instant voids it); any other difference refuses the record.
  Its ledger idempotency key is `import:<externalId>` (or `import:uuid:<uniqueId>`).
"""

from __future__ import annotations

from typing import Literal, NotRequired, TypedDict

RECORD_TYPES = ("Customer", "Coupon", "CouponCode", "DiscountCode", "Assignment", "Redemption")

# The order in which the exporter writes types and in which a reader must emit them, so that
# every reference names a record that came before it.
TYPE_ORDER = {name: position for position, name in enumerate(RECORD_TYPES)}

# Relationship fields of each type and the type each one references.
REFERENCE_FIELDS: dict[str, dict[str, str]] = {
    "Customer": {},
    "Coupon": {},
    "CouponCode": {"coupon": "Coupon", "customer": "Customer"},
    "DiscountCode": {},
    "Assignment": {
        "customer": "Customer",
        "discountCode": "DiscountCode",
        "couponCode": "CouponCode",
        "referrer": "Customer",
    },
    "Redemption": {
        "discountCode": "DiscountCode",
        "couponCode": "CouponCode",
        "customer": "Customer",
        "assignment": "Assignment",
    },
}

# Fields written on export that an import ignores (derived, or set by the importing system).
OUTPUT_ONLY = frozenset({"id", "updatedAt", "updatedBy", "timesUsed", "importedAt"})


class Reference(TypedDict, total=False):
    """Names another record by its key: externalId when given, else uniqueId."""

    externalId: str
    uniqueId: str


class Money(TypedDict):
    currency: str
    amount: int


class EligibleCategory(TypedDict):
    category: Literal["PRICE_PLAN", "BOOKING", "PRODUCT", "EVENT", "OFFERING"]
    itemIds: list[str]


class Terms(TypedDict, total=False):
    kind: Literal["PERCENTAGE", "FIXED"]
    percentage: str | None
    amounts: list[Money]
    minimumSpend: list[Money]
    maximumDiscount: list[Money]
    applyToNetPrice: bool
    membersOnly: bool
    contactsOnly: bool
    leadBookerOnly: bool
    boxOfficeOnly: bool
    maxUses: int | None
    maxUsesPerCustomer: int | None
    maxUsesPerOrder: int | None
    usagePeriod: Literal["P1D", "P1W", "P1M", "P1Y"] | None
    validFrom: str | None
    validTo: str | None
    publishFrom: str | None
    publishTo: str | None
    expirationUnit: Literal["DAY", "WEEK", "MONTH", "YEAR"] | None
    expiresIn: int | None
    active: bool
    disabledAt: str | None
    isReferral: bool
    eligibleCategories: list[EligibleCategory]
    exclusive: bool
    combinesWith: list[Literal["PERCENTAGE", "FIXED"]] | None
    priority: int


class _Common(TypedDict):
    type: str
    id: NotRequired[str]
    uniqueId: NotRequired[str]
    externalId: NotRequired[str | None]
    createdAt: NotRequired[str]
    updatedAt: NotRequired[str]
    updatedBy: NotRequired[str | None]
    deletedAt: NotRequired[str | None]


class CustomerRecord(_Common):
    kind: NotRequired[Literal["INDIVIDUAL", "COMPANY"]]
    fullName: NotRequired[str]
    billingName: NotRequired[str | None]
    companyName: NotRequired[str | None]
    email: NotRequired[str | None]
    isMember: NotRequired[bool]


class CouponRecord(_Common):
    name: NotRequired[str]
    description: NotRequired[str | None]
    terms: NotRequired[Terms]
    timesUsed: NotRequired[int]


class CouponCodeRecord(_Common):
    coupon: NotRequired[Reference]
    code: NotRequired[str]
    validFrom: NotRequired[str | None]
    validTo: NotRequired[str | None]
    multiUse: NotRequired[bool]
    customer: NotRequired[Reference | None]
    customerCreditId: NotRequired[str | None]
    revenue: NotRequired[int | None]
    timesUsed: NotRequired[int]


class DiscountCodeRecord(_Common):
    code: NotRequired[str]
    description: NotRequired[str | None]
    terms: NotRequired[Terms]
    timesUsed: NotRequired[int]


class AssignmentRecord(_Common):
    customer: NotRequired[Reference]
    discountCode: NotRequired[Reference | None]
    couponCode: NotRequired[Reference | None]
    validFrom: NotRequired[str | None]
    expiresOn: NotRequired[str | None]
    notes: NotRequired[str | None]
    bookingReference: NotRequired[str | None]
    referrer: NotRequired[Reference | None]
    referrerUniqueId: NotRequired[str | None]
    timesUsed: NotRequired[int]


class RedemptionRecord(_Common):
    discountCode: NotRequired[Reference | None]
    couponCode: NotRequired[Reference | None]
    coupon: NotRequired[Reference | None]
    customer: NotRequired[Reference | None]
    assignment: NotRequired[Reference | None]
    orderReference: NotRequired[str | None]
    channel: NotRequired[Literal["ONLINE", "BOX_OFFICE"]]
    isLeadBooker: NotRequired[bool]
    amount: int
    currency: NotRequired[str]
    lineAmounts: NotRequired[list[int]]
    redeemedAt: str
    voidedAt: NotRequired[str | None]
    importedAt: NotRequired[str | None]


TransferRecord = (
    CustomerRecord
    | CouponRecord
    | CouponCodeRecord
    | DiscountCodeRecord
    | AssignmentRecord
    | RedemptionRecord
)
