"""Every field of the vendor seeds can be read through the API (docs/seed-field-map.md)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from app.db import tables as t
from app.domain.enums import CustomerKind, DiscountKind, ExpirationUnit, ItemCategory
from app.graphql.ids import to_global_id

TS = datetime(2025, 1, 15, 10, 30, tzinfo=UTC)


async def test_nexudus_coworker_discount_code_fields(gql: Any, make: Any) -> None:
    """Seed 000: CoworkerDiscountCode (an assignment) with its customer, site and code."""
    org = await make.organisation()
    site = await make.site(org, name="Example Business", currency="USD")
    customer = await make.customer(
        org,
        kind=CustomerKind.COMPANY,
        full_name="Jo Doe",
        billing_name="Doe Billing",
        company_name="Doe Co",
    )
    referrer = await make.customer(org, unique_id=uuid.UUID("a1b2c3d4-e5f6-7890-abcd-ef1234567890"))
    code = await make.discount_code(
        site, code="NEXUDUS", valid_from=TS, valid_to=TS.replace(month=12)
    )
    assignment = await make.assignment(
        customer,
        code,
        notes="VIP",
        times_used=2,
        valid_from=TS,
        expires_on=TS.replace(month=6),
        referrer_id=referrer.id,
        booking_reference="bk-123",
        updated_by="admin@example.com",
        external_id="SYS-1",
        created_at=TS.replace(day=10),
        updated_at=TS,
    )
    query = """query($id: ID!) { assignment(id: $id) {
      id uniqueId createdAt updatedAt updatedBy externalId
      customer { id kind fullName billingName companyName }
      site { id name }
      discountCode { id code terms { active validFrom validTo } }
      notes timesUsed validFrom expiresOn referrerUniqueId bookingReference } }"""
    a = (await gql(query, {"id": to_global_id("Assignment", assignment.id)}))["assignment"]
    assert a["customer"] == {
        "id": to_global_id("Customer", customer.id),
        "kind": "COMPANY",
        "fullName": "Jo Doe",
        "billingName": "Doe Billing",
        "companyName": "Doe Co",
    }
    assert a["site"] == {"id": to_global_id("Site", site.id), "name": "Example Business"}
    assert a["discountCode"]["code"] == "NEXUDUS"
    assert a["discountCode"]["terms"] == {
        "active": True,
        "validFrom": "2025-01-15T10:30:00+00:00",
        "validTo": "2025-12-15T10:30:00+00:00",
    }
    assert (a["notes"], a["timesUsed"], a["bookingReference"]) == ("VIP", 2, "bk-123")
    assert a["validFrom"] == "2025-01-15T10:30:00+00:00"
    assert a["expiresOn"] == "2025-06-15T10:30:00+00:00"
    assert a["referrerUniqueId"] == "a1b2c3d4-e5f6-7890-abcd-ef1234567890"
    assert a["uniqueId"] == str(assignment.unique_id)
    assert (a["createdAt"], a["updatedAt"]) == (
        "2025-01-10T10:30:00+00:00",
        "2025-01-15T10:30:00+00:00",
    )
    assert (a["updatedBy"], a["externalId"]) == ("admin@example.com", "SYS-1")


async def test_nexudus_discount_code_fields(gql: Any, make: Any) -> None:
    """Seed 001: DiscountCode with categories, id lists, caps, audience, windows, expiry."""
    org = await make.organisation()
    site = await make.site(org, name="Example Business", currency="EUR")
    code = await make.discount_code(
        site,
        code="TENOFF",
        description="Ten off",
        kind=DiscountKind.FIXED,
        percentage_bp=None,
        amounts={"EUR": 1000},
        is_referral=True,
        discount_price_plans=True,
        discount_bookings=True,
        discount_products=True,
        discount_events=True,
        max_uses_per_customer=2,
        max_uses=100,
        contacts_only=True,
        valid_from=TS,
        valid_to=TS.replace(year=2026),
        publish_from=TS,
        publish_to=TS.replace(month=3),
        expiration_unit=ExpirationUnit.MONTH,
        expires_in=3,
    )
    await make.add(
        t.EligibleItem(discount_code_id=code.id, category=ItemCategory.PRICE_PLAN, item_id="11"),
        t.EligibleItem(discount_code_id=code.id, category=ItemCategory.BOOKING, item_id="22"),
        t.EligibleItem(discount_code_id=code.id, category=ItemCategory.PRODUCT, item_id="33"),
        t.EligibleItem(discount_code_id=code.id, category=ItemCategory.EVENT, item_id="44"),
    )
    query = """query($id: ID!) { discountCode(id: $id) { code description site { id name currency }
      terms { kind percentage amounts { currency amount } isReferral active publishFrom publishTo
        eligibleCategories { category itemIds } maxUsesPerCustomer maxUses contactsOnly membersOnly
        validFrom validTo expirationUnit expiresIn } } }"""
    d = (await gql(query, {"id": to_global_id("DiscountCode", code.id)}))["discountCode"]
    assert (d["code"], d["description"]) == ("TENOFF", "Ten off")
    assert d["site"]["currency"] == "EUR"
    terms = d["terms"]
    assert terms["kind"] == "FIXED" and terms["percentage"] is None
    assert terms["amounts"] == [{"currency": "EUR", "amount": 1000}]
    assert terms["eligibleCategories"] == [
        {"category": "PRICE_PLAN", "itemIds": ["11"]},
        {"category": "BOOKING", "itemIds": ["22"]},
        {"category": "PRODUCT", "itemIds": ["33"]},
        {"category": "EVENT", "itemIds": ["44"]},
    ]
    assert (terms["maxUsesPerCustomer"], terms["maxUses"]) == (2, 100)
    assert (terms["contactsOnly"], terms["membersOnly"], terms["isReferral"]) == (True, False, True)
    assert (terms["expirationUnit"], terms["expiresIn"]) == ("MONTH", 3)
    assert terms["publishTo"] == "2025-03-15T10:30:00+00:00"


async def test_trybe_coupon_code_fields(gql: Any, make: Any) -> None:
    """Seed 003: CouponCode under a Coupon, pre-allocated, with revenue and its organisation."""
    org = await make.organisation(name="Spa Org")
    site = await make.site(org)
    customer = await make.customer(org)
    coupon = await make.coupon(site, name="Spa days", discount_offerings=True)
    await make.add(
        t.EligibleItem(coupon_id=coupon.id, category=ItemCategory.OFFERING, item_id="off-1")
    )
    code = await make.coupon_code(
        coupon,
        code="SPA-1",
        valid_from=TS,
        valid_to=TS.replace(month=2),
        multi_use=True,
        customer_id=customer.id,
        customer_credit_id="credit-9",
        revenue=4500,
    )
    query = """query($id: ID!) { couponCode(id: $id) { code validFrom validTo multiUse customerCreditId
      revenue customer { id } organisation { id name } coupon { name terms { eligibleCategories {
      category itemIds } } } } }"""
    c = (await gql(query, {"id": to_global_id("CouponCode", code.id)}))["couponCode"]
    assert (c["code"], c["multiUse"], c["customerCreditId"], c["revenue"]) == (
        "SPA-1",
        True,
        "credit-9",
        4500,
    )
    assert c["customer"] == {"id": to_global_id("Customer", customer.id)}
    assert c["organisation"]["name"] == "Spa Org"
    assert c["coupon"]["terms"]["eligibleCategories"] == [
        {"category": "OFFERING", "itemIds": ["off-1"]}
    ]
    assert (c["validFrom"], c["validTo"]) == (
        "2025-01-15T10:30:00+00:00",
        "2025-02-15T10:30:00+00:00",
    )


async def test_nuwebgroup_discount_code_example(gql: Any, make: Any) -> None:
    """Seed 004: the FIXED10 example, field by field."""
    org = await make.organisation()
    site = await make.site(org, currency="GBP")
    code = await make.discount_code(
        site,
        code="FIXED10",
        kind=DiscountKind.FIXED,
        percentage_bp=None,
        amounts={"GBP": 1000},
        apply_to_net_price=False,
        max_uses_per_order=1,
        max_uses=100,
        max_uses_per_customer=2,
        minimum_spend={"GBP": 1000},
        maximum_discount={"GBP": 2500, "EUR": 3000},
        valid_from=datetime(2021, 11, 22, 11, 59, tzinfo=UTC),
        valid_to=datetime(2021, 11, 25, 11, 59, tzinfo=UTC),
        box_office_only=False,
        discount_offerings=True,
        disabled_at=None,
    )
    await make.add(
        t.EligibleItem(discount_code_id=code.id, category=ItemCategory.OFFERING, item_id="1"),
        t.EligibleItem(discount_code_id=code.id, category=ItemCategory.OFFERING, item_id="2"),
    )
    query = """query($id: ID!) { discountCode(id: $id) { code createdAt updatedAt terms { kind
      amounts { currency amount } applyToNetPrice maxUsesPerOrder maxUses maxUsesPerCustomer
      minimumSpend { currency amount } maximumDiscount { currency amount } validFrom validTo
      boxOfficeOnly disabledAt eligibleCategories { category itemIds } } } }"""
    d = (await gql(query, {"id": to_global_id("DiscountCode", code.id)}))["discountCode"]
    terms = d["terms"]
    assert terms["kind"] == "FIXED"
    assert terms["amounts"] == [{"currency": "GBP", "amount": 1000}]
    assert (terms["maxUsesPerOrder"], terms["maxUses"], terms["maxUsesPerCustomer"]) == (1, 100, 2)
    assert terms["minimumSpend"] == [{"currency": "GBP", "amount": 1000}]
    assert terms["maximumDiscount"] == [
        {"currency": "EUR", "amount": 3000},
        {"currency": "GBP", "amount": 2500},
    ]
    assert (terms["validFrom"], terms["validTo"]) == (
        "2021-11-22T11:59:00+00:00",
        "2021-11-25T11:59:00+00:00",
    )
    assert (terms["applyToNetPrice"], terms["boxOfficeOnly"], terms["disabledAt"]) == (
        False,
        False,
        None,
    )
    assert terms["eligibleCategories"] == [{"category": "OFFERING", "itemIds": ["1", "2"]}]
    assert d["createdAt"] and d["updatedAt"]
