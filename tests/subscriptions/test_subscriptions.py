"""Subscriptions over a real WebSocket (graphql-transport-ws) to a real server process, with
real tokens: what a subscriber receives, and what it is refused."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from websockets.exceptions import ConnectionClosed

from tests.conftest import token
from tests.engine.support import REDEEM, gid, open_shop
from tests.observability.metrics_text import scrape, value
from tests.subscriptions.support import (
    feed_end,
    initialise,
    opened,
    post,
    receive,
    signed_in,
    subscribe,
)

CREATE_CODE = """mutation($site: ID!, $code: String!) {
  createDiscountCode(input: {siteId: $site, code: $code, terms: {kind: PERCENTAGE, percentage: "10"}}) {
    discountCode { id } userErrors { field code } } }"""


async def create_code(server: str, admin: str, site: Any, code: str) -> dict[str, Any]:
    answer = await post(server, admin, CREATE_CODE, {"site": gid(site), "code": code})
    return answer["createDiscountCode"]  # type: ignore[no-any-return]


async def closed_with(socket: Any) -> tuple[int, str]:
    try:
        message = await receive(socket)
    except ConnectionClosed as closed:
        assert closed.rcvd is not None
        return closed.rcvd.code, closed.rcvd.reason
    raise AssertionError(f"the server sent {message} instead of closing")


async def test_a_redemption_reaches_a_subscriber(server: str, make: Any, admin_token: str) -> None:
    shop = await open_shop(make)
    await create_code(server, admin_token, shop.site, "LIVE10")
    after = await feed_end(server, admin_token)
    assert after is not None
    async with signed_in(server, admin_token) as socket:
        variables = {"site": gid(shop.site), "types": ["redemption.created"], "after": after}
        await subscribe(socket, "live", variables)
        answer = await post(server, admin_token, REDEEM,
                            {"input": shop.attempt("LIVE10", idempotencyKey="sub-1")})  # fmt: skip
        redemption = answer["redeemCode"]["redemption"]
        message = await receive(socket)
        assert message["type"] == "next" and message["id"] == "live", message
        event = message["payload"]["data"]["events"]
        assert event["type"] == "redemption.created"
        assert event["objectId"] == redemption["id"] and event["objectType"] == "Redemption"
        assert event["siteId"] == gid(shop.site)
        assert event["payload"]["id"] == redemption["id"]
        assert event["payload"]["amount"] == redemption["amount"]
        # The same event as the feed's.
        feed = await post(server, admin_token, "query($after: String) { events(after: $after) "
                          "{ nodes { id } } }", {"after": after})  # fmt: skip
        assert [n["id"] for n in feed["events"]["nodes"]] == [event["id"]]
        # `complete` ends it; the connection stays usable.
        await socket.send('{"id": "live", "type": "complete"}')
        await socket.send('{"type": "ping"}')
        assert (await receive(socket))["type"] == "pong"


async def test_only_new_events_without_a_cursor_then_in_commit_order(
    server: str, make: Any, admin_token: str
) -> None:
    shop = await open_shop(make)
    await create_code(server, admin_token, shop.site, "BEFORE")
    async with signed_in(server, admin_token) as socket:
        await subscribe(socket, "now", {"site": gid(shop.site)})
        # Until the subscription has started, a write may fall before it: write until one
        # arrives, then every later one arrives, in order.
        first = None
        for n in range(30):
            await create_code(server, admin_token, shop.site, f"WARM{n}")
            try:
                first = await asyncio.wait_for(receive(socket), 2)
                break
            except TimeoutError:
                continue
        assert (
            first is not None and first["payload"]["data"]["events"]["payload"]["code"] != "BEFORE"
        )
        made = [(await create_code(server, admin_token, shop.site, f"AFTER{n}"))["discountCode"]["id"]
                for n in range(3)]  # fmt: skip
        seen: list[str] = []
        while len(seen) < 3:
            event = (await receive(socket))["payload"]["data"]["events"]
            if event["payload"]["code"].startswith("AFTER"):
                seen.append(event["objectId"])
        assert seen == made


async def test_a_caller_receives_only_what_it_may_read(
    server: str, make: Any, admin_token: str
) -> None:
    shop = await open_shop(make)
    other = await make.site(shop.organisation)
    await create_code(server, admin_token, shop.site, "START")
    after = await feed_end(server, admin_token)
    reader = token(
        subject="reader", grants=[{"roles": ["DiscountCode-Read"], "sites": [shop.site.id]}]
    )
    async with signed_in(server, reader) as socket:
        await subscribe(socket, "mine", {"after": after})
        await create_code(server, admin_token, other, "THERE")
        await create_code(server, admin_token, shop.site, "HERE")
        event = (await receive(socket))["payload"]["data"]["events"]
        assert event["payload"]["code"] == "HERE"


async def test_a_rolled_back_write_sends_nothing(server: str, make: Any, admin_token: str) -> None:
    shop = await open_shop(make)
    await create_code(server, admin_token, shop.site, "TAKEN")
    after = await feed_end(server, admin_token)
    async with signed_in(server, admin_token) as socket:
        await subscribe(socket, "all", {"after": after})
        # Refused: the code exists (its transaction rolls back), and a set of codes of which
        # one fails redeems none (redeemCodes is all or nothing).
        refused = await create_code(server, admin_token, shop.site, "TAKEN")
        assert refused["userErrors"], refused
        attempt = shop.attempt(None, codes=["TAKEN", "NO-SUCH-CODE"], idempotencyKey="both")  # type: ignore[arg-type]
        both = await post(server, admin_token, REDEEM_BOTH, {"input": attempt})
        assert both["redeemCodes"]["redemptions"] == [], both
        await create_code(server, admin_token, shop.site, "NEXT")
        event = (await receive(socket))["payload"]["data"]["events"]
        assert (event["type"], event["payload"]["code"]) == ("discountCode.created", "NEXT")


REDEEM_BOTH = """mutation($input: RedeemCodesInput!) {
  redeemCodes(input: $input) { valid redemptions { id } userErrors { field code } } }"""


async def test_connection_init_without_a_valid_token_is_refused(
    server: str, db: Any, admin_token: str
) -> None:
    for sent, reason in ((None, "Bearer <token>"), ("not-a-token", "the bearer token was refused")):
        async with opened(server) as socket:
            await initialise(socket, sent)
            code, said = await closed_with(socket)
            assert code == 4403 and reason in said, (code, said)
    async with opened(server) as socket:
        await subscribe(socket, "early", {})
        assert (await closed_with(socket))[0] == 4401


async def test_a_site_not_readable_is_refused(server: str, make: Any, admin_token: str) -> None:
    shop = await open_shop(make)
    other = await make.site(shop.organisation)
    reader = token(subject="r1", grants=[{"roles": ["DiscountCode-Read"], "sites": [shop.site.id]}])
    async with signed_in(server, reader) as socket:
        await subscribe(socket, "theirs", {"site": gid(other)})
        message = await receive(socket)
        assert message["type"] == "error" and message["id"] == "theirs", message
        assert message["payload"][0]["extensions"]["code"] == "FORBIDDEN"
        assert "siteId" in message["payload"][0]["message"]
        await subscribe(socket, "typo", {"types": ["coupon.exploded"]})
        message = await receive(socket)
        assert message["type"] == "error"
        assert message["payload"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_the_limits_of_http_hold(server: str, db: Any, admin_token: str) -> None:
    async with signed_in(server, admin_token) as socket:
        # A query or mutation is not served here.
        await subscribe(socket, "q", {}, query="{ events { nodes { id } } }")
        message = await receive(socket)
        assert message["type"] == "error" and "over HTTP" in message["payload"][0]["message"]
        # The query limits of every operation: aliases (3 here).
        many = "subscription { events { a: id b: id c: id d: id } }"
        await subscribe(socket, "many", {}, query=many)
        message = await receive(socket)
        assert message["id"] == "many" and message["type"] == "error", message
        assert message["payload"][0]["extensions"]["code"] == "TOO_MANY_ALIASES"
        # Two operations at once per connection (the server's setting here).
        await subscribe(socket, "one", {})
        await subscribe(socket, "two", {})
        await subscribe(socket, "three", {})
        message = await receive(socket)
        assert (message["id"], message["type"]) == ("three", "error"), message
        assert "limit" in message["payload"][0]["message"]
    # Three connections per caller (the server's setting here).
    caller = token(subject="busy", admin=True)
    async with (
        signed_in(server, caller),
        signed_in(server, caller),
        signed_in(server, caller),
        opened(server) as fourth,
    ):
        await initialise(fourth, caller)
        assert (await closed_with(fourth))[0] == 4429
    # Closed connections count no more.
    async with signed_in(server, caller):
        pass


async def test_a_connection_closes_when_its_token_expires(server: str, db: Any) -> None:
    short = token(subject="brief", admin=True, ttl_seconds=2)
    async with signed_in(server, short) as socket:
        await subscribe(socket, "1", {})
        code, reason = await closed_with(socket)
        assert (code, reason) == (4403, "the bearer token has expired")


async def _metrics(server: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    async with httpx.AsyncClient(base_url=server, timeout=60) as http:
        return await scrape(http)


async def _settled(server: str, name: str, expected: float) -> float:
    """The gauge's value once the server has finished closing what the test closed."""
    for _ in range(100):
        seen = value(await _metrics(server), name)
        if seen == expected:
            return seen
        await asyncio.sleep(0.05)
    return seen


async def test_connections_and_subscriptions_are_measured(
    server: str, make: Any, admin_token: str
) -> None:
    shop = await open_shop(make)
    await create_code(server, admin_token, shop.site, "GAUGED")
    after = await feed_end(server, admin_token)
    connections, active = "discounts_websocket_connections", "discounts_subscriptions_active"
    closed = "discounts_websocket_closed_total"
    results = "discounts_subscription_results_total"
    before = await _metrics(server)
    async with signed_in(server, admin_token) as socket:
        await subscribe(socket, "gauged", {"site": gid(shop.site), "after": after})
        await create_code(server, admin_token, shop.site, "SEEN")
        assert (await receive(socket))["type"] == "next"
        during = await _metrics(server)
        assert value(during, connections) == value(before, connections) + 1
        assert value(during, active) == value(before, active) + 1
        assert value(during, results, outcome="ok") == value(before, results, outcome="ok") + 1
    async with opened(server) as refused:
        await initialise(refused, None)
        assert (await closed_with(refused))[0] == 4403
    assert await _settled(server, connections, value(before, connections)) == value(
        before, connections
    )
    assert await _settled(server, active, value(before, active)) == value(before, active)
    labels = {"code": "4403", "stage": "connection_init"}
    assert value(await _metrics(server), closed, **labels) == value(before, closed, **labels) + 1
