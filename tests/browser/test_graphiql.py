"""GraphiQL in a real browser, as a newcomer opens it: served whole by the app, it renders,
and a query sent with a token in its Headers tab shows its data.

The browser may load nothing from anywhere but the server (the page's Content-Security-Policy,
and this machine may have no internet at all): a file still taken from a CDN would leave the
page at "Loading..." and fail here.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.browser.conftest import ARTIFACTS
from tests.browser.graphiql_page import open_graphiql, result_text, run, severe_console_entries
from tests.conftest import TEST_SECRET
from tests.servers import Uvicorn, wait_until_up

QUERY = "{ organisations { totalCount nodes { name } } }"


@pytest.mark.slow
async def test_graphiql_renders_and_runs_a_query_with_a_token(
    browser: Any, database_url: str, make: Any, admin_token: str
) -> None:
    await make.organisation(name="Browser Test Leisure")
    server = Uvicorn({"DATABASE_URL": database_url, "DISCOUNTS_JWT_SECRET": TEST_SECRET,
                      "DISCOUNTS_MIGRATE_ON_START": "false", "DISCOUNTS_GRAPHIQL": "true"})  # fmt: skip
    try:
        await wait_until_up([server.url], [server.process])
        wait = open_graphiql(browser, server.url)
        run(browser, wait, QUERY, admin_token)
        wait.until(lambda b: "totalCount" in result_text(b))

        ARTIFACTS.mkdir(exist_ok=True)
        screenshot = ARTIFACTS / "graphiql.png"
        browser.save_screenshot(str(screenshot))
        shown = result_text(browser)
        answer = json.loads(shown)
        assert answer["data"] == {
            "organisations": {"totalCount": 1, "nodes": [{"name": "Browser Test Leisure"}]}
        }, shown
        assert "errors" not in answer
        # Nothing refused by the policy, nothing failed to load.
        problems = severe_console_entries(browser)
        assert problems == [], problems
    finally:
        server.stop()
