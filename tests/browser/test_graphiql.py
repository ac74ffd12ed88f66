"""GraphiQL in a real browser, as a newcomer opens it: served whole by the app, it renders,
and a query sent with a token in its Headers tab shows its data.

The browser may load nothing from anywhere but the server (the page's Content-Security-Policy,
and this machine may have no internet at all): a file still taken from a CDN would leave the
page at "Loading..." and fail here.
"""

from __future__ import annotations

import json
from typing import Any

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser.conftest import ARTIFACTS
from tests.conftest import TEST_SECRET
from tests.servers import Uvicorn, wait_until_up

QUERY = "{ organisations { totalCount nodes { name } } }"


async def test_graphiql_renders_and_runs_a_query_with_a_token(
    browser: Any, database_url: str, make: Any, admin_token: str
) -> None:
    await make.organisation(name="Browser Test Leisure")
    server = Uvicorn({"DATABASE_URL": database_url, "DISCOUNTS_JWT_SECRET": TEST_SECRET,
                      "DISCOUNTS_MIGRATE_ON_START": "false", "DISCOUNTS_GRAPHIQL": "true"})  # fmt: skip
    try:
        await wait_until_up([server.url], [server.process])
        browser.get(f"{server.url}/graphql")
        wait = WebDriverWait(browser, 60)
        # GraphiQL replaced "Loading..." with its editor.
        wait.until(lambda b: b.find_elements(By.CSS_SELECTOR, ".graphiql-query-editor .CodeMirror"))
        assert "Loading..." not in browser.find_element(By.ID, "graphiql").text

        # What pasting does: the editors take the text whole (typing would meet auto-closed
        # brackets and completions).
        browser.execute_script(
            "document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror"
            ".setValue(arguments[0])",
            QUERY,
        )
        headers_tab = next(
            b
            for b in browser.find_elements(By.CSS_SELECTOR, ".graphiql-editor-tools button")
            if b.text.strip() == "Headers"
        )
        headers_tab.click()
        headers_editor = wait.until(
            lambda b: [
                e
                for e in b.find_elements(By.CSS_SELECTOR, ".graphiql-editor-tool .CodeMirror")
                if e.is_displayed()
            ]  # fmt: skip
        )[0]
        browser.execute_script(
            "arguments[0].CodeMirror.setValue(arguments[1])",
            headers_editor,
            json.dumps({"Authorization": f"Bearer {admin_token}"}),
        )
        browser.find_element(By.CSS_SELECTOR, ".graphiql-execute-button").click()
        wait.until(lambda b: "totalCount" in b.find_element(By.CSS_SELECTOR, ".result-window").text)

        ARTIFACTS.mkdir(exist_ok=True)
        screenshot = ARTIFACTS / "graphiql.png"
        browser.save_screenshot(str(screenshot))
        shown = browser.find_element(By.CSS_SELECTOR, ".result-window").text
        answer = json.loads(shown)
        assert answer["data"] == {
            "organisations": {"totalCount": 1, "nodes": [{"name": "Browser Test Leisure"}]}
        }, shown
        assert "errors" not in answer
        # Nothing refused by the policy, nothing failed to load.
        problems = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
        assert problems == [], problems
    finally:
        server.stop()
