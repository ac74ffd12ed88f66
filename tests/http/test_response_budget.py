"""The response budget (app.db.budget): a response over `max_response_nodes` objects or
`max_response_bytes` bytes stops with RESPONSE_TOO_LARGE instead of being built, on both
executors (and on PostgreSQL with rows rendered as JSON in the database)."""

from __future__ import annotations

from typing import Any

import pytest

from app.db.tables import EligibleItem
from app.domain.enums import DiscountKind, ItemCategory
from app.graphql.ids import to_global_id
from app.settings import Settings
from tests.conftest import GraphQLClient
from tests.http.conftest import probe_client

CODES = "{ couponCodes(first: 10) { nodes { code coupon { name } } } }"
EXECUTORS = pytest.mark.parametrize("plan_executor", [True, False], ids=["plan", "standard"])


async def five_codes(make: Any) -> None:
    site = await make.site(await make.organisation())
    coupon = await make.coupon(site, name="Spring")
    for i in range(5):
        await make.coupon_code(coupon, code=f"SPRING-{i}")


async def ask(settings: Settings, token: str, **limits: Any) -> dict[str, Any]:
    async with probe_client(settings, **limits) as http:
        response = await GraphQLClient(http, token).post(CODES)
    assert response.status_code == 200
    return response.json()  # type: ignore[no-any-return]


@EXECUTORS
async def test_a_response_within_the_budget_answers(
    settings: Settings, admin_token: str, make: Any, plan_executor: bool
) -> None:
    await five_codes(make)
    body = await ask(settings, admin_token, plan_executor=plan_executor, max_response_nodes=6)
    assert "errors" not in body
    assert len(body["data"]["couponCodes"]["nodes"]) == 5


@EXECUTORS
@pytest.mark.parametrize(
    ("limits", "what"),
    [({"max_response_nodes": 4}, "nodes"), ({"max_response_bytes": 40}, "bytes")],
    ids=["nodes", "bytes"],
)
async def test_a_response_over_the_budget_stops_with_one_error(
    settings: Settings,
    admin_token: str,
    make: Any,
    plan_executor: bool,
    limits: dict[str, int],
    what: str,
) -> None:
    # given five codes, each with its coupon (six objects, and their text)
    await five_codes(make)
    # when they are asked for with a smaller budget
    body = await ask(settings, admin_token, plan_executor=plan_executor, **limits)
    # then the response is one error naming the limit, without the rows read
    (limit,) = limits.values()
    assert body["data"] is None
    assert body["errors"] == [
        {
            "message": f"The response would hold more than {limit} {what}; that is the limit. "
            "Ask for fewer rows (first/last) or fewer fields.",
            "extensions": {"code": "RESPONSE_TOO_LARGE", "limit": limit, "of": what},
        }
    ]


@EXECUTORS
async def test_rows_of_unpaged_relationships_count(
    settings: Settings, admin_token: str, make: Any, plan_executor: bool
) -> None:
    # given one coupon whose terms list 30 eligible item ids (rows of their own)
    site = await make.site(await make.organisation())
    coupon = await make.coupon(site, name="Rooms")
    await make.add(
        *(
            EligibleItem(coupon_id=coupon.id, category=ItemCategory.BOOKING, item_id=f"room-{i}")
            for i in range(30)
        )
    )
    query = "{ coupons(first: 1) { nodes { terms { eligibleCategories { itemIds } } } } }"
    async with probe_client(settings, plan_executor=plan_executor, max_response_nodes=20) as http:
        response = await GraphQLClient(http, admin_token).post(query)
    # then the item ids count as the response's objects
    assert [e["extensions"]["code"] for e in response.json()["errors"]] == ["RESPONSE_TOO_LARGE"]


async def test_what_the_rules_read_is_not_the_answers_text(
    settings: Settings, admin_token: str, make: Any
) -> None:
    # given a code whose description (read with its facts, never in this answer) is long
    site = await make.site(await make.organisation())
    await make.discount_code(
        site, code="LONG", kind=DiscountKind.PERCENTAGE, percentage_bp=1000,
        description="x" * 2000,
    )  # fmt: skip
    query = "query($input: ValidateCodeInput!) { validateCode(input: $input) { valid reason } }"
    line = {"category": "BOOKING", "itemId": "room-1", "quantity": 1, "unitPrice": 1000}
    attempt = {"code": "long", "siteId": to_global_id("Site", site.id), "currency": "GBP",
               "lines": [line]}  # fmt: skip
    # when it is checked under a byte budget far below the description's length
    async with probe_client(settings, max_response_bytes=500) as http:
        response = await GraphQLClient(http, admin_token).post(query, {"input": attempt})
    # then it answers: the facts' rows count, their text is not the response's
    body = response.json()
    assert "errors" not in body
    assert body["data"] == {"validateCode": {"valid": True, "reason": None}}
