"""/metrics through HTTP: what operators graph and alert on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from app.observability.metrics import MAX_OPERATION_NAMES, operation_label
from tests.engine.support import REDEEM, open_shop
from tests.observability.metrics_text import scrape, value


async def test_a_refused_redemption_is_counted_by_its_reason(client: Any, make: Any) -> None:
    shop = await open_shop(make)
    yesterday = datetime.now(UTC) - timedelta(days=1)
    await make.discount_code(shop.site, code="GONE", valid_to=yesterday)
    await make.discount_code(shop.site, code="FINE")
    before = await scrape(client.http)

    refused = await client(REDEEM, {"input": shop.attempt("GONE", idempotencyKey="k1")})
    assert refused["redeemCode"]["reason"] == "EXPIRED"
    redeemed = await client(REDEEM, {"input": shop.attempt("FINE", idempotencyKey="k2")})
    assert redeemed["redeemCode"]["valid"]
    await client(REDEEM, {"input": shop.attempt("FINE", idempotencyKey="k2")})  # a replay

    after = await scrape(client.http)
    name = "discounts_redemptions_total"
    for labels, added in (
        ({"outcome": "refused", "reason": "EXPIRED"}, 1),
        ({"outcome": "redeemed", "reason": ""}, 1),
        ({"outcome": "replayed", "reason": ""}, 1),
        ({"outcome": "refused", "reason": "NOT_FOUND"}, 0),
    ):
        assert value(after, name, **labels) - value(before, name, **labels) == added, labels


async def test_requests_are_counted_by_operation_and_outcome(client: Any) -> None:
    before = await scrape(client.http)
    await client("query SiteNames { sites { totalCount } }")
    await client.post("query SiteNames { sites { nope } }")  # a validation error
    await client.post("{ sites { totalCount } }", token=None)  # anonymous: UNAUTHENTICATED
    after = await scrape(client.http)

    def added(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    requests = "discounts_http_requests_total"
    ok = {"route": "/graphql", "operation": "SiteNames", "status": "200", "outcome": "ok"}
    assert added(requests, **ok) == 1
    assert added(requests, **{**ok, "outcome": "error"}) == 1
    assert added("discounts_graphql_errors_total", code="GRAPHQL_VALIDATION_FAILED") == 1
    assert added("discounts_graphql_errors_total", code="UNAUTHENTICATED") >= 1
    latency = "discounts_http_request_duration_seconds_count"
    assert added(latency, route="/graphql", operation="SiteNames") == 2
    assert ("discounts_database_connections_in_use", frozenset()) in after


async def test_a_rate_limited_attempt_is_counted(client: Any, make: Any, settings: Any) -> None:
    # A checkout that may redeem but not read codes, guessing
    from tests.conftest import token
    from tests.engine.support import VALIDATE

    shop = await open_shop(make)
    checkout = token(subject="guesser@example.com",
                     grants=[{"roles": ["DiscountCode-Redeem"], "sites": [shop.site.id]}])  # fmt: skip
    before = await scrape(client.http)
    for attempt in range(settings.failed_code_attempts_per_minute + 1):
        await client.post(VALIDATE, {"input": shop.attempt(f"NOPE{attempt}")}, token=checkout)
    after = await scrape(client.http)
    hits = "discounts_rate_limited_total"
    assert value(after, hits) - value(before, hits) == 1


def test_operation_names_are_bounded() -> None:
    assert operation_label(None, "# a comment\n  mutation Redeem($i: X) { x }") == "Redeem"
    assert operation_label(None, "{ x }") == "anonymous"
    assert operation_label("Given", "query Other { x }") == "Given"
    assert operation_label("not a name!", None) == "other"
    for n in range(MAX_OPERATION_NAMES + 1):
        operation_label(f"Generated{n}", None)
    assert operation_label("OneMoreAfterTheBound", None) == "other"
