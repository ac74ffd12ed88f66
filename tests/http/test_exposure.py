"""Introspection, GraphiQL and field suggestions: on in demo mode, off in production."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from app.settings import Mode, Settings
from tests.http.conftest import probe_client

INTROSPECTION = "{ __schema { queryType { name } } }"
TYPO = "{ coupns { totalCount } }"


async def test_demo_mode_serves_introspection_graphiql_and_suggestions(gql: Any) -> None:
    assert await gql(INTROSPECTION) == {"__schema": {"queryType": {"name": "Query"}}}
    (error,) = await gql.errors(TYPO)
    assert "Did you mean 'coupons'" in error["message"]
    page = await gql.http.get("/graphql", headers={"accept": "text/html"})
    assert page.headers["content-type"].startswith("text/html")


@pytest.fixture
async def production(settings: Settings) -> Any:
    chosen = Settings(
        mode=Mode.PRODUCTION,
        database_url=settings.database_url,
        jwt_secret=settings.jwt_secret,
        migrate_on_start=False,
        demo_secret_file=settings.demo_secret_file,
    )
    assert not (chosen.graphiql or chosen.introspection or chosen.field_suggestions)
    async with probe_client(chosen) as client:
        yield client


async def test_production_mode_refuses_introspection(production: httpx.AsyncClient) -> None:
    response = await production.post("/graphql", json={"query": INTROSPECTION})
    assert response.json()["errors"][0]["message"] == (
        "GraphQL introspection has been disabled, but the requested query contained the field "
        "'__schema'."
    )
    # __typename is not introspection of the schema: it still answers
    typename = await production.post("/graphql", json={"query": "{ __typename }"})
    assert typename.json()["data"] == {"__typename": "Query"}


async def test_production_mode_serves_no_graphiql(production: httpx.AsyncClient) -> None:
    response = await production.get("/graphql", headers={"accept": "text/html,*/*;q=0.8"})
    assert response.status_code == 400
    assert not response.headers["content-type"].startswith("text/html")


async def test_production_mode_gives_no_suggestions(production: httpx.AsyncClient) -> None:
    response = await production.post("/graphql", json={"query": TYPO})
    (error,) = response.json()["errors"]
    assert error["message"] == "Cannot query field 'coupns' on type 'Query'."


# Mistakes graphql-core answers with suggestions, in the document and in the variables
# (validation, and the coercion of variable values: its messages go on after the suggestion).
FILTERED = "query($f: CouponCodeFilter) { couponCodes(filter: $f) { totalCount } }"
MISTAKES = [
    ('{ couponCodes(filter: {cod: {eq: "x"}}) { totalCount } }', None),
    ("{ couponCodes(trashed: WITHOT) { totalCount } }", None),
    ("{ couponCodes(firts: 1) { totalCount } }", None),
    ("query($f: CouponCodeFiltr) { couponCodes(filter: $f) { totalCount } }", None),
    (FILTERED, {"f": {"cod": {"eq": "x"}}}),
    (FILTERED, {"f": {"or": [{"code": {"eq": "x", "startWith": "y"}}]}}),
    ("query($t: Trashed) { couponCodes(trashed: $t) { totalCount } }", {"t": "WITHOT"}),
]


@pytest.mark.parametrize(("query", "variables"), MISTAKES)
async def test_production_mode_suggests_no_names_anywhere(
    production: httpx.AsyncClient, query: str, variables: dict[str, Any] | None
) -> None:
    # given a document or variables naming a field, an argument, a type or a value wrongly
    response = await production.post("/graphql", json={"query": query, "variables": variables})
    # then the request is refused without naming what exists
    errors = response.json()["errors"]
    assert errors
    for error in errors:
        assert "Did you mean" not in error["message"], error
        assert "'code'" not in error["message"], error


def test_each_exposure_is_configurable_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DISCOUNTS_INTROSPECTION", "false")
    monkeypatch.setenv("DISCOUNTS_GRAPHIQL", "false")
    monkeypatch.setenv("DISCOUNTS_FIELD_SUGGESTIONS", "false")
    settings = Settings(mode=Mode.DEMO)
    assert (settings.introspection, settings.graphiql, settings.field_suggestions) == (
        False,
        False,
        False,
    )
