from __future__ import annotations

from typing import Any


async def test_coupon_with_codes_reads_back(gql: Any, make: Any) -> None:
    org = await make.organisation(name="Acme")
    site = await make.site(org, name="Soho")
    coupon = await make.coupon(site, name="Spring")
    await make.coupon_code(coupon, code="SPRING10")
    data = await gql(
        """{ coupons { totalCount edges { cursor node { id name site { name organisation { name } }
             terms { kind percentage eligibleCategories { category } }
             codes { totalCount nodes { code coupon { name } } } } } } }"""
    )
    node = data["coupons"]["edges"][0]["node"]
    assert data["coupons"]["totalCount"] == 1
    assert node["name"] == "Spring"
    assert node["site"] == {"name": "Soho", "organisation": {"name": "Acme"}}
    assert node["terms"]["percentage"] == "10.00"
    assert node["codes"]["nodes"] == [{"code": "SPRING10", "coupon": {"name": "Spring"}}]
