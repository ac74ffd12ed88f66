"""How a discount combines, as Terms store and answer it: defaults that keep one code per
order, the checks, the lists' filters, and the migration's defaults for existing rows."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from tests.mutations.helpers import ERRORS, errors_of, gid

COMBINATION = "terms { exclusive combinesWith priority }"
CREATE = f"""mutation($input: CreateDiscountCodeInput!) {{
  createDiscountCode(input: $input) {{ discountCode {{ id code {COMBINATION} }} {ERRORS} }} }}"""
UPDATE = f"""mutation($input: UpdateDiscountCodeInput!) {{
  updateDiscountCode(input: $input) {{ discountCode {{ id code {COMBINATION} }} {ERRORS} }} }}"""
CREATE_COUPON = f"""mutation($input: CreateCouponInput!) {{
  createCoupon(input: $input) {{ coupon {{ id {COMBINATION} }} {ERRORS} }} }}"""
TEN = {"kind": "PERCENTAGE", "percentage": "10"}


def create(site: Any, code: str, **terms: Any) -> dict[str, Any]:
    return {"input": {"siteId": gid(site), "code": code, "terms": {**TEN, **terms}}}


async def test_a_new_discount_is_exclusive_by_default(gql: Any, make: Any) -> None:
    site = await make.site(await make.organisation())
    data = await gql(CREATE, create(site, "ALONE"))
    terms = data["createDiscountCode"]["discountCode"]["terms"]
    assert terms == {"exclusive": True, "combinesWith": [], "priority": 0}


async def test_a_discount_can_combine_and_keeps_its_list_while_exclusive(
    gql: Any, make: Any
) -> None:
    site = await make.site(await make.organisation())
    given = {"exclusive": False, "combinesWith": ["FIXED", "PERCENTAGE"], "priority": 10}
    data = await gql(CREATE, create(site, "BOTH", **given))
    code = data["createDiscountCode"]["discountCode"]
    want = {"exclusive": False, "combinesWith": ["PERCENTAGE", "FIXED"], "priority": 10}
    assert code["terms"] == want
    # Made exclusive for a while, it keeps its kinds and priority (omitted fields are kept).
    data = await gql(UPDATE, {"input": {"id": code["id"], "terms": {"exclusive": True}}})
    assert data["updateDiscountCode"]["discountCode"]["terms"] == {**want, "exclusive": True}
    data = await gql(UPDATE, {"input": {"id": code["id"], "terms": {"exclusive": False}}})
    assert data["updateDiscountCode"]["discountCode"]["terms"] == want


async def test_coupons_carry_the_same_fields(gql: Any, make: Any) -> None:
    site = await make.site(await make.organisation())
    terms = {**TEN, "exclusive": False, "combinesWith": ["FIXED"], "priority": 3}
    data = await gql(CREATE_COUPON, {"input": {"siteId": gid(site), "name": "C", "terms": terms}})
    got = data["createCoupon"]["coupon"]["terms"]
    assert got == {"exclusive": False, "combinesWith": ["FIXED"], "priority": 3}


async def test_bad_combinations_are_refused_naming_the_field(gql: Any, make: Any, db: Any) -> None:
    site = await make.site(await make.organisation())
    data = await gql(CREATE, create(site, "NOKINDS", exclusive=False))
    assert errors_of(data["createDiscountCode"]) == [
        (["input", "terms", "combinesWith"], "REQUIRED")
    ]
    for priority in (-1, 1001):
        data = await gql(CREATE, create(site, "PRIO", priority=priority))
        assert errors_of(data["createDiscountCode"]) == [
            (["input", "terms", "priority"], "OUT_OF_RANGE")
        ]
    async with db.connect() as connection:
        assert (
            await connection.execute(sa.text("SELECT count(*) FROM discount_code"))
        ).scalar() == 0


async def test_lists_filter_on_how_discounts_combine(gql: Any, make: Any) -> None:
    site = await make.site(await make.organisation())
    await make.discount_code(site, code="ALONE")
    await make.discount_code(
        site, code="PCT", exclusive=False, combines_with_percentage=True, priority=5
    )
    await make.discount_code(
        site, code="ANY", exclusive=False, combines_with_percentage=True,
        combines_with_fixed=True, priority=1,
    )  # fmt: skip

    async def codes(filter_: str) -> list[str]:
        query = f"{{ discountCodes(filter: {filter_}, first: 10) {{ nodes {{ code }} }} }}"
        return sorted(node["code"] for node in (await gql(query))["discountCodes"]["nodes"])

    assert await codes("{exclusive: true}") == ["ALONE"]
    assert await codes("{combinesWithFixed: true}") == ["ANY"]
    assert await codes("{combinesWithPercentage: true}") == ["ANY", "PCT"]
    assert await codes("{priority: {gte: 5}}") == ["PCT"]


async def test_the_migration_keeps_existing_rows_exclusive(engine: Any) -> None:
    """Rows written before 0005 (without the columns) read as today's behaviour."""
    async with engine.connect() as connection:
        columns = await connection.run_sync(
            lambda sync: {c["name"]: c for c in sa.inspect(sync).get_columns("discount_code")}
        )
    defaults = {name: str(columns[name]["default"]).lower() for name in
                ("exclusive", "combines_with_percentage", "combines_with_fixed", "priority")}  # fmt: skip
    assert defaults["priority"].strip("'") == "0"
    assert defaults["exclusive"].strip("'") in ("true", "1")
    assert all(defaults[f].strip("'") in ("false", "0") for f in ("combines_with_fixed",))
