"""The issue's "done when" for subscriptions: a GraphiQL tab subscribed to the change events
(WebSocket, graphql-transport-ws, the token of its Headers tab) shows a redemption made
through the API over HTTP."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.browser.conftest import ARTIFACTS
from tests.browser.graphiql_page import open_graphiql, result_text, run, severe_console_entries
from tests.engine.support import REDEEM, gid, open_shop
from tests.servers import Uvicorn, storm_environment, wait_until_up
from tests.subscriptions.support import feed_end, post
from tests.subscriptions.test_subscriptions import create_code

SUBSCRIPTION = """subscription {
  events(siteId: "%s", types: ["redemption.created"], after: "%s") {
    type objectId payload
  }
}"""


@pytest.mark.slow
async def test_a_redemption_reaches_a_subscribed_graphiql_tab(
    browser: Any, database_url: str, make: Any, admin_token: str
) -> None:
    shop = await open_shop(make)
    server = Uvicorn({**storm_environment(database_url), "DISCOUNTS_GRAPHIQL": "true"})
    try:
        await wait_until_up([server.url], [server.process])
        await create_code(server.url, admin_token, shop.site, "GRAPHIQL10")
        # The feed's cursor now: the tab receives what is committed after it, whenever its
        # socket has opened.
        after = await feed_end(server.url, admin_token)
        wait = open_graphiql(browser, server.url)
        run(browser, wait, SUBSCRIPTION % (gid(shop.site), after), admin_token)

        answer = await post(server.url, admin_token, REDEEM,
                            {"input": shop.attempt("GRAPHIQL10", idempotencyKey="tab")})  # fmt: skip
        redemption = answer["redeemCode"]["redemption"]
        wait.until(lambda b: redemption["id"] in result_text(b))

        ARTIFACTS.mkdir(exist_ok=True)
        browser.save_screenshot(str(ARTIFACTS / "graphiql-subscription.png"))
        shown = json.loads(result_text(browser))
        event = shown["data"]["events"]
        assert (event["type"], event["objectId"]) == ("redemption.created", redemption["id"])
        assert event["payload"]["amount"] == redemption["amount"]
        problems = severe_console_entries(browser)
        assert problems == [], problems
    finally:
        server.stop()
