"""Reading records: node, lookups by code, soft deletion across a response, tenancy."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from app.graphql.ids import to_global_id
from tests.conftest import token

NOW = datetime(2025, 6, 1, tzinfo=UTC)


async def test_node_returns_any_type_and_refuses_malformed_ids(gql: Any, make: Any) -> None:
    org = await make.organisation(name="Acme")
    site = await make.site(org)
    code = await make.discount_code(site, code="HELLO")
    query = "query($id: ID!) { node(id: $id) { __typename id ... on DiscountCode { code } } }"
    data = await gql(query, {"id": to_global_id("DiscountCode", code.id)})
    assert data["node"] == {
        "__typename": "DiscountCode",
        "id": to_global_id("DiscountCode", code.id),
        "code": "HELLO",
    }
    data = await gql(query, {"id": to_global_id("Coupon", 999)})
    assert data["node"] is None
    (error,) = await gql.errors(query, {"id": "garbage"})
    assert error["message"] == "id: 'garbage' is not a global id"


async def test_typed_fetch_refuses_an_id_of_another_type(gql: Any, make: Any) -> None:
    org = await make.organisation()
    site = await make.site(org)
    coupon = await make.coupon(site)
    (error,) = await gql.errors(
        "query($id: ID!) { discountCode(id: $id) { code } }",
        {"id": to_global_id("Coupon", coupon.id)},
    )
    assert "is not the id of a DiscountCode" in error["message"]


async def test_discount_code_by_code_within_a_site_ignores_case_and_spaces(
    gql: Any, make: Any
) -> None:
    org = await make.organisation()
    site, other = await make.site(org), await make.site(org)
    await make.discount_code(site, code="Summer25")
    await make.discount_code(other, code="SUMMER25", description="other site")
    query = "query($code: String!, $site: ID!) { discountCode(code: $code, siteId: $site) { code site { name } } }"
    data = await gql(query, {"code": "  summer25 ", "site": to_global_id("Site", site.id)})
    assert data["discountCode"] == {"code": "Summer25", "site": {"name": site.name}}


async def test_coupon_codes_lookup_across_organisations(gql: Any, make: Any) -> None:
    for name in ("North", "South"):
        org = await make.organisation(name=name)
        site = await make.site(org)
        coupon = await make.coupon(site)
        await make.coupon_code(coupon, code="SHARED1")
        await make.coupon_code(coupon, code=f"{name}-ONLY")
    data = await gql(
        '{ couponCodes(code: "shared1") { totalCount nodes { code organisation { name } coupon { id } } } }'
    )
    assert data["couponCodes"]["totalCount"] == 2
    assert sorted(n["organisation"]["name"] for n in data["couponCodes"]["nodes"]) == [
        "North",
        "South",
    ]
    # a caller who can read codes in one organisation sees only that one
    north = token(subject="n@x", grants=[{"roles": ["RESERVATIONS_VIEW"], "organisations": [1]}])
    data = await gql(
        '{ couponCodes(code: "SHARED1") { nodes { organisation { name } } } }', token=north
    )
    assert data["couponCodes"]["nodes"] == [{"organisation": {"name": "North"}}]


async def test_trashed_choice_holds_for_nested_fields_unless_they_choose(
    gql: Any, make: Any
) -> None:
    org = await make.organisation()
    site = await make.site(org)
    live = await make.coupon(site, name="Live")
    gone = await make.coupon(site, name="Gone", deleted_at=NOW)
    await make.coupon_code(live, code="LIVE-LIVE")
    await make.coupon_code(live, code="LIVE-GONE", deleted_at=NOW)
    await make.coupon_code(gone, code="GONE-LIVE")

    async def read(args: str, nested: str = "") -> dict[str, list[str]]:
        args = f"({args})" if args else ""
        data = await gql(
            f"{{ coupons{args} {{ nodes {{ name codes{nested} {{ nodes {{ code }} }} }} }} }}"
        )
        return {
            n["name"]: [c["code"] for c in n["codes"]["nodes"]] for n in data["coupons"]["nodes"]
        }

    assert await read("") == {"Live": ["LIVE-LIVE"]}
    assert await read("trashed: WITH") == {
        "Live": ["LIVE-LIVE", "LIVE-GONE"],
        "Gone": ["GONE-LIVE"],
    }
    assert await read("trashed: ONLY") == {"Gone": []}
    assert await read("trashed: ONLY", "(trashed: WITHOUT)") == {"Gone": ["GONE-LIVE"]}
    assert await read("", "(trashed: ONLY)") == {"Live": ["LIVE-GONE"]}


async def test_to_one_relationship_to_a_deleted_record_follows_the_choice(
    gql: Any, make: Any
) -> None:
    org = await make.organisation()
    site = await make.site(org)
    coupon = await make.coupon(site, name="Old", deleted_at=NOW)
    code = await make.coupon_code(coupon, code="ORPHAN")
    query = "query($id: ID!, $t: Trashed!) { couponCode(id: $id, trashed: $t) { coupon { name deletedAt } } }"
    cid = to_global_id("CouponCode", code.id)
    assert (await gql(query, {"id": cid, "t": "WITHOUT"}))["couponCode"] == {"coupon": None}
    data = await gql(query, {"id": cid, "t": "WITH"})
    assert data["couponCode"]["coupon"]["name"] == "Old"
    assert data["couponCode"]["coupon"]["deletedAt"].startswith("2025-06-01")


async def test_site_scoped_token_sees_only_its_site_even_through_nesting(
    gql: Any, make: Any
) -> None:
    org = await make.organisation()
    mine, theirs = await make.site(org, name="Mine"), await make.site(org, name="Theirs")
    customer = await make.customer(org)
    my_code = await make.discount_code(mine, code="MINE")
    their_code = await make.discount_code(theirs, code="THEIRS")
    await make.assignment(customer, my_code)
    await make.assignment(customer, their_code)
    reader = token(
        subject="r@x",
        grants=[
            {
                "roles": [
                    "DiscountCode-Read",
                    "DiscountCode-List",
                    "Assignment-Read",
                    "Customer-Read",
                ],
                "sites": [mine.id],
            }
        ],
    )
    data = await gql("{ discountCodes { nodes { code } } }", token=reader)
    assert data["discountCodes"]["nodes"] == [{"code": "MINE"}]
    data = await gql(
        "query($id: ID!) { node(id: $id) { id } }",
        {"id": to_global_id("DiscountCode", their_code.id)},
        token=reader,
    )
    assert data["node"] is None
    query = (
        "query($id: ID!) { customer(id: $id) { assignments { nodes { discountCode { code } } } } }"
    )
    data = await gql(query, {"id": to_global_id("Customer", customer.id)}, token=reader)
    assert data["customer"]["assignments"]["nodes"] == [{"discountCode": {"code": "MINE"}}]


async def test_missing_role_is_forbidden_and_missing_token_unauthenticated(
    gql: Any, make: Any
) -> None:
    org = await make.organisation()
    await make.site(org)
    nobody = token(subject="n@x", grants=[{"roles": ["Coupon-Read"], "organisations": [org.id]}])
    (error,) = await gql.errors("{ discountCodes { totalCount } }", token=nobody)
    assert error["extensions"]["code"] == "FORBIDDEN"
    (error,) = await gql.errors("{ discountCodes { totalCount } }", token=None)
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    (error,) = await gql.errors("{ discountCodes { totalCount } }", token="not.a.token")
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
