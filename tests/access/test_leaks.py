"""Cross-tenant leaks: `node(id:)`, typed fetches, nested relationships, list filters and the
cross-organisation coupon code lookup never show a record the caller may not read.

The world (tests/access/support.py): organisation 1 with sites A and A2, organisation 2 with
site B; a record of every type on each site; the same code strings (SHARED-CC, SHARED-DC) on
every site; customer 1 of organisation 1 holds codes of both A and A2.
"""

from __future__ import annotations

from typing import Any

import pytest

from app.db import tables as t
from app.graphql.ids import to_global_id
from tests.access.support import Client, World, gid, grant, mint, unique

READ_EVERYTHING = ["RESERVATIONS_VIEW"]  # Read and List on every record type


async def data(client: Client, query: str, variables: dict[str, Any], token: str) -> dict[str, Any]:
    response = await client.post(query, variables, token)
    body = response.json()
    assert response.status_code == 200 and "errors" not in body, body
    return body["data"]  # type: ignore[no-any-return]


def reader(world: World, *sites: str, roles: list[str] | None = None) -> str:
    ids = [world.sites[key].site.id for key in sites]
    return mint(
        f"reader-{'-'.join(sites)}@example.com", grants=[grant(roles or READ_EVERYTHING, *ids)]
    )


def records_of(world: World, key: str) -> list[Any]:
    s = world.sites[key]
    return [s.site, s.coupon, s.coupon_code, s.discount_code, s.assignment, s.redemption]


NODE = "query($id: ID!) { node(id: $id) { __typename id } }"


@pytest.mark.parametrize(
    "index",
    range(6),
    ids=["Site", "Coupon", "CouponCode", "DiscountCode", "Assignment", "Redemption"],
)
async def test_node_answers_null_for_a_record_of_another_site(
    client: Client, world: World, index: int
) -> None:
    token = reader(world, "A2")
    theirs, mine = records_of(world, "A")[index], records_of(world, "A2")[index]
    assert (await data(client, NODE, {"id": gid(theirs)}, token))["node"] is None
    # ...and the same token does read its own site's record of that type
    answer = (await data(client, NODE, {"id": gid(mine)}, token))["node"]
    assert answer == {"__typename": type(mine).__name__, "id": gid(mine)}


async def test_node_answers_null_for_an_organisation_or_customer_of_another_organisation(
    client: Client, world: World
) -> None:
    token = reader(world, "B")
    for record in (world.org1, world.customer1):
        assert (await data(client, NODE, {"id": gid(record)}, token))["node"] is None
    for record in (world.org2, world.customer2):
        assert (await data(client, NODE, {"id": gid(record)}, token))["node"]["id"] == gid(record)


async def test_node_answers_null_for_an_id_that_names_nothing(client: Client, world: World) -> None:
    token = reader(world, "A")
    missing = to_global_id("Coupon", 10**9)
    assert (await data(client, NODE, {"id": missing}, token))["node"] is None


async def test_node_is_refused_a_type_the_caller_may_not_read(client: Client, world: World) -> None:
    # Holding Coupon-Read on A says nothing about redemptions: the id names its type anyway
    token = reader(world, "A", roles=["Coupon-Read"])
    response = await client.post(NODE, {"id": gid(world.a.redemption)}, token)
    assert response.status_code == 403
    assert response.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"


@pytest.mark.parametrize(
    ("field", "record"),
    [
        ("coupon", lambda w: w.a.discount_code),
        ("couponCode", lambda w: w.a.coupon),
        ("discountCode", lambda w: w.a.coupon_code),
        ("assignment", lambda w: w.a.redemption),
        ("redemption", lambda w: w.a.assignment),
        ("site", lambda w: w.org1),
        ("organisation", lambda w: w.a.site),
        ("customer", lambda w: w.a.coupon),
    ],
)
async def test_typed_fetch_refuses_an_id_of_another_type(
    client: Client, world: World, field: str, record: Any
) -> None:
    # Even an administrator: the id is of a record that exists, but not of this type
    query = f"query($id: ID!) {{ {field}(id: $id) {{ id }} }}"
    response = await client.post(
        query, {"id": gid(record(world))}, mint("admin@example.com", admin=True)
    )
    body = response.json()
    assert response.status_code == 200 and body["data"] == {field: None}
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT" and error["extensions"]["field"] == "id"


async def test_nested_relationships_of_a_shared_customer_show_only_the_callers_site(
    client: Client, world: World
) -> None:
    query = """query($id: ID!) { customer(id: $id) {
        assignments { totalCount nodes { id site { id } discountCode { id } couponCode { id } } }
        redemptions { totalCount nodes { id site { id } } }
        organisation { id sites { nodes { id } } }
    } }"""
    for mine in ("A", "A2"):
        customer = (await data(client, query, {"id": gid(world.customer1)}, reader(world, mine)))[
            "customer"
        ]
        own_site = gid(world.sites[mine].site)
        assert customer["assignments"]["totalCount"] == 2
        assert {n["site"]["id"] for n in customer["assignments"]["nodes"]} == {own_site}
        codes = {
            n["discountCode"]["id"] for n in customer["assignments"]["nodes"] if n["discountCode"]
        }
        assert codes == {gid(world.sites[mine].discount_code)}
        assert customer["redemptions"]["totalCount"] == 2
        assert {n["site"]["id"] for n in customer["redemptions"]["nodes"]} == {own_site}
        # The organisation is visible; of its sites, only the one the caller has a role on
        assert customer["organisation"]["id"] == gid(world.org1)
        assert customer["organisation"]["sites"]["nodes"] == [{"id": own_site}]


async def test_to_one_relationships_never_cross_into_another_site(
    client: Client, world: World
) -> None:
    # A redemption of site A whose references point into site A2 (the API never writes such a
    # row; the read path must still not follow it into a site the caller cannot read). Its
    # coupon must be site A's and its coupon code that coupon's: the ledger's keys to its
    # code's owner (migration 0016) and to its coupon code (0018) refuse any other, which
    # tests/db/test_schema.py checks. Its assignment and customer still point elsewhere.
    a, a2 = world.a, world.sites["A2"]
    stray = await world.make.add(
        t.Redemption(
            site_id=a.site.id,
            organisation_id=world.org1.id,
            coupon_code_id=a.coupon_code.id,
            coupon_id=a.coupon.id,
            assignment_id=a2.assignment.id,
            customer_id=world.customer2.id,  # of organisation 2
            amount=100,
            currency="GBP",
            idempotency_key=unique("stray-"),
            request_fingerprint="0" * 64,
        )
    )
    query = """query($id: ID!) { redemption(id: $id) {
        id site { id } couponCode { id } coupon { id } discountCode { id } assignment { id } customer { id }
    } }"""
    seen = (await data(client, query, {"id": gid(stray)}, reader(world, "A")))["redemption"]
    assert seen == {
        "id": gid(stray),
        "site": {"id": gid(a.site)},
        "couponCode": {"id": gid(a.coupon_code)},
        "coupon": {"id": gid(a.coupon)},
        "discountCode": None,
        "assignment": None,
        "customer": None,
    }
    admin = (await data(client, query, {"id": gid(stray)}, mint("admin@example.com", admin=True)))[
        "redemption"
    ]
    assert admin["assignment"] == {"id": gid(a2.assignment)}
    assert admin["customer"] == {"id": gid(world.customer2)}


async def test_nested_records_need_their_own_types_read_role(client: Client, world: World) -> None:
    # CouponCode-Read on A: the code, but neither its coupon, nor its assignments, nor its uses
    token = reader(world, "A", roles=["CouponCode-Read"])
    query = """query($id: ID!) { couponCode(id: $id) {
        id coupon { id } site { id } organisation { id }
        assignments { totalCount nodes { id } } redemptions { totalCount nodes { id } }
    } }"""
    code = (await data(client, query, {"id": gid(world.a.coupon_code)}, token))["couponCode"]
    assert code == {
        "id": gid(world.a.coupon_code),
        "coupon": None,
        "site": {"id": gid(world.a.site)},
        "organisation": {"id": gid(world.org1)},
        "assignments": {"totalCount": 0, "nodes": []},
        "redemptions": {"totalCount": 0, "nodes": []},
    }


async def test_coupon_codes_and_site_lists_of_a_readable_parent_stay_in_its_site(
    client: Client, world: World
) -> None:
    query = """query($id: ID!) { coupon(id: $id) { codes { nodes { site { id } } } redemptions { nodes { site { id } } } } }"""
    coupon = (await data(client, query, {"id": gid(world.a.coupon)}, reader(world, "A")))["coupon"]
    assert {n["site"]["id"] for n in coupon["codes"]["nodes"]} == {gid(world.a.site)}
    assert {n["site"]["id"] for n in coupon["redemptions"]["nodes"]} == {gid(world.a.site)}
    # A site the caller cannot read is null, with every list below it
    query = "query($id: ID!) { site(id: $id) { coupons { totalCount } } }"
    assert (await data(client, query, {"id": gid(world.sites["A2"].site)}, reader(world, "A")))[
        "site"
    ] is None


LISTS = ["coupons", "couponCodes", "discountCodes", "assignments", "redemptions"]


@pytest.mark.parametrize("field", LISTS)
async def test_filtering_by_another_sites_id_finds_nothing(
    client: Client, world: World, field: str
) -> None:
    token = reader(world, "A")
    a2, b = world.sites["A2"].site, world.sites["B"].site
    query = f"query($f: {field[0].upper()}{field[1:-1]}Filter) {{ {field}(filter: $f) {{ totalCount nodes {{ id }} }} }}"
    for condition in (
        {"siteId": {"eq": gid(a2)}},
        {"siteId": {"in": [gid(a2), gid(b)]}},
        {"organisationId": {"eq": gid(world.org2)}},
        {"siteName": {"eq": "Site A2"}},
        {"or": [{"siteId": {"eq": gid(a2)}}, {"siteId": {"eq": gid(b)}}]},
    ):
        assert (await data(client, query, {"f": condition}, token))[field] == {
            "totalCount": 0,
            "nodes": [],
        }
    # The caller's own site does answer
    own = (await data(client, query, {"f": {"siteId": {"eq": gid(world.a.site)}}}, token))[field]
    assert own["totalCount"] >= 1


async def test_sites_organisations_and_customers_lists_filtered_by_anothers_ids(
    client: Client, world: World
) -> None:
    token = reader(world, "A")
    a2, org2 = world.sites["A2"].site, world.org2
    query = """query($s: SiteFilter, $o: OrganisationFilter, $c: CustomerFilter) {
        sites(filter: $s) { totalCount } organisations(filter: $o) { totalCount }
        customers(filter: $c) { totalCount } }"""
    variables = {
        "s": {"id": {"eq": gid(a2)}},
        "o": {"id": {"eq": gid(org2)}},
        "c": {"organisationId": {"eq": gid(org2)}},
    }
    answer = await data(client, query, variables, token)
    assert answer == {
        "sites": {"totalCount": 0},
        "organisations": {"totalCount": 0},
        "customers": {"totalCount": 0},
    }


async def test_discount_code_by_code_finds_only_the_callers_site(
    client: Client, world: World
) -> None:
    query = 'query($s: ID!) { discountCode(code: "shared-dc", siteId: $s) { id } }'
    token = reader(world, "A")
    mine = await data(client, query, {"s": gid(world.a.site)}, token)
    assert mine == {"discountCode": {"id": gid(world.a.discount_code)}}
    for other in ("A2", "B"):
        theirs = await data(client, query, {"s": gid(world.sites[other].site)}, token)
        assert theirs == {"discountCode": None}


LOOKUP = """query($code: String!) { couponCodes(code: $code) { totalCount nodes { id code site { id } } } }"""


@pytest.mark.parametrize(
    ("grants", "visible"),
    [
        ("admin", ["A", "A2", "B"]),
        ([(["CouponCode-List", "CouponCode-Read"], ["A"])], ["A"]),
        ([(["CouponCode-List"], ["A", "B"])], ["A", "B"]),
        ([(["CouponCode-List"], ["A"]), (["CouponCode-Read"], ["B"])], ["A"]),
        ("organisation 1", ["A", "A2"]),
        ([(["Coupon-List", "Coupon-Read"], ["A", "A2", "B"])], None),
    ],
    ids=["admin", "site-A", "sites-A-and-B", "read-is-not-list", "organisation-1", "no-list-role"],
)
async def test_cross_organisation_lookup_shows_only_what_the_caller_may_list(
    client: Client, world: World, grants: Any, visible: list[str] | None
) -> None:
    if grants == "admin":
        token = mint("admin@example.com", admin=True)
    elif grants == "organisation 1":
        token = mint(
            "org@example.com",
            grants=[{"roles": ["CouponCode-List"], "organisations": [world.org1.id]}],
        )
    else:
        token = mint(
            "lookup@example.com",
            grants=[
                grant(roles, *(world.sites[k].site.id for k in keys)) for roles, keys in grants
            ],
        )
    response = await client.post(LOOKUP, {"code": " shared-cc"}, token)
    body = response.json()
    if visible is None:
        assert (
            response.status_code == 403 and body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        )
        return
    assert response.status_code == 200 and "errors" not in body, body
    found = body["data"]["couponCodes"]
    expected = [gid(world.sites[k].coupon_code) for k in visible]
    assert [n["id"] for n in found["nodes"]] == expected
    assert found["totalCount"] == len(expected)
    assert {n["code"] for n in found["nodes"]} == {"SHARED-CC"}


@pytest.mark.parametrize(
    ("field", "condition", "roles"),
    [
        (
            "assignments",
            {"discountCodeCode": {"startsWith": "shared"}},
            ["Assignment-List", "Assignment-Read"],
        ),
        (
            "assignments",
            {"couponCodeCode": {"eq": "SHARED-CC"}},
            ["Assignment-List", "Assignment-Read"],
        ),
        ("assignments", {"discountCodeActive": True}, ["Assignment-List", "Assignment-Read"]),
        (
            "couponCodes",
            {"couponName": {"contains": "coupon"}},
            ["CouponCode-List", "CouponCode-Read"],
        ),
    ],
    ids=["discount-code-string", "coupon-code-string", "discount-code-state", "coupon-name"],
)
async def test_filters_on_a_related_record_need_the_right_to_read_it(
    client: Client, world: World, field: str, condition: dict[str, Any], roles: list[str]
) -> None:
    # A caller who cannot read the related record (its type's Read role is missing: the nested
    # field answers null) must not learn its values through a filter either, e.g. a discount
    # code's string one `startsWith` at a time.
    query = f"query($f: {field[0].upper()}{field[1:-1]}Filter) {{ {field}(filter: $f) {{ totalCount }} }}"
    blind = reader(world, "A", roles=roles)
    assert (await data(client, query, {"f": condition}, blind))[field] == {"totalCount": 0}
    related = {
        "assignments": ["DiscountCode-Read", "CouponCode-Read"],
        "couponCodes": ["Coupon-Read"],
    }[field]
    seeing = reader(world, "A", roles=[*roles, *related])
    assert (await data(client, query, {"f": condition}, seeing))[field]["totalCount"] >= 1


async def test_writes_never_reach_into_another_tenant_through_their_inputs(
    client: Client, world: World
) -> None:
    manager = reader(world, "A", roles=["SETTINGS_MANAGE", "RESERVATIONS_VIEW"])
    a, a2 = world.a, world.sites["A2"]

    async def post(query: str, variables: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        response = await client.post(query, variables, manager)
        return response.status_code, response.json()

    # A customer of organisation 2 does not exist for organisation 1's records
    status, body = await post(
        "mutation($i: CreateCouponCodeInput!) { createCouponCode(input: $i) { couponCode { id } userErrors { field code } } }",
        {"i": {"couponId": gid(a.coupon), "customerId": gid(world.customer2)}},
    )
    assert status == 200 and body["data"]["createCouponCode"] == {
        "couponCode": None,
        "userErrors": [{"field": ["input", "customerId"], "code": "NOT_FOUND"}],
    }
    new_code = await world.make.discount_code(a.site, code="FOR-ASSIGNING")
    status, body = await post(
        "mutation($i: AssignCodeInput!) { assignCode(input: $i) { assignment { id } userErrors { field code } } }",
        {"i": {"customerId": gid(world.customer2), "discountCodeId": gid(new_code)}},
    )
    assert body["data"]["assignCode"]["assignment"] is None
    assert [e["code"] for e in body["data"]["assignCode"]["userErrors"]] == ["NOT_FOUND"]
    # A record of the sibling site: refused, nothing written
    status, body = await post(
        "mutation($i: AssignCodeInput!) { assignCode(input: $i) { assignment { id } userErrors { code } } }",
        {"i": {"customerId": gid(world.customer1), "discountCodeId": gid(a2.discount_code)}},
    )
    assert status == 403 and body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    status, body = await post(
        "mutation($i: CreateCouponInput!) { createCoupon(input: $i) { coupon { id } userErrors { code } } }",
        {
            "i": {
                "siteId": gid(world.sites["B"].site),
                "name": "Theirs",
                "terms": {"kind": "PERCENTAGE", "percentage": "5"},
            }
        },
    )
    assert status == 403 and body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    # A bulk change is all or nothing: one record of another site refuses the whole call
    mine = await world.make.coupon(a.site)
    status, body = await post(
        "mutation($ids: [ID!]!) { deleteCoupons(ids: $ids) { coupons { id } userErrors { code } } }",
        {"ids": [gid(mine), gid(a2.coupon)]},
    )
    assert status == 403 and body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    still = await data(
        client, "query($id: ID!) { coupon(id: $id) { deletedAt } }", {"id": gid(mine)}, manager
    )
    assert still == {"coupon": {"deletedAt": None}}
