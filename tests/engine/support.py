"""Queries, ids and a small shop shared by the engine tests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from app.db import tables as t
from app.graphql.ids import to_global_id
from tests.conftest import token

VALIDATE = """
query Validate($input: ValidateCodeInput!) {
  validateCode(input: $input) {
    valid reason discountTotal currency lines { index amount }
    code { code kind percentage amount description couponName
           couponCode { code } discountCode { code } coupon { name } }
    userErrors { field code message }
  }
}
"""

REDEEM = """
mutation Redeem($input: RedeemCodeInput!) {
  redeemCode(input: $input) {
    valid reason discountTotal replayed lines { index amount }
    redemption { id amount currency lineAmounts orderReference voidedAt redeemedAt
                 customer { fullName } assignment { timesUsed } }
    userErrors { field code message }
  }
}
"""

VOID = """
mutation Void($id: ID!) {
  voidRedemption(id: $id) {
    redemption { id voidedAt amount }
    userErrors { field code message }
  }
}
"""

STATS = """
query Stats($code: String!, $bookingDate: DateOrDateTime!, $siteId: ID!,
            $offeringId: String, $couponId: ID) {
  codeUsageStats(code: $code, bookingDate: $bookingDate, siteId: $siteId,
                 offeringId: $offeringId, couponId: $couponId) {
    limit used remaining usagePeriod periodStart periodEnd
  }
}
"""


async def validate_errors(gql: Any, attempt: dict[str, Any]) -> list[dict[str, Any]]:
    """validateCode's userErrors for `attempt`, each with its field as a dotted path; an
    answer with userErrors checked nothing."""
    answer = (await gql(VALIDATE, {"input": attempt}))["validateCode"]
    assert answer["userErrors"], answer
    assert (answer["valid"], answer["reason"], answer["code"]) == (False, None, None), answer
    return [{**error, "field": ".".join(error["field"])} for error in answer["userErrors"]]


BOOKING = {"category": "BOOKING", "itemId": "room-1", "quantity": 2, "unitPrice": 1000}


def gid(row: Any) -> str:
    names = {
        t.Organisation: "Organisation",
        t.Site: "Site",
        t.Customer: "Customer",
        t.Coupon: "Coupon",
        t.CouponCode: "CouponCode",
        t.DiscountCode: "DiscountCode",
        t.Redemption: "Redemption",
    }
    return to_global_id(names[type(row)], row.id)


def role_token(subject: str, roles: list[str], site: t.Site) -> str:
    return token(subject=subject, grants=[{"roles": roles, "sites": [site.id]}])


@dataclass
class Shop:
    """A site with a member and a contact (non-member) of its organisation."""

    organisation: t.Organisation
    site: t.Site
    member: t.Customer
    contact: t.Customer

    def attempt(self, code: str, **overrides: Any) -> dict[str, Any]:
        """validateCode / redeemCode input: the member books two nights at 10.00."""
        values = {
            "code": code,
            "siteId": gid(self.site),
            "currency": "GBP",
            "customerId": gid(self.member),
            "lines": [BOOKING],
        }
        values.update(overrides)
        return {k: v for k, v in values.items() if v is not None}


async def open_shop(make: Any, time_zone: str = "Europe/London") -> Shop:
    organisation = await make.organisation()
    site = await make.site(organisation, time_zone=time_zone)
    member = await make.customer(organisation, full_name="Mia Member", is_member=True)
    contact = await make.customer(organisation, full_name="Carl Contact", is_member=False)
    return Shop(organisation, site, member, contact)


async def times_used(engine: Any, row: Any) -> int:
    """The stored counter of a code, coupon or assignment row, read afresh."""
    table = type(row).__table__
    async with engine.connect() as connection:
        statement = sa.select(table.c.times_used).where(table.c.id == row.id)
        return int((await connection.execute(statement)).scalar_one())


async def ledger_rows(engine: Any, **where: Any) -> list[Any]:
    """Redemption rows matching column == value for each of `where`, oldest first."""
    table: Any = t.Redemption.__table__
    conditions = [table.c[name] == value for name, value in where.items()]
    async with engine.connect() as connection:
        statement = sa.select(table).where(*conditions).order_by(table.c.id)
        return list((await connection.execute(statement)).all())
