"""delete / restore / disable / enable, for one record and in bulk, through HTTP."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from app.clock import utcnow
from app.db import tables as t
from app.settings import Settings
from tests.conftest import GraphQLClient
from tests.http.conftest import probe_client
from tests.mutations.helpers import count, errors_of, gid, reader_token

STATE = "id deletedAt updatedBy updatedAt"
DELETED = sa.column("deleted_at").is_not(None)


def one(verb: str, type_name: str, field: str) -> str:
    return f"""mutation($id: ID!) {{ {verb}{type_name}(id: $id) {{
      {field} {{ {STATE} }} userErrors {{ field code message }} }} }}"""


def many(verb: str, plural: str) -> str:
    return f"""mutation($ids: [ID!]!) {{ {verb}{plural}(ids: $ids) {{
      {plural[0].lower() + plural[1:]} {{ {STATE} }} userErrors {{ field code message }} }} }}"""


async def _records(make: Any) -> dict[str, Any]:
    org = await make.organisation()
    site = await make.site(org)
    coupon = await make.coupon(site)
    code = await make.coupon_code(coupon)
    customer = await make.customer(org)
    discount_code = await make.discount_code(site)
    return {
        "site": site,
        "Coupon": coupon,
        "CouponCode": code,
        "DiscountCode": discount_code,
        "Assignment": await make.assignment(customer, discount_code),
    }


FIELDS = {
    "Coupon": "coupon",
    "CouponCode": "couponCode",
    "DiscountCode": "discountCode",
    "Assignment": "assignment",
}


@pytest.mark.parametrize("type_name", list(FIELDS))
async def test_delete_then_restore(gql: Any, make: Any, type_name: str) -> None:
    record = (await _records(make))[type_name]
    field = FIELDS[type_name]
    deleted = (await gql(one("delete", type_name, field), {"id": gid(record)}))[
        f"delete{type_name}"
    ]
    assert deleted["userErrors"] == [] and deleted[field]["deletedAt"] is not None
    assert deleted[field]["updatedBy"] == "admin@example.com"
    again = (await gql(one("delete", type_name, field), {"id": gid(record)}))[f"delete{type_name}"]
    assert errors_of(again) == [(["id"], "ALREADY_DELETED")]

    restored = await gql(one("restore", type_name, field), {"id": gid(record)})
    assert restored[f"restore{type_name}"][field]["deletedAt"] is None
    again = (await gql(one("restore", type_name, field), {"id": gid(record)}))[
        f"restore{type_name}"
    ]
    assert errors_of(again) == [(["id"], "NOT_DELETED")]


async def test_deleting_a_coupon_keeps_its_codes(gql: Any, make: Any) -> None:
    records = await _records(make)
    await gql(one("delete", "Coupon", "coupon"), {"id": gid(records["Coupon"])})
    read = await gql(
        "query($id: ID!) { couponCode(id: $id, trashed: WITH) { deletedAt coupon { deletedAt } } }",
        {"id": gid(records["CouponCode"])},
    )
    assert read["couponCode"]["deletedAt"] is None
    assert read["couponCode"]["coupon"]["deletedAt"] is not None


@pytest.mark.parametrize("type_name", ["Coupon", "DiscountCode"])
async def test_disable_then_enable(gql: Any, make: Any, type_name: str) -> None:
    record = (await _records(make))[type_name]
    field = FIELDS[type_name]
    query = f"""mutation($id: ID!) {{ {{verb}}{type_name}(id: $id) {{
      {field} {{ terms {{ active disabledAt }} deletedAt }} userErrors {{ field code }} }} }}"""

    async def run(verb: str) -> Any:
        data = await gql(query.replace("{verb}", verb), {"id": gid(record)})
        return data[f"{verb}{type_name}"]

    disabled = await run("disable")
    assert disabled[field]["terms"]["active"] is False
    assert disabled[field]["deletedAt"] is None  # disabled is not deleted
    assert errors_of(await run("disable")) == [(["id"], "ALREADY_DISABLED")]
    assert (await run("enable"))[field]["terms"]["disabledAt"] is None
    assert errors_of(await run("enable")) == [(["id"], "NOT_DISABLED")]
    await gql(one("delete", type_name, field), {"id": gid(record)})
    assert errors_of(await run("disable")) == [(["id"], "ALREADY_DELETED")]


async def test_unknown_ids_are_user_errors(gql: Any, make: Any) -> None:
    records = await _records(make)
    for bad in ("not-an-id", gid(records["site"]), "Q291cG9uOjk5OTk="):  # Coupon:9999
        data = await gql(one("delete", "Coupon", "coupon"), {"id": bad})
        assert errors_of(data["deleteCoupon"]) == [(["id"], "NOT_FOUND")]


async def test_state_changes_need_their_role_on_the_site(gql: Any, make: Any, db: Any) -> None:
    records = await _records(make)
    site, coupon = records["site"], records["Coupon"]
    for verb in ("delete", "restore"):
        errors = await gql.errors(
            one(verb, "Coupon", "coupon"),
            {"id": gid(coupon)},
            token=reader_token(site.id, "Coupon-Edit"),
        )
        assert errors[0]["extensions"]["code"] == "FORBIDDEN"
    errors = await gql.errors(
        one("disable", "Coupon", "coupon"),
        {"id": gid(coupon)},
        token=reader_token(site.id, "Coupon-Delete"),
    )
    assert errors[0]["extensions"]["code"] == "FORBIDDEN"
    assert await count(db, t.Coupon, DELETED) == 0


async def test_bulk_is_all_or_nothing_with_errors_per_index(gql: Any, make: Any, db: Any) -> None:
    site = await make.site(await make.organisation())
    live = [await make.discount_code(site) for _ in range(3)]
    gone = await make.discount_code(site, deleted_at=utcnow())
    ids = [gid(live[0]), "junk", gid(gone), gid(live[1]), gid(live[1])]

    data = await gql(many("delete", "DiscountCodes"), {"ids": ids})
    payload = data["deleteDiscountCodes"]
    assert payload["discountCodes"] is None
    assert errors_of(payload) == [
        (["ids", "1"], "NOT_FOUND"),
        (["ids", "2"], "ALREADY_DELETED"),
        (["ids", "4"], "ALREADY_DELETED"),  # the same id twice: the second finds it deleted
    ]
    assert await count(db, t.DiscountCode, DELETED) == 1

    data = await gql(many("delete", "DiscountCodes"), {"ids": [gid(c) for c in live]})
    assert [c["id"] for c in data["deleteDiscountCodes"]["discountCodes"]] == [gid(c) for c in live]
    data = await gql(many("restore", "DiscountCodes"), {"ids": [gid(c) for c in live]})
    assert all(c["deletedAt"] is None for c in data["restoreDiscountCodes"]["discountCodes"])


@pytest.mark.parametrize(
    ("verb", "plural"),
    [
        ("disable", "Coupons"),
        ("enable", "Coupons"),
        ("delete", "CouponCodes"),
        ("restore", "CouponCodes"),
        ("disable", "DiscountCodes"),
        ("enable", "DiscountCodes"),
    ],
)
async def test_every_bulk_mutation_exists_and_reports_per_id(
    gql: Any, make: Any, verb: str, plural: str
) -> None:
    data = await gql(many(verb, plural), {"ids": ["nope"]})
    assert errors_of(data[f"{verb}{plural}"]) == [(["ids", "0"], "NOT_FOUND")]


async def test_bulk_calls_are_limited_in_size(gql: Any) -> None:
    # the list limit of the input (1,000 items by default) refuses the request first
    response = await gql.post(many("delete", "Coupons"), {"ids": ["x"] * 1001})
    assert [e["extensions"]["code"] for e in response.json()["errors"]] == ["LIST_TOO_LONG"]


async def test_bulk_calls_are_limited_by_the_service_when_lists_may_be_longer(
    settings: Settings, admin_token: str
) -> None:
    # given an app whose input limits allow longer lists than the service's 1,000 ids
    async with probe_client(settings, max_list_length=2000, max_list_items=2000) as http:
        client = GraphQLClient(http, admin_token)
        # when 1,001 ids are sent, then the service refuses them as a user error
        data = await client(many("delete", "Coupons"), {"ids": ["x"] * 1001})
    assert errors_of(data["deleteCoupons"]) == [(["ids"], "OUT_OF_RANGE")]
