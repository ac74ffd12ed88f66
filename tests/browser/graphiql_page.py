"""GraphiQL driven as a person drives it: open it, paste a query and headers, run it."""

from __future__ import annotations

import json
from typing import Any

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

# What a page may take to load and answer on a loaded test machine (not a measure of speed).
PATIENCE_SECONDS = 60


def open_graphiql(browser: Any, base_url: str) -> WebDriverWait[Any]:
    """GraphiQL at `base_url`, its editor ready; a waiter for what follows."""
    browser.get(f"{base_url}/graphql")
    wait = WebDriverWait(browser, PATIENCE_SECONDS)
    # GraphiQL replaced "Loading..." with its editor.
    wait.until(lambda b: b.find_elements(By.CSS_SELECTOR, ".graphiql-query-editor .CodeMirror"))
    assert "Loading..." not in browser.find_element(By.ID, "graphiql").text
    return wait


def run(browser: Any, wait: WebDriverWait[Any], query: str, token: str) -> None:
    """Pastes `query` and the token's Authorization header, and presses the play button."""
    # What pasting does: the editors take the text whole (typing would meet auto-closed
    # brackets and completions).
    browser.execute_script(
        "document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror"
        ".setValue(arguments[0])",
        query,
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
        json.dumps({"Authorization": f"Bearer {token}"}),
    )
    browser.find_element(By.CSS_SELECTOR, ".graphiql-execute-button").click()


def result_text(browser: Any) -> str:
    """The whole result pane (its editor draws only the lines in view)."""
    return str(
        browser.execute_script(
            "const editor = document.querySelector('.result-window .CodeMirror');"
            "return editor ? editor.CodeMirror.getValue() : '';"
        )
    )


def severe_console_entries(browser: Any) -> list[Any]:
    """What the browser's console reports as failures (refused by the policy, not loaded)."""
    return [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
