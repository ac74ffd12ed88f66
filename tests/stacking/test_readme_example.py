"""The README's example of several codes answers on the demo as its comment says, code by code:
two codes combine, the exclusive one is refused naming the code it cannot be used beside."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from app.demo import seed_demo

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_example() -> str:
    blocks = README.read_text().split("```graphql\n")[1:]
    (found,) = [block.split("```")[0] for block in blocks if "validateCodes" in block]
    return found


async def test_the_readme_example_combines_two_codes_and_refuses_the_exclusive_one(
    db: AsyncEngine, gql: Any
) -> None:
    await seed_demo(db)
    answer = (await gql(readme_example()))["validateCodes"]
    codes = {entry["code"]: entry for entry in answer["codes"]}
    assert [entry["code"] for entry in answer["codes"]] == [
        "ROOMS-MONTHLY", "WELCOME10", "SUMMER-PARTY",
    ]  # fmt: skip
    assert (codes["WELCOME10"]["applied"], codes["WELCOME10"]["discountTotal"]) == (True, 650)
    assert (codes["ROOMS-MONTHLY"]["applied"], codes["ROOMS-MONTHLY"]["discountTotal"]) == (
        True, 1000,
    )  # fmt: skip
    refused = codes["SUMMER-PARTY"]
    assert (refused["applied"], refused["reason"], refused["conflictsWith"]) == (
        False, "DOES_NOT_COMBINE", "WELCOME10",
    )  # fmt: skip
    assert answer["lines"] == [{"index": 0, "amount": 1500}, {"index": 1, "amount": 150}]
