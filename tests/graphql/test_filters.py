"""Seed 002's search filters for assignments, and the same kinds of filter on the other lists."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa

from app.db.filters import Condition, Op, condition_sql
from app.domain.enums import CustomerKind
from app.graphql.ids import to_global_id
from app.graphql.lists import ALL_LISTS

D = lambda day: datetime(2025, 1, day, tzinfo=UTC)  # noqa: E731


@pytest.fixture
async def assignments(make: Any) -> dict[str, Any]:
    org = await make.organisation()
    site = await make.site(org, name="Shoreditch")
    other_site = await make.site(org, name="Camden")
    ana = await make.customer(
        org,
        full_name="Ana Lima",
        billing_name="Lima Ltd",
        company_name="Lima",
        kind=CustomerKind.COMPANY,
        email="ana@lima.test",
    )
    bo = await make.customer(org, full_name="Bo Chen", email="bo@chen.test")
    referrer = await make.customer(org, full_name="Ref Errer")
    code = await make.discount_code(site, code="FRIENDS", valid_from=D(1), valid_to=D(20))
    disabled = await make.discount_code(other_site, code="OLDIE", disabled_at=D(2))
    a1 = await make.assignment(
        ana,
        code,
        notes="met at the fair",
        times_used=3,
        valid_from=D(5),
        expires_on=D(10),
        referrer_id=referrer.id,
        booking_reference="BK-1",
    )
    a2 = await make.assignment(bo, disabled, times_used=0, valid_from=D(7), expires_on=D(30))
    return {"site": site, "ana": ana, "referrer": referrer, "code": code, "a1": a1, "a2": a2}


QUERY = "query($f: AssignmentFilter) { assignments(filter: $f) { totalCount nodes { id } } }"


@pytest.mark.parametrize(
    ("filter_", "expected"),
    [
        ({"customerKind": {"eq": "COMPANY"}}, ["a1"]),
        ({"customerFullName": {"contains": "lima"}}, ["a1"]),
        ({"customerBillingName": {"eq": "Lima Ltd"}}, ["a1"]),
        ({"customerCompanyName": {"startsWith": "li"}}, ["a1"]),
        ({"siteName": {"eq": "Camden"}}, ["a2"]),
        ({"discountCodeCode": {"eq": "FRIENDS"}}, ["a1"]),
        ({"discountCodeActive": False}, ["a2"]),
        ({"discountCodeValidFrom": {"gte": "2025-01-01T00:00:00+00:00"}}, ["a1"]),
        ({"discountCodeValidTo": {"lte": "2025-01-20T00:00:00+00:00"}}, ["a1"]),
        ({"notes": {"contains": "FAIR"}}, ["a1"]),
        ({"timesUsed": {"gte": 1, "lte": 3}}, ["a1"]),
        ({"timesUsed": {"eq": 0}}, ["a2"]),
        ({"validFrom": {"gte": "2025-01-06T00:00:00Z"}}, ["a2"]),
        ({"expiresOn": {"lt": "2025-01-11T00:00:00Z"}}, ["a1"]),
        ({"bookingReference": {"eq": "BK-1"}}, ["a1"]),
        ({"bookingReference": {"isNull": True}}, ["a2"]),
        ({"createdAt": {"lte": "2999-01-01T00:00:00Z"}}, ["a1", "a2"]),
        ({"updatedAt": {"gte": "2999-01-01T00:00:00Z"}}, []),
        ({"or": [{"timesUsed": {"eq": 3}}, {"siteName": {"eq": "Camden"}}]}, ["a1", "a2"]),
        ({"and": [{"timesUsed": {"eq": 3}}, {"siteName": {"eq": "Camden"}}]}, []),
    ],
)
async def test_assignment_filters(
    gql: Any, assignments: dict[str, Any], filter_: Any, expected: list[str]
) -> None:
    data = await gql(QUERY, {"f": filter_})
    ids = {to_global_id("Assignment", assignments[k].id): k for k in ("a1", "a2")}
    assert sorted(ids[n["id"]] for n in data["assignments"]["nodes"]) == expected
    assert data["assignments"]["totalCount"] == len(expected)


async def test_filters_by_related_ids(gql: Any, assignments: dict[str, Any]) -> None:
    ana = to_global_id("Customer", assignments["ana"].id)
    site = to_global_id("Site", assignments["site"].id)
    referrer = assignments["referrer"]
    for f in (
        {"customerId": {"eq": ana}},
        {"siteId": {"in": [site]}},
        {"discountCodeId": {"eq": to_global_id("DiscountCode", assignments["code"].id)}},
        {"referrerId": {"eq": to_global_id("Customer", referrer.id)}},
        {"referrerUniqueId": {"eq": str(referrer.unique_id)}},
    ):
        data = await gql(QUERY, {"f": f})
        assert data["assignments"]["totalCount"] == 1, f


async def test_an_id_of_the_wrong_type_in_a_filter_names_the_field(
    gql: Any, assignments: dict[str, Any]
) -> None:
    wrong = to_global_id("Site", assignments["site"].id)
    (error,) = await gql.errors(QUERY, {"f": {"customerId": {"eq": wrong}}})
    assert error["message"].startswith("filter.customerId.eq:")


@pytest.mark.parametrize("spec", ALL_LISTS, ids=lambda spec: spec.table.name)
def test_a_filter_on_a_related_record_reads_that_records_table(spec: Any) -> None:
    """`siteName` of a coupon code reads sites, though coupon_code's site_id is part of its
    one foreign key to the coupon (migration 0017); so for every list and related field."""
    for field in spec.fields:
        if field.via is None or not isinstance(field.via.remote, sa.Column):
            continue
        remote_table = field.via.remote.table
        sql = str(condition_sql(spec, Condition(field.name, Op.EQ, "x")).compile())
        assert f"FROM {remote_table.name}" in sql, (field.name, sql)
