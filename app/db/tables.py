"""The tables of the unified discount model (SQLModel), with their constraints and indexes.

Every row carries the record columns (ids, timestamps, soft deletion, the source system's id).
Rows that belong to a site also carry its organisation: a site never changes organisation, and
having both on the row lets tenancy filters run without joins.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any, ClassVar, TypedDict

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.clock import utcnow
from app.db.column_types import UTCDateTime
from app.domain.enums import (
    Channel,
    CustomerKind,
    DiscountKind,
    ExpirationUnit,
    ItemCategory,
    UsagePeriod,
)

# Constraint and index names that are the same on every database and in every migration.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def _enum(enum_cls: type) -> sa.Enum:
    # Stored as plain strings: no native PostgreSQL enum types to migrate when a member is added.
    return sa.Enum(enum_cls, native_enum=False, length=32, validate_strings=True)


def _fk(target: str, *, nullable: bool = False, index: bool = True) -> Any:
    # Any, as `Field` returns: it stands for the column's value in the class body
    return Field(
        default=None,
        sa_column_kwargs={"nullable": nullable},
        foreign_key=target,
        index=index,
    )


class TableModel(SQLModel):
    """A base that says what SQLModel's declarative base leaves undeclared to type checkers:
    a table model's Core table (`__table__`), which statements are built on."""

    __table__: ClassVar[sa.Table]


class RecordColumns(TableModel):
    """Columns every record has (DESIGN: id, uniqueId, createdAt, updatedAt, updatedBy, deletedAt, externalId)."""

    id: int | None = Field(default=None, primary_key=True)
    unique_id: uuid.UUID = Field(default_factory=uuid.uuid4, sa_type=sa.Uuid, unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    updated_by: str | None = Field(default=None, max_length=320)
    deleted_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    external_id: str | None = Field(default=None, max_length=128, index=True)


class SiteOwned(RecordColumns):
    site_id: int = _fk("site.id")
    organisation_id: int = _fk("organisation.id")


class TermsColumns(SiteOwned):
    """The one set of rules shared by Coupon and DiscountCode (DESIGN "Terms").

    Boolean flags carry no index of their own: a two-valued column never narrows a search
    enough for the planner to use one, and every index slows bulk inserts of codes.
    """

    kind: DiscountKind = Field(sa_type=_enum(DiscountKind), index=True)
    # Basis points (1/100 of a percent) keep the two-decimal percentage exact on every database.
    percentage_bp: int | None = Field(default=None, index=True)
    amounts: dict[str, int] | None = Field(default=None, sa_type=sa.JSON(none_as_null=True))
    minimum_spend: dict[str, int] = Field(default_factory=dict, sa_type=sa.JSON)
    maximum_discount: dict[str, int] = Field(default_factory=dict, sa_type=sa.JSON)
    apply_to_net_price: bool = False
    discount_price_plans: bool = False
    discount_bookings: bool = False
    discount_products: bool = False
    discount_events: bool = False
    discount_offerings: bool = False
    members_only: bool = False
    contacts_only: bool = False
    lead_booker_only: bool = False
    box_office_only: bool = False
    max_uses: int | None = Field(default=None, index=True)
    max_uses_per_customer: int | None = Field(default=None, index=True)
    max_uses_per_order: int | None = Field(default=None, index=True)
    usage_period: UsagePeriod | None = Field(default=None, sa_type=_enum(UsagePeriod))
    valid_from: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    valid_to: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    publish_from: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    publish_to: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    expiration_unit: ExpirationUnit | None = Field(default=None, sa_type=_enum(ExpirationUnit))
    expires_in: int | None = Field(default=None, index=True)
    disabled_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    is_referral: bool = False
    # Not indexed: every redemption moves it, and an index on it keeps PostgreSQL from
    # updating the row in place (HOT) under the claim's lock (migration 0014).
    times_used: int = Field(default=0)
    # How it combines with other codes on one order (app.domain.combination): exclusive, or
    # beside the kinds flagged, applied by priority. The defaults keep one code per order.
    exclusive: bool = True
    combines_with_percentage: bool = False
    combines_with_fixed: bool = False
    priority: int = 0


# Which TermsColumns flag enables each item category (Nexudus DiscountPricePlans, ...).
CATEGORY_FLAGS: dict[ItemCategory, str] = {
    ItemCategory.PRICE_PLAN: "discount_price_plans",
    ItemCategory.BOOKING: "discount_bookings",
    ItemCategory.PRODUCT: "discount_products",
    ItemCategory.EVENT: "discount_events",
    ItemCategory.OFFERING: "discount_offerings",
}


# Which TermsColumns flag says a discount combines with discounts of each kind.
COMBINES_WITH_FLAGS: dict[DiscountKind, str] = {
    DiscountKind.PERCENTAGE: "combines_with_percentage",
    DiscountKind.FIXED: "combines_with_fixed",
}


def terms_constraints() -> tuple[sa.CheckConstraint, ...]:
    return (
        sa.CheckConstraint(
            "(kind = 'PERCENTAGE' AND percentage_bp IS NOT NULL AND amounts IS NULL)"
            " OR (kind = 'FIXED' AND percentage_bp IS NULL AND amounts IS NOT NULL)",
            name="percentage_xor_amount",
        ),
        sa.CheckConstraint(
            "percentage_bp IS NULL OR (percentage_bp > 0 AND percentage_bp <= 10000)",
            name="percentage_range",
        ),
        sa.CheckConstraint(
            "(max_uses IS NULL OR max_uses > 0)"
            " AND (max_uses_per_customer IS NULL OR max_uses_per_customer > 0)"
            " AND (max_uses_per_order IS NULL OR max_uses_per_order > 0)",
            name="caps_positive",
        ),
        sa.CheckConstraint(
            "valid_from IS NULL OR valid_to IS NULL OR valid_to > valid_from", name="valid_window"
        ),
        sa.CheckConstraint(
            "publish_from IS NULL OR publish_to IS NULL OR publish_to > publish_from",
            name="publish_window",
        ),
        sa.CheckConstraint(
            "(expiration_unit IS NULL AND expires_in IS NULL)"
            " OR (expiration_unit IS NOT NULL AND expires_in > 0)",
            name="relative_expiry",
        ),
        sa.CheckConstraint("NOT (members_only AND contacts_only)", name="one_audience"),
        sa.CheckConstraint("times_used >= 0", name="times_used"),
    )


class _Where(TypedDict):
    sqlite_where: sa.TextClause
    postgresql_where: sa.TextClause


def _live(column: str) -> _Where:
    """Partial-index condition: only live (not soft-deleted) rows take part."""
    clause = sa.text(f"{column} IS NULL")
    return {"sqlite_where": clause, "postgresql_where": clause}


class Organisation(RecordColumns, table=True):
    __tablename__ = "organisation"

    name: str = Field(max_length=200, index=True)


class Site(RecordColumns, table=True):
    __tablename__ = "site"

    organisation_id: int = _fk("organisation.id")
    name: str = Field(max_length=200, index=True)
    currency: str = Field(max_length=3, index=True)
    time_zone: str = Field(max_length=64)


class Customer(RecordColumns, table=True):
    __tablename__ = "customer"
    # A host system's id names one live customer of the organisation (upsertCustomers' key).
    __table_args__ = (
        sa.Index(
            "uq_customer_organisation_external_id_live",
            "organisation_id",
            "external_id",
            unique=True,
            **_live("deleted_at"),
        ),
    )

    organisation_id: int = _fk("organisation.id")
    kind: CustomerKind = Field(
        default=CustomerKind.INDIVIDUAL, sa_type=_enum(CustomerKind), index=True
    )
    full_name: str = Field(max_length=200, index=True)
    billing_name: str | None = Field(default=None, max_length=200, index=True)
    company_name: str | None = Field(default=None, max_length=200, index=True)
    email: str | None = Field(default=None, max_length=320, index=True)
    is_member: bool = False


def owner_key(table: str) -> sa.Index:
    """(id, site_id, organisation_id) as a unique key: what a ledger row's foreign key to its
    code's owner names, and a coupon code's to its coupon, so that the one key proves the
    row's site and organisation are its owner's (see Redemption, CouponCode). A unique index
    rather than a constraint: SQLite takes either as a foreign key's parent, and adds an
    index without rebuilding the table."""
    return sa.Index(
        f"uq_{table}_id_site_id_organisation_id", "id", "site_id", "organisation_id", unique=True
    )


class Coupon(TermsColumns, table=True):
    __tablename__ = "coupon"

    __table_args__ = (*terms_constraints(), owner_key("coupon"))

    name: str = Field(max_length=200, index=True)
    description: str | None = Field(default=None, max_length=2000)


class DiscountCode(TermsColumns, table=True):
    __tablename__ = "discount_code"

    __table_args__ = (
        *terms_constraints(),
        sa.Index(
            "uq_discount_code_site_code_live",
            "site_id",
            sa.text("lower(code)"),
            unique=True,
            **_live("deleted_at"),
        ),
        sa.Index("ix_discount_code_code_key", sa.text("lower(code)")),
        owner_key("discount_code"),
    )

    code: str = Field(max_length=64, index=True)
    description: str | None = Field(default=None, max_length=2000)


class CouponCode(SiteOwned, table=True):
    """A code of a coupon. Its site and organisation are its coupon's, and one foreign key
    says so: (coupon_id, site_id, organisation_id) names a coupon row (migration 0017). That
    also proves the site and organisation exist (the coupon's own foreign keys), with one
    check per inserted row where three separate keys made PostgreSQL run three RI triggers
    (a generation of 100,000 codes spent about a quarter of its insert in them)."""

    __tablename__ = "coupon_code"

    __table_args__ = (
        sa.ForeignKeyConstraint(
            ["coupon_id", "site_id", "organisation_id"],
            ["coupon.id", "coupon.site_id", "coupon.organisation_id"],
        ),
        sa.Index(
            "uq_coupon_code_coupon_code_live",
            "coupon_id",
            sa.text("lower(code)"),
            unique=True,
            **_live("deleted_at"),
        ),
        sa.Index("ix_coupon_code_code_key", sa.text("lower(code)")),
        # What a ledger row's key to its coupon code names (Redemption, migration 0018).
        sa.Index("uq_coupon_code_id_coupon_id", "id", "coupon_id", unique=True),
        sa.CheckConstraint(
            "customer_credit_id IS NULL OR customer_id IS NOT NULL", name="credit_needs_customer"
        ),
        sa.CheckConstraint(
            "valid_from IS NULL OR valid_to IS NULL OR valid_to > valid_from", name="valid_window"
        ),
        sa.CheckConstraint("times_used >= 0", name="times_used"),
    )

    # Columns of the foreign key above, each with its index as before.
    site_id: int = Field(default=None, index=True)
    organisation_id: int = Field(default=None, index=True)
    coupon_id: int = Field(default=None, index=True)
    code: str = Field(max_length=64, index=True)
    valid_from: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    valid_to: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    multi_use: bool = False
    customer_id: int | None = _fk("customer.id", nullable=True)
    customer_credit_id: str | None = Field(default=None, max_length=128, index=True)
    revenue: int | None = Field(default=None, index=True)
    times_used: int = Field(default=0)  # not indexed: see TermsColumns.times_used


class EligibleItem(TableModel, table=True):
    """One item id in a Terms' eligible list: exactly one owner, a coupon or a discount code.

    A value list of its owner rather than a record: replacing the list replaces these rows, and
    the owner's updatedAt/updatedBy record the change.
    """

    __tablename__ = "eligible_item"
    __table_args__ = (
        sa.CheckConstraint("(coupon_id IS NULL) <> (discount_code_id IS NULL)", name="one_owner"),
        sa.UniqueConstraint("coupon_id", "category", "item_id"),
        sa.UniqueConstraint("discount_code_id", "category", "item_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    coupon_id: int | None = _fk("coupon.id", nullable=True)
    discount_code_id: int | None = _fk("discount_code.id", nullable=True)
    category: ItemCategory = Field(sa_type=_enum(ItemCategory))
    item_id: str = Field(max_length=128, index=True)


class Assignment(SiteOwned, table=True):
    """A code given to one customer (Nexudus CoworkerDiscountCode, Trybe pre-allocation)."""

    __tablename__ = "assignment"
    __table_args__ = (
        sa.CheckConstraint(
            "(discount_code_id IS NULL) <> (coupon_code_id IS NULL)", name="one_code"
        ),
        sa.CheckConstraint(
            "valid_from IS NULL OR expires_on IS NULL OR expires_on > valid_from",
            name="valid_window",
        ),
        sa.CheckConstraint("times_used >= 0", name="times_used"),
        sa.Index(
            "uq_assignment_customer_discount_code_live",
            "customer_id",
            "discount_code_id",
            unique=True,
            **_live("deleted_at"),
        ),
        sa.Index(
            "uq_assignment_customer_coupon_code_live",
            "customer_id",
            "coupon_code_id",
            unique=True,
            **_live("deleted_at"),
        ),
        # A site's assignments newest first, a page at a time (`assignments(filter: {siteId}
        # orderBy: CREATED_AT)`, either direction): read in order from here, where the
        # created_at index alone read the whole table's rows back to the page, skipping the
        # other sites' (migration 0013).
        sa.Index("ix_assignment_site_created", "site_id", "created_at", "id"),
    )

    customer_id: int = _fk("customer.id")
    discount_code_id: int | None = _fk("discount_code.id", nullable=True)
    coupon_code_id: int | None = _fk("coupon_code.id", nullable=True)
    valid_from: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    expires_on: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    times_used: int = Field(default=0)  # not indexed: see TermsColumns.times_used
    notes: str | None = Field(default=None, max_length=4000)
    referrer_id: int | None = _fk("customer.id", nullable=True)
    booking_reference: str | None = Field(default=None, max_length=128, index=True)


class Redemption(SiteOwned, table=True):
    """One use of a code: a ledger row, voided but never deleted.

    Every redemption inserts into each index below, under its code's lock, so the ledger
    carries only the indexes a query reads (migration 0016 dropped nine): a column that
    leads a wider index has no index of its own (site_id leads the idempotency key's,
    coupon_id and discount_code_id their period indexes); channel and currency, filters of
    a few values, are read alongside an indexed condition; deleted_at is never set.

    Its site and organisation are its code's, and the foreign key to the code's owner says
    so: (discount_code_id | coupon_id, site_id, organisation_id) names the discount code or
    the coupon, whose row the redemption already locks and updates, and whose own keys
    prove the site and organisation exist. Separate keys to the site and the organisation
    made every redemption take a share lock on those few rows, which all the concurrent
    redemptions of a site share: PostgreSQL made a MultiXact of its lockers each time."""

    __tablename__ = "redemption"
    __table_args__ = (
        sa.CheckConstraint(
            "(discount_code_id IS NULL) <> (coupon_code_id IS NULL)", name="one_code"
        ),
        # A coupon code's use names its coupon, so one of the two owner keys below holds
        # on every row: the row's site and organisation are always checked.
        sa.CheckConstraint("(coupon_id IS NULL) = (coupon_code_id IS NULL)", name="coupon_owner"),
        sa.CheckConstraint("amount >= 0", name="amount"),
        sa.UniqueConstraint("site_id", "idempotency_key"),
        *(
            sa.ForeignKeyConstraint(
                [f"{owner}_id", "site_id", "organisation_id"],
                [f"{owner}.id", f"{owner}.site_id", f"{owner}.organisation_id"],
            )
            for owner in ("discount_code", "coupon")
        ),
        # A coupon code's use names that code of that coupon (migration 0018); the claim
        # holds the code's row already, so the key's share lock is its own.
        sa.ForeignKeyConstraint(
            ["coupon_code_id", "coupon_id"], ["coupon_code.id", "coupon_code.coupon_id"]
        ),
        sa.Index("ix_redemption_coupon_period", "coupon_id", "redeemed_at"),
        sa.Index("ix_redemption_discount_code_period", "discount_code_id", "redeemed_at"),
    )

    # Checked by the owner keys above, and indexed by the idempotency key (site_id) or not
    # at all (organisation_id: its index serves an organisation's lists).
    site_id: int = Field(default=None)
    organisation_id: int = Field(default=None, index=True)
    discount_code_id: int | None = Field(default=None)
    coupon_code_id: int | None = Field(default=None, index=True)
    coupon_id: int | None = Field(default=None)
    assignment_id: int | None = _fk("assignment.id", nullable=True)
    customer_id: int | None = _fk("customer.id", nullable=True)
    order_reference: str | None = Field(default=None, max_length=128, index=True)
    channel: Channel = Field(default=Channel.ONLINE, sa_type=_enum(Channel))
    is_lead_booker: bool = False
    amount: int = Field(index=True)
    currency: str = Field(max_length=3)
    line_amounts: list[int] = Field(default_factory=list, sa_type=sa.JSON)
    redeemed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    voided_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    # Set on uses brought in by scripts/import (another system's history); null for uses made
    # here. They count towards caps and usage like any other.
    imported_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    idempotency_key: str = Field(max_length=128)
    request_fingerprint: str = Field(max_length=64)
    # A ledger row is voided, never deleted: always null, so no index (tests/db/test_schema.py).
    deleted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class UsageCounter(TableModel, table=True):
    """How many live (not voided) ledger rows fall under one key of one owner (the coupon or
    discount code that carries the caps): its total, its usage-period bucket, a customer's,
    a code's, a code and customer's (app.db.usage_counters names the keys). Moved in the
    same transaction as the ledger rows they count, so a check reads a few rows by key
    instead of counting the ledger; `scripts/check-ledger` recounts them."""

    __tablename__ = "usage_counter"
    __table_args__ = (sa.CheckConstraint("uses >= 0", name="uses"),)

    # "coupon" or "discount_code": the owner's table (owners of both kinds share ids).
    owner_type: str = Field(max_length=16, primary_key=True)
    owner_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    key: str = Field(max_length=64, primary_key=True)
    uses: int = 0


class PayloadJSON(sa.TypeDecorator[Any]):
    """An event's payload: JSON to the application, stored as text on PostgreSQL (migration
    0012). Its json type checks (parses) every value written, which the payloads of a bulk
    write, built as text by the database itself (app.db.event_batches), paid per row: ~0.26 s
    of PostgreSQL's CPU per 100,000 generated codes (2026-12-07). Nothing reads it as JSON in
    SQL; the application reads and writes the same JSON text as before. SQLite keeps JSON
    (text there already)."""

    impl = sa.Text
    cache_ok = True

    def load_dialect_impl(self, dialect: sa.Dialect) -> sa.types.TypeEngine[Any]:
        # The types themselves: asyncpg's type_descriptor(Text) would compile as VARCHAR
        return sa.Text() if dialect.name == "postgresql" else sa.JSON()

    def process_bind_param(self, value: Any, dialect: sa.Dialect) -> Any:
        if dialect.name != "postgresql" or value is None:
            return value
        serialize = getattr(dialect, "_json_serializer", None) or json.dumps
        return serialize(value)

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> Any:
        if dialect.name != "postgresql" or value is None:
            return value
        deserialize = getattr(dialect, "_json_deserializer", None) or json.loads
        return deserialize(value)


class Event(TableModel, table=True):
    """One committed write, as the change feed and webhooks hand it out (app.db.events): the
    outbox row its transaction adds beside what it wrote, so a rolled-back write leaves none.

    `position` orders the feed: the writing transaction's id on PostgreSQL, then `seq` (see
    app.db.events for why a sequence alone is not commit order there); SQLite serialises its
    writers, so `seq` alone is, and `position` is 0."""

    __tablename__ = "event"
    __table_args__ = (
        sa.Index("ix_event_position", "position", "seq"),
        sa.Index("ix_event_site_position", "site_id", "position", "seq"),
        sa.Index("ix_event_organisation_position", "organisation_id", "position", "seq"),
    )

    seq: int | None = Field(
        default=None, sa_type=sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True
    )
    id: uuid.UUID = Field(sa_type=sa.Uuid, unique=True)
    position: int = Field(sa_type=sa.BigInteger)
    type: str = Field(max_length=64)
    # No foreign keys: an event outlives nothing it names (rows are never deleted) and a key
    # would cost every write a lookup.
    site_id: int | None = None
    organisation_id: int
    object_type: str = Field(max_length=32)
    object_id: int
    object_updated_at: datetime = Field(sa_type=UTCDateTime)
    payload: dict[str, Any] = Field(sa_type=PayloadJSON)
    occurred_at: datetime = Field(sa_type=UTCDateTime)


class WebhookEndpoint(TableModel, table=True):
    """Where events are POSTed (app.delivery): a URL, the event types it takes (none: all)
    and, in `webhook_endpoint_site`, the sites whose events it takes (none: every site, which
    only an administrator may ask for). `secret` signs every delivery; it is handed out once (by the write that made it: creation
    or rotation).
    An endpoint whose deliveries keep failing is disabled with the reason (`disabled_reason`)."""

    __tablename__ = "webhook_endpoint"

    id: int | None = Field(default=None, primary_key=True)
    unique_id: uuid.UUID = Field(default_factory=uuid.uuid4, sa_type=sa.Uuid, unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_by: str | None = Field(default=None, max_length=320)
    deleted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    url: str = Field(max_length=2048)
    types: list[str] = Field(sa_type=sa.JSON)
    secret: str = Field(max_length=128)
    # The secret rotateWebhookSecret replaced, which also signs deliveries until it expires.
    previous_secret: str | None = Field(default=None, max_length=128)
    previous_secret_expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    disabled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    disabled_reason: str | None = Field(default=None, max_length=1000)
    # Since when every attempt has failed (null after a success): how long it has been down.
    failing_since: datetime | None = Field(default=None, sa_type=UTCDateTime)


class WebhookEndpointSite(TableModel, table=True):
    """A site whose events an endpoint takes (with its organisation: a customer's and an
    organisation's events, which have no site, go to endpoints of the organisation's sites)."""

    __tablename__ = "webhook_endpoint_site"

    endpoint_id: int = Field(foreign_key="webhook_endpoint.id", primary_key=True)
    site_id: int = Field(foreign_key="site.id", primary_key=True, index=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)


class WebhookDelivery(TableModel, table=True):
    """One event owed to one endpoint: `pending` until an attempt succeeds (`delivered`) or
    the retry window ends (`failed`). A worker claims it by moving `next_attempt_at` past its
    lease with a fresh `lease_token`: a worker that dies mid-delivery loses nothing, the
    delivery is due again when the lease ends."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        sa.UniqueConstraint("endpoint_id", "event_seq"),
        sa.Index(
            "ix_webhook_delivery_due",
            "next_attempt_at",
            postgresql_where=sa.text("state = 'pending'"),
            sqlite_where=sa.text("state = 'pending'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    endpoint_id: int = Field(foreign_key="webhook_endpoint.id")
    event_seq: int = Field(sa_type=sa.BigInteger, index=True)
    event_id: uuid.UUID = Field(sa_type=sa.Uuid, index=True)
    state: str = Field(max_length=16)
    attempts: int = 0
    next_attempt_at: datetime = Field(sa_type=UTCDateTime)
    # Retried until then (the retry window from its creation or its redelivery).
    deadline: datetime = Field(sa_type=UTCDateTime)
    lease_token: uuid.UUID | None = Field(default=None, sa_type=sa.Uuid)
    last_error: str | None = Field(default=None, max_length=1000)
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)
    delivered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class WebhookAttempt(TableModel, table=True):
    """One POST of a delivery and what came of it: the status the receiver answered, or why
    there was none (refused address, timeout, connection error)."""

    __tablename__ = "webhook_attempt"

    id: int | None = Field(default=None, primary_key=True)
    delivery_id: int = Field(foreign_key="webhook_delivery.id", index=True)
    number: int
    started_at: datetime = Field(sa_type=UTCDateTime)
    duration_ms: int
    status_code: int | None = None
    succeeded: bool
    error: str | None = Field(default=None, max_length=1000)


class WebhookCursor(TableModel, table=True):
    """How far into the event feed deliveries have been made (one row): the worker that
    holds its lock reads on from here and adds the deliveries of what it read."""

    __tablename__ = "webhook_cursor"

    name: str = Field(max_length=32, primary_key=True)
    position: int = Field(sa_type=sa.BigInteger)
    seq: int = Field(sa_type=sa.BigInteger)


ALL_TABLES = (
    Organisation,
    Site,
    Customer,
    Coupon,
    CouponCode,
    DiscountCode,
    EligibleItem,
    Assignment,
    Redemption,
)


def _index_only_values(table: sa.Table) -> None:
    """Every index of one nullable column of `table` holds only the rows that have a value.

    What such an index serves is kept whole: every filter that can use an index implies a
    value (eq, in, gt/gte/lt/lte, `isNull: false`, a lookup by externalId, a foreign key's
    rows), and both databases prove that from the query's condition (PostgreSQL for `=
    ANY($1)` and joins too, SQLite for IN). A sort never used it: a nullable sort column's
    first ORDER BY key is `CASE WHEN col IS NULL ...` (app/db/paging.py, NULLs last both
    ways), which no index on the column gives. What is left out is `isNull: true` / `eq:
    null`, which matches most rows of such a column and was never worth an index scan.

    Left out, the rows without a value cost nothing to insert: bulk writes fill these tables
    with codes whose windows, caps, customer, revenue, deletion and the like are mostly
    empty (a generated coupon code has 7 such indexes and a value in none of them; see
    docs/performance.md for what it saves)."""
    for index in table.indexes:
        (expression, *more) = index.expressions
        if more or index.unique or not isinstance(expression, sa.Column):
            continue
        if expression.nullable:
            clause = sa.text(f"{expression.name} IS NOT NULL")
            index.dialect_options["postgresql"]["where"] = clause
            index.dialect_options["sqlite"]["where"] = clause


# The tables that bulk writes fill (code generation, imports); migration 0005 made their
# nullable columns' indexes partial.
for _bulk_written in (Coupon, DiscountCode, CouponCode):
    _index_only_values(_bulk_written.__table__)

# The Core tables behind the models, which statements are built on.
ORGANISATION = Organisation.__table__
SITE = Site.__table__
CUSTOMER = Customer.__table__
COUPON = Coupon.__table__
COUPON_CODE = CouponCode.__table__
DISCOUNT_CODE = DiscountCode.__table__
ELIGIBLE_ITEM = EligibleItem.__table__
ASSIGNMENT = Assignment.__table__
REDEMPTION = Redemption.__table__
USAGE_COUNTER = UsageCounter.__table__
EVENT = Event.__table__
WEBHOOK_ENDPOINT = WebhookEndpoint.__table__
WEBHOOK_ENDPOINT_SITE = WebhookEndpointSite.__table__
WEBHOOK_DELIVERY = WebhookDelivery.__table__
WEBHOOK_ATTEMPT = WebhookAttempt.__table__
WEBHOOK_CURSOR = WebhookCursor.__table__
