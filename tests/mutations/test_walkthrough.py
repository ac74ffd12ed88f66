"""The walk-through in docs/writing.md, run as written: create, assign, delete, restore."""

from __future__ import annotations

from typing import Any

from tests.mutations.helpers import gid

CREATE_COUPON = """mutation($site: ID!) {
  createCoupon(input: {siteId: $site, name: "Spring sale",
      terms: {kind: PERCENTAGE, percentage: "15", validTo: "2030-05-31", maxUsesPerCustomer: 1,
              expirationUnit: DAY, expiresIn: 30}}) {
    coupon { id terms { percentage validTo } }
    userErrors { field code message } } }"""
CREATE_CODE = """mutation($coupon: ID!) {
  createCouponCode(input: {couponId: $coupon, code: "SPRING15"}) {
    couponCode { id code } userErrors { field code message } } }"""
ASSIGN = """mutation($customer: ID!, $code: ID!) {
  assignCode(input: {customerId: $customer, couponCodeId: $code, notes: "newsletter"}) {
    assignment { id expiresOn } userErrors { field code message } } }"""
DELETE = """mutation($id: ID!) {
  deleteCouponCode(id: $id) { couponCode { deletedAt } userErrors { field code message } } }"""
RESTORE = """mutation($id: ID!) {
  restoreCouponCode(id: $id) { couponCode { deletedAt } userErrors { field code message } } }"""


async def test_the_walkthrough(gql: Any, make: Any) -> None:
    org = await make.organisation()
    site, customer = await make.site(org), await make.customer(org)

    coupon = (await gql(CREATE_COUPON, {"site": gid(site)}))["createCoupon"]["coupon"]
    assert coupon["terms"]["percentage"] == "15.00"
    code = (await gql(CREATE_CODE, {"coupon": coupon["id"]}))["createCouponCode"]["couponCode"]
    again = (await gql(CREATE_CODE, {"coupon": coupon["id"]}))["createCouponCode"]
    assert again["userErrors"][0]["code"] == "CODE_TAKEN"

    assigned = await gql(ASSIGN, {"customer": gid(customer), "code": code["id"]})
    assert assigned["assignCode"]["assignment"]["expiresOn"] is not None  # 30 days on

    deleted = (await gql(DELETE, {"id": code["id"]}))["deleteCouponCode"]
    assert deleted["couponCode"]["deletedAt"] is not None
    restored = (await gql(RESTORE, {"id": code["id"]}))["restoreCouponCode"]
    assert restored["couponCode"]["deletedAt"] is None
