"""Every GraphQL example in README.md and docs/*.md answers with data on the demo, as written.

An example with placeholders (`"<coupon id>"`) cannot run as written: the text just before it
must name the test that runs its steps, and that test must exist.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from app.demo import seed_demo

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"^```graphql\n(.*?)^```", re.MULTILINE | re.DOTALL)
PLACEHOLDER = re.compile(r'"<[^">]+>"')
TEST_PATH = re.compile(r"tests/[\w/]+\.py")
# The answer a code check shows under its example: "# valid: true, discountTotal: 535".
STATED_ANSWER = re.compile(r"^# valid: (true|false), discountTotal: (\d+)", re.MULTILINE)


@dataclass(frozen=True)
class Example:
    document: Path
    line: int
    text: str
    preceding: str  # the prose just before the block

    @property
    def name(self) -> str:
        return f"{self.document.relative_to(ROOT)}:{self.line}"


def examples() -> list[Example]:
    found = []
    for document in DOCUMENTS:
        text = document.read_text()
        for match in BLOCK.finditer(text):
            before = text[: match.start()]
            paragraph = before.rstrip().rsplit("\n\n", 1)[-1]
            found.append(Example(document, before.count("\n") + 1, match.group(1), paragraph))
    return found


EXAMPLES = examples()
RUNNABLE = [e for e in EXAMPLES if not PLACEHOLDER.search(e.text)]
TEMPLATES = [e for e in EXAMPLES if PLACEHOLDER.search(e.text)]


def test_the_documents_have_examples_of_both_kinds() -> None:
    assert len(RUNNABLE) >= 5, [e.name for e in RUNNABLE]
    assert TEMPLATES, "the walk-throughs are gone"


@pytest.mark.parametrize("example", TEMPLATES, ids=lambda e: e.name)
def test_an_example_with_placeholders_names_the_test_that_runs_it(example: Example) -> None:
    named = TEST_PATH.findall(example.preceding)
    assert named, f"{example.name}: say which test runs these steps in the text before it"
    for path in named:
        assert (ROOT / path).is_file(), f"{example.name}: {path} does not exist"


@pytest.fixture
async def demo(db: AsyncEngine) -> None:
    await seed_demo(db)


def _user_errors(value: Any) -> list[Any]:
    """Every non-empty `userErrors` list anywhere in a response."""
    if isinstance(value, list):
        return [error for item in value for error in _user_errors(item)]
    if isinstance(value, dict):
        found = list(value.get("userErrors") or [])
        for key, item in value.items():
            if key != "userErrors":
                found += _user_errors(item)
        return found
    return []


@pytest.mark.parametrize("example", RUNNABLE, ids=lambda e: e.name)
async def test_an_example_answers_with_data_on_the_demo(
    example: Example, demo: None, gql: Any
) -> None:
    data = await gql(example.text)  # fails on any GraphQL error

    for field, value in data.items():
        assert value is not None, f"{example.name}: {field} is null on the demo"
        if isinstance(value, dict) and "nodes" in value:
            assert value["nodes"], f"{example.name}: {field} has no nodes on the demo"
    assert not _user_errors(data), f"{example.name}: {_user_errors(data)}"

    for valid, total in STATED_ANSWER.findall(example.text):
        (answer,) = data.values()
        stated = {"valid": valid == "true", "discountTotal": int(total)}
        shown = {key: answer[key] for key in stated}
        assert shown == stated, f"{example.name}: the text says {stated}, the demo answers {shown}"


def test_the_readmes_curl_sends_an_example_that_runs() -> None:
    """The first query's curl command sends the GraphQL example shown under it."""
    readme = (ROOT / "README.md").read_text()
    sent = re.findall(r"""-d '\{"query": "(.*?)"\}'""", readme)
    assert sent, "the README's first query has no curl command"
    runnable = {" ".join(e.text.split()) for e in RUNNABLE if e.document.name == "README.md"}
    for query in sent:
        assert " ".join(query.split()) in runnable, query
