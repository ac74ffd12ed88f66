"""What each list of the API can be filtered and ordered by (seed 002's filters, for every type).

API vocabulary (the filter fields' names and descriptions, the Node types whose global ids an
ID filter takes) over the columns of app.db.tables; app.db.filters turns a filter into
conditions on those columns."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from app.db import tables as t
from app.db.filters import FieldKind, ListField, ListSpec, Via
from app.domain.enums import Channel, CustomerKind, DiscountKind, UsagePeriod

K = FieldKind


def _table(model: type[t.TableModel]) -> sa.Table:
    return model.__table__


def _f(
    table: sa.Table,
    name: str,
    kind: FieldKind,
    description: str,
    *,
    sortable: bool = False,
    **extra: Any,
) -> ListField:
    return ListField(name, kind, description, table.c[name], sortable=sortable, **extra)


def _record_fields(table: sa.Table) -> list[ListField]:
    return [
        _f(table, "id", K.ID, "The record itself (global ids).", sortable=True, id_type=None),
        _f(table, "unique_id", K.UUID, "The record's UUID."),
        _f(table, "external_id", K.STRING, "The source system's identifier.", sortable=True),
        _f(table, "created_at", K.DATETIME, "When the record was created.", sortable=True),
        _f(table, "updated_at", K.DATETIME, "When the record was last changed.", sortable=True),
        _f(table, "updated_by", K.STRING, "Who last changed the record."),
        _f(table, "deleted_at", K.DATETIME, "When the record was soft-deleted.", sortable=True),
    ]


def _site_fields(table: sa.Table) -> list[ListField]:
    site = _table(t.Site)
    return [
        _f(table, "site_id", K.ID, "The site (location) the record belongs to.", id_type="Site"),
        ListField(
            "site_name",
            K.STRING,
            "Name of the site the record belongs to.",
            site.c.name,
            via=Via(table.c.site_id, site.c.name),
        ),
        _f(
            table,
            "organisation_id",
            K.ID,
            "The organisation the record belongs to.",
            id_type="Organisation",
        ),
    ]


def _terms_fields(table: sa.Table) -> list[ListField]:
    c = table.c
    return [
        _f(table, "kind", K.ENUM, "Percentage or fixed amount.", enum=DiscountKind, sortable=True),
        ListField(
            "active",
            K.BOOLEAN,
            "Whether the record is enabled (not disabled).",
            c.disabled_at.is_(None),
        ),
        _f(table, "disabled_at", K.DATETIME, "When it was disabled.", sortable=True),
        _f(
            table,
            "percentage_bp",
            K.INT,
            "Percentage in basis points (1250 = 12.50%).",
            sortable=True,
        ),
        _f(table, "apply_to_net_price", K.BOOLEAN, "Whether the discount applies to net prices."),
        _f(table, "members_only", K.BOOLEAN, "Only members may use it."),
        _f(table, "contacts_only", K.BOOLEAN, "Only contacts (non-members) may use it."),
        _f(table, "lead_booker_only", K.BOOLEAN, "Only the lead booker may use it."),
        _f(table, "box_office_only", K.BOOLEAN, "Only at the box office."),
        _f(table, "is_referral", K.BOOLEAN, "Part of the referral programme."),
        _f(table, "discount_price_plans", K.BOOLEAN, "Applies to price plans."),
        _f(table, "discount_bookings", K.BOOLEAN, "Applies to bookings."),
        _f(table, "discount_products", K.BOOLEAN, "Applies to products."),
        _f(table, "discount_events", K.BOOLEAN, "Applies to events."),
        _f(table, "discount_offerings", K.BOOLEAN, "Applies to offerings / sale items."),
        _f(table, "max_uses", K.INT, "Total cap.", sortable=True),
        _f(table, "max_uses_per_customer", K.INT, "Per-customer cap.", sortable=True),
        _f(table, "max_uses_per_order", K.INT, "Per-order cap.", sortable=True),
        _f(table, "usage_period", K.ENUM, "Period the total cap counts over.", enum=UsagePeriod),
        _f(table, "times_used", K.INT, "Uses so far (not voided).", sortable=True),
        _f(table, "valid_from", K.DATETIME, "Start of the validity window.", sortable=True),
        _f(table, "valid_to", K.DATETIME, "End of the validity window.", sortable=True),
        _f(table, "publish_from", K.DATETIME, "Start of the publish window.", sortable=True),
        _f(table, "publish_to", K.DATETIME, "End of the publish window.", sortable=True),
        _f(
            table, "expires_in", K.INT, "Relative expiry after assignment, in units.", sortable=True
        ),
        _f(table, "exclusive", K.BOOLEAN, "Used alone, never beside another code on one order."),
        _f(
            table,
            "combines_with_percentage",
            K.BOOLEAN,
            "Combines with percentage discounts when not exclusive.",
        ),
        _f(
            table,
            "combines_with_fixed",
            K.BOOLEAN,
            "Combines with fixed discounts when not exclusive.",
        ),
        _f(table, "priority", K.INT, "Order of application among several codes (higher first)."),
    ]


def _spec(name: str, model: type[t.TableModel], *groups: list[ListField]) -> ListSpec:
    return ListSpec(name, _table(model), tuple(f for group in groups for f in group))


_org, _site, _cust = _table(t.Organisation), _table(t.Site), _table(t.Customer)
_coupon, _dc, _cc = _table(t.Coupon), _table(t.DiscountCode), _table(t.CouponCode)
_asg, _red = _table(t.Assignment), _table(t.Redemption)

ORGANISATIONS = _spec(
    "Organisation",
    t.Organisation,
    _record_fields(_org),
    [_f(_org, "name", K.STRING, "The organisation's name.", sortable=True)],
)

SITES = _spec(
    "Site",
    t.Site,
    _record_fields(_site),
    [
        _f(_site, "organisation_id", K.ID, "The owning organisation.", id_type="Organisation"),
        _f(_site, "name", K.STRING, "The site's name.", sortable=True),
        _f(_site, "currency", K.STRING, "ISO 4217 currency of the site.", sortable=True),
        _f(_site, "time_zone", K.STRING, "IANA time zone of the site."),
    ],
)

CUSTOMERS = _spec(
    "Customer",
    t.Customer,
    _record_fields(_cust),
    [
        _f(_cust, "organisation_id", K.ID, "The owning organisation.", id_type="Organisation"),
        _f(_cust, "kind", K.ENUM, "Individual or company.", enum=CustomerKind),
        _f(_cust, "full_name", K.STRING, "Full name.", sortable=True),
        _f(_cust, "billing_name", K.STRING, "Billing name.", sortable=True),
        _f(_cust, "company_name", K.STRING, "Company name.", sortable=True),
        _f(_cust, "email", K.STRING, "Email address.", sortable=True),
        _f(_cust, "is_member", K.BOOLEAN, "Member (true) or contact (false)."),
    ],
)

COUPONS = _spec(
    "Coupon",
    t.Coupon,
    _record_fields(_coupon),
    _site_fields(_coupon),
    _terms_fields(_coupon),
    [
        _f(_coupon, "name", K.STRING, "The campaign's staff-facing name.", sortable=True),
        _f(_coupon, "description", K.STRING, "Description."),
    ],
)

DISCOUNT_CODES = _spec(
    "DiscountCode",
    t.DiscountCode,
    _record_fields(_dc),
    _site_fields(_dc),
    _terms_fields(_dc),
    [
        _f(_dc, "code", K.STRING, "The code customers enter.", sortable=True),
        _f(_dc, "description", K.STRING, "Description."),
    ],
)

COUPON_CODES = _spec(
    "CouponCode",
    t.CouponCode,
    _record_fields(_cc),
    _site_fields(_cc),
    [
        _f(_cc, "coupon_id", K.ID, "The coupon the code belongs to.", id_type="Coupon"),
        ListField(
            "coupon_name",
            K.STRING,
            "Name of the coupon the code belongs to.",
            _coupon.c.name,
            via=Via(_cc.c.coupon_id, _coupon.c.name),
        ),
        _f(_cc, "code", K.STRING, "The code customers type.", sortable=True),
        _f(_cc, "valid_from", K.DATETIME, "Start of the code's own window.", sortable=True),
        _f(_cc, "valid_to", K.DATETIME, "End of the code's own window.", sortable=True),
        _f(_cc, "multi_use", K.BOOLEAN, "Redeemable once per customer rather than once."),
        _f(_cc, "customer_id", K.ID, "The customer it is pre-allocated to.", id_type="Customer"),
        _f(_cc, "customer_credit_id", K.STRING, "The customer credit it is pre-allocated to."),
        _f(_cc, "revenue", K.INT, "Revenue override in minor units.", sortable=True),
        _f(_cc, "times_used", K.INT, "Uses so far (not voided).", sortable=True),
    ],
)


def _code_via(
    name: str,
    kind: FieldKind,
    description: str,
    column: sa.ColumnElement[Any],
    local: sa.Column[Any],
) -> ListField:
    return ListField(name, kind, description, column, via=Via(local, column))


_customer_via = [
    ListField(
        f"customer_{name}",
        kind,
        f"The customer's {label}.",
        _cust.c[name],
        via=Via(_asg.c.customer_id, _cust.c[name]),
        enum=CustomerKind if kind is K.ENUM else None,
    )
    for name, kind, label in (
        ("kind", K.ENUM, "kind (individual or company)"),
        ("full_name", K.STRING, "full name"),
        ("billing_name", K.STRING, "billing name"),
        ("company_name", K.STRING, "company name"),
        ("email", K.STRING, "email"),
    )
]

ASSIGNMENTS = _spec(
    "Assignment",
    t.Assignment,
    _record_fields(_asg),
    _site_fields(_asg),
    _customer_via,
    [
        _f(_asg, "customer_id", K.ID, "The customer the code is assigned to.", id_type="Customer"),
        _f(_asg, "discount_code_id", K.ID, "The assigned discount code.", id_type="DiscountCode"),
        _code_via(
            "discount_code_code",
            K.STRING,
            "The assigned discount code's code.",
            _dc.c.code,
            _asg.c.discount_code_id,
        ),
        _code_via(
            "discount_code_active",
            K.BOOLEAN,
            "Whether the assigned discount code is active.",
            _dc.c.disabled_at.is_(None),
            _asg.c.discount_code_id,
        ),
        _code_via(
            "discount_code_valid_from",
            K.DATETIME,
            "The discount code's own start.",
            _dc.c.valid_from,
            _asg.c.discount_code_id,
        ),
        _code_via(
            "discount_code_valid_to",
            K.DATETIME,
            "The discount code's own end.",
            _dc.c.valid_to,
            _asg.c.discount_code_id,
        ),
        _f(_asg, "coupon_code_id", K.ID, "The assigned coupon code.", id_type="CouponCode"),
        _code_via(
            "coupon_code_code",
            K.STRING,
            "The assigned coupon code's code.",
            _cc.c.code,
            _asg.c.coupon_code_id,
        ),
        _f(_asg, "notes", K.STRING, "Notes about the assignment."),
        _f(_asg, "times_used", K.INT, "Times this customer used the code.", sortable=True),
        _f(_asg, "valid_from", K.DATETIME, "Customer-specific start.", sortable=True),
        _f(_asg, "expires_on", K.DATETIME, "Customer-specific expiry.", sortable=True),
        _f(_asg, "referrer_id", K.ID, "The referring customer.", id_type="Customer"),
        ListField(
            "referrer_unique_id",
            K.UUID,
            "UUID of the referring customer (Nexudus RefererGuid).",
            _cust.c.unique_id,
            via=Via(_asg.c.referrer_id, _cust.c.unique_id),
        ),
        _f(
            _asg,
            "booking_reference",
            K.STRING,
            "The booking the code was applied to.",
            sortable=True,
        ),
    ],
)

REDEMPTIONS = _spec(
    "Redemption",
    t.Redemption,
    _record_fields(_red),
    _site_fields(_red),
    [
        _f(_red, "discount_code_id", K.ID, "The redeemed discount code.", id_type="DiscountCode"),
        _f(_red, "coupon_code_id", K.ID, "The redeemed coupon code.", id_type="CouponCode"),
        _f(_red, "coupon_id", K.ID, "The coupon behind the redeemed code.", id_type="Coupon"),
        _f(_red, "assignment_id", K.ID, "The assignment used.", id_type="Assignment"),
        _f(_red, "customer_id", K.ID, "The redeeming customer.", id_type="Customer"),
        _f(_red, "order_reference", K.STRING, "The order or booking reference.", sortable=True),
        _f(_red, "channel", K.ENUM, "Where it was redeemed.", enum=Channel),
        _f(_red, "amount", K.INT, "Amount discounted, minor units.", sortable=True),
        _f(_red, "currency", K.STRING, "Currency of the amount."),
        _f(_red, "redeemed_at", K.DATETIME, "When it was redeemed.", sortable=True),
        _f(_red, "voided_at", K.DATETIME, "When it was voided.", sortable=True),
    ],
)

ALL_LISTS = (
    ORGANISATIONS,
    SITES,
    CUSTOMERS,
    COUPONS,
    COUPON_CODES,
    DISCOUNT_CODES,
    ASSIGNMENTS,
    REDEMPTIONS,
)
