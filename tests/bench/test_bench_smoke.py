"""scripts/bench's queries are valid against our schema (no servers, no npm: only validation).

The PostGraphile side of each query is checked by the bench itself against the running peer;
here it only has to parse.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from graphql import parse, validate

from app.graphql.schema import build_schema

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
from benchmarks.queries import QUERIES, Query, pick, unique_ids  # noqa: E402


@pytest.fixture(scope="module")
def schema():
    return build_schema()._schema


@pytest.mark.parametrize("query", QUERIES, ids=lambda q: q.name)
def test_our_query_is_valid(schema, query: Query) -> None:
    errors = validate(schema, parse(query.ours))
    assert not errors, [error.message for error in errors]


@pytest.mark.parametrize("query", QUERIES, ids=lambda q: q.name)
def test_the_peer_query_parses(query: Query) -> None:
    parse(query.peer)


def test_the_four_queries_are_there() -> None:
    assert [q.name for q in QUERIES] == ["big_list", "one_coupon", "deep", "assignments_page"]


def test_pick_walks_lists_and_unique_ids_keeps_document_order() -> None:
    response = {"data": {"coupons": {"nodes": [
        {"uniqueId": "a", "codes": {"nodes": [{"uniqueId": "b"}, {"uniqueId": "c"}]}},
        {"uniqueId": "d", "codes": {"nodes": []}},
    ]}}}  # fmt: skip
    assert len(pick(response, "data.coupons.nodes")) == 2
    assert len(pick(response, "data.coupons.nodes.codes.nodes")) == 2
    assert unique_ids(response) == ["a", "b", "c", "d"]
