"""createCoupon / updateCoupon and the Terms input, through HTTP."""

from __future__ import annotations

from typing import Any

from app.db import tables as t
from tests.mutations.helpers import COUPON, ERRORS, count, errors_of, gid, reader_token

CREATE = f"""mutation($input: CreateCouponInput!) {{
  createCoupon(input: $input) {{ {COUPON} {ERRORS} }} }}"""
UPDATE = f"""mutation($input: UpdateCouponInput!) {{
  updateCoupon(input: $input) {{ {COUPON} {ERRORS} }} }}"""


async def _site(make: Any, **kw: Any) -> Any:
    return await make.site(await make.organisation(), **kw)


async def test_create_coupon_stores_every_terms_field(gql: Any, make: Any) -> None:
    site = await _site(make, time_zone="Europe/London")
    terms = {
        "kind": "FIXED",
        "amounts": [{"amount": 500}, {"currency": "EUR", "amount": 600}],
        "minimumSpend": [{"currency": "GBP", "amount": 2000}],
        "maximumDiscount": [{"currency": "GBP", "amount": 1000}],
        "applyToNetPrice": True,
        "eligibleCategories": [
            {"category": "PRODUCT", "itemIds": ["p2", "p1"]},
            {"category": "EVENT"},
        ],
        "membersOnly": True,
        "leadBookerOnly": True,
        "boxOfficeOnly": True,
        "maxUses": 100,
        "maxUsesPerCustomer": 2,
        "maxUsesPerOrder": 1,
        "usagePeriod": "P1M",
        # A date is the site's local day: London is on summer time (UTC+1) in July.
        "validFrom": "2030-07-01",
        "validTo": "2030-07-31",
        "publishFrom": "2030-06-01T09:00:00Z",
        "publishTo": "2030-08-01T09:00",
        "expirationUnit": "WEEK",
        "expiresIn": 2,
        "isReferral": True,
    }
    data = await gql(
        CREATE,
        {"input": {"siteId": gid(site), "name": "Summer", "externalId": "x-1", "terms": terms}},
    )
    payload = data["createCoupon"]
    assert payload["userErrors"] == []
    coupon = payload["coupon"]
    assert coupon["name"] == "Summer" and coupon["externalId"] == "x-1"
    assert coupon["updatedBy"] == "admin@example.com"
    got = coupon["terms"]
    assert got["amounts"] == [
        {"currency": "EUR", "amount": 600},
        {"currency": "GBP", "amount": 500},
    ]
    assert got["minimumSpend"] == [{"currency": "GBP", "amount": 2000}]
    assert got["eligibleCategories"] == [
        {"category": "PRODUCT", "itemIds": ["p1", "p2"]},
        {"category": "EVENT", "itemIds": []},
    ]
    assert got["validFrom"] == "2030-06-30T23:00:00+00:00"
    assert got["validTo"] == "2030-07-31T22:59:59.999999+00:00"
    assert got["publishFrom"] == "2030-06-01T09:00:00+00:00"
    assert got["publishTo"] == "2030-08-01T08:00:00+00:00"  # naive: London wall time
    assert (got["usagePeriod"], got["expirationUnit"], got["expiresIn"]) == ("P1M", "WEEK", 2)
    assert got["membersOnly"] and got["boxOfficeOnly"] and got["isReferral"]
    assert got["active"] is True


async def test_create_coupon_reports_every_problem_and_writes_nothing(
    gql: Any, make: Any, db: Any
) -> None:
    site = await _site(make)
    terms = {
        "kind": "PERCENTAGE",
        "percentage": "12.345",
        "amounts": [{"amount": 5}],
        "minimumSpend": [{"amount": 5}, {"currency": "GBP", "amount": 6}],
        "maxUses": 0,
        "validFrom": "2030-02-01",
        "validTo": "2030-01-01",
        "publishFrom": "2030-02-01",
        "publishTo": "2030-01-01",
        "expiresIn": 3,
        "membersOnly": True,
        "contactsOnly": True,
        "eligibleCategories": [{"category": "EVENT"}, {"category": "EVENT"}],
    }
    data = await gql(CREATE, {"input": {"siteId": gid(site), "name": " ", "terms": terms}})
    payload = data["createCoupon"]
    assert payload["coupon"] is None
    base = ["input", "terms"]
    assert sorted(map(tuple, (f for f, _ in errors_of(payload)))) == sorted(
        map(
            tuple,
            [
                ["input", "name"],
                [*base, "minimumSpend", "1", "currency"],
                [*base, "eligibleCategories", "1", "category"],
                [*base, "percentage"],
                [*base, "amounts"],
                [*base, "maxUses"],
                [*base, "validTo"],
                [*base, "expirationUnit"],
                [*base, "contactsOnly"],
                [*base, "publishTo"],
            ],
        )
    )
    assert await count(db, t.Coupon) == 0
    assert await count(db, t.EligibleItem) == 0


async def test_create_coupon_without_kind_asks_for_it_alone(gql: Any, make: Any) -> None:
    site = await _site(make)
    data = await gql(CREATE, {"input": {"siteId": gid(site), "name": "A", "terms": {}}})
    assert errors_of(data["createCoupon"]) == [(["input", "terms", "kind"], "REQUIRED")]


async def test_unknown_or_wrong_site_id_is_not_found(gql: Any, make: Any) -> None:
    site = await _site(make)
    terms = {"kind": "PERCENTAGE", "percentage": "10"}
    for site_id in ("nonsense", gid(await make.organisation()), "U2l0ZTo5OTk5"):
        data = await gql(CREATE, {"input": {"siteId": site_id, "name": "A", "terms": terms}})
        assert errors_of(data["createCoupon"]) == [(["input", "siteId"], "NOT_FOUND")]
    assert site.id != 9999


async def test_create_needs_the_create_role_on_the_site(gql: Any, make: Any, db: Any) -> None:
    site = await _site(make)
    other = await _site(make)
    variables = {
        "input": {
            "siteId": gid(site),
            "name": "A",
            "terms": {"kind": "PERCENTAGE", "percentage": "5"},
        }
    }
    # A token without the role at all, and one with it on another site only.
    for token in (reader_token(site.id), reader_token(other.id, "Coupon-Create")):
        errors = await gql.errors(CREATE, variables, token=token)
        assert errors[0]["extensions"]["code"] == "FORBIDDEN"
    errors = await gql.errors(CREATE, variables, token=None)
    assert errors[0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert await count(db, t.Coupon) == 0
    data = await gql(CREATE, variables, token=reader_token(site.id, "Coupon-Create"))
    assert data["createCoupon"]["coupon"]["updatedBy"] == "reader@example.com"


async def test_update_changes_only_what_is_given_and_null_clears(gql: Any, make: Any) -> None:
    site = await _site(make)
    coupon = await make.coupon(
        site, name="Old", description="keep me", max_uses=5, max_uses_per_customer=1
    )
    data = await gql(
        UPDATE,
        {
            "input": {
                "id": gid(coupon),
                "name": "New",
                "terms": {"maxUses": None, "percentage": "20", "minimumSpend": [{"amount": 100}]},
            }
        },
    )
    got = data["updateCoupon"]["coupon"]
    assert got["name"] == "New" and got["description"] == "keep me"
    assert got["terms"]["maxUses"] is None  # null clears
    assert got["terms"]["maxUsesPerCustomer"] == 1  # omitted keeps
    assert got["terms"]["percentage"] == "20.00"
    assert got["terms"]["minimumSpend"] == [{"currency": "GBP", "amount": 100}]
    assert got["updatedAt"] > coupon.updated_at.isoformat()

    data = await gql(UPDATE, {"input": {"id": gid(coupon), "description": None}})
    assert data["updateCoupon"]["coupon"]["description"] is None
    assert data["updateCoupon"]["coupon"]["terms"]["percentage"] == "20.00"


async def test_switching_kind_drops_the_other_kinds_value(gql: Any, make: Any) -> None:
    coupon = await make.coupon(await _site(make))
    terms = {"kind": "FIXED", "amounts": [{"amount": 250}]}
    data = await gql(UPDATE, {"input": {"id": gid(coupon), "terms": terms}})
    got = data["updateCoupon"]["coupon"]["terms"]
    assert (got["kind"], got["percentage"], got["amounts"]) == (
        "FIXED",
        None,
        [{"currency": "GBP", "amount": 250}],
    )
    # Without amounts a fixed discount is refused, and the coupon is left as it was.
    data = await gql(UPDATE, {"input": {"id": gid(coupon), "terms": {"amounts": None}}})
    assert errors_of(data["updateCoupon"]) == [(["input", "terms", "amounts"], "REQUIRED")]


async def test_update_validates_the_merged_terms_and_writes_nothing(
    gql: Any, make: Any, db: Any
) -> None:
    coupon = await make.coupon(await _site(make), name="Same", max_uses=3)
    data = await gql(
        UPDATE,
        {
            "input": {
                "id": gid(coupon),
                "name": "Changed",
                "terms": {"usagePeriod": "P1W", "maxUses": None},
            }
        },
    )
    assert errors_of(data["updateCoupon"]) == [(["input", "terms", "usagePeriod"], "NOT_ALLOWED")]
    read = await gql("query($id: ID!) { coupon(id: $id) { name updatedAt } }", {"id": gid(coupon)})
    assert read["coupon"]["name"] == "Same"


async def test_eligible_lists_replace_or_change_by_delta(gql: Any, make: Any) -> None:
    coupon = await make.coupon(await _site(make))

    async def terms(change: dict[str, Any]) -> Any:
        data = await gql(UPDATE, {"input": {"id": gid(coupon), "terms": change}})
        payload = data["updateCoupon"]
        return payload["userErrors"] or payload["coupon"]["terms"]["eligibleCategories"]

    replaced = {"eligibleCategories": [{"category": "PRODUCT", "itemIds": ["a", "b"]}]}
    assert await terms(replaced) == [{"category": "PRODUCT", "itemIds": ["a", "b"]}]
    delta = {
        "eligibleItemChanges": [
            {"category": "PRODUCT", "addedItemIds": ["c"], "removedItemIds": ["a"]},
            {"category": "BOOKING", "addedItemIds": ["room-1"]},
            {"category": "EVENT", "removedItemIds": ["x"]},  # not eligible: nothing to remove
        ]
    }
    assert await terms(delta) == [  # in the API's category order
        {"category": "BOOKING", "itemIds": ["room-1"]},
        {"category": "PRODUCT", "itemIds": ["b", "c"]},
    ]
    # Both ways for one category, and an id added and removed at once, are refused.
    both = {
        "eligibleCategories": [{"category": "PRODUCT"}],
        "eligibleItemChanges": [
            {"category": "PRODUCT", "addedItemIds": ["d"]},
            {"category": "BOOKING", "addedItemIds": ["r"], "removedItemIds": ["r"]},
        ],
    }
    changes = ["input", "terms", "eligibleItemChanges"]
    assert [(e["field"], e["code"]) for e in await terms(both)] == [
        ([*changes, "0", "category"], "NOT_ALLOWED"),
        ([*changes, "1", "removedItemIds"], "NOT_ALLOWED"),
    ]
    assert await terms({"eligibleCategories": None}) == []
