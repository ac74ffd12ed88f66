"""The README's GraphQL examples, run as written on the demo data as `scripts/serve` seeds it
(the default seed, this minute): each query answers with data, and the redemption example
gives the figures the README states. A change to demo.toml that breaks an example fails here.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from app.demo import seed_demo

README = Path(__file__).resolve().parents[2] / "README.md"
EXAMPLES = re.findall(r"```graphql\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
QUERIES = [e for e in EXAMPLES if not e.lstrip().startswith("mutation")]
# Examples that are about a vendor seed's records, not the demo's: they must answer, maybe empty.
ABOUT_A_SEED = ("lima",)


def _lists(value: Any) -> list[list[Any]]:
    """Every `nodes` list in a response, outermost first."""
    if isinstance(value, dict):
        found = [value["nodes"]] if isinstance(value.get("nodes"), list) else []
        return found + [inner for v in value.values() for inner in _lists(v)]
    if isinstance(value, list):
        return [inner for v in value for inner in _lists(v)]
    return []


@pytest.fixture
async def demo_gql(gql: Any, db: AsyncEngine) -> Any:
    await seed_demo(db)
    return gql


def test_the_readme_has_examples() -> None:
    assert len(QUERIES) >= 4
    assert any("redeemCode" in e for e in EXAMPLES)


@pytest.mark.parametrize("query", QUERIES, ids=[f"query{n}" for n in range(len(QUERIES))])
async def test_each_query_answers_with_data(demo_gql: Any, query: str) -> None:
    data = await demo_gql(query)
    if any(word in query for word in ABOUT_A_SEED):
        return
    for field, value in data.items():
        assert value, (field, data)
        lists = _lists(value)
        assert not lists or lists[0], (field, value)


async def test_the_redemption_example(demo_gql: Any) -> None:
    (example,) = [e for e in EXAMPLES if "redeemCode" in e]
    mutation = example.split("\n#")[0]
    first = (await demo_gql(mutation))["redeemCode"]
    assert first["userErrors"] == [] and first["valid"] is True, first
    assert first["discountTotal"] == 535
    assert [line["amount"] for line in first["lines"]] == [500, 35]
    again = (await demo_gql(mutation))["redeemCode"]
    assert again["redemption"]["id"] == first["redemption"]["id"]
