"""`/graphql` is handed to the endpoint directly (app.fast.router.DiscountsApp); everything else,
and `/graphql` with other methods or under a root path, goes through Starlette's router."""

from __future__ import annotations

import uuid
from typing import Any

import httpx


async def test_other_methods_get_the_routers_405(gql: Any) -> None:
    response = await gql.http.put("/graphql", json={"query": "{ __typename }"})
    assert response.status_code == 405
    assert set(response.headers["allow"].split(", ")) == {"GET", "HEAD", "POST"}


async def test_graphql_answers_with_a_request_id(gql: Any) -> None:
    response = await gql.post("{ __typename }")
    assert response.json() == {"data": {"__typename": "Query"}, "extensions": {"cost": {
        "requested": 0, "limit": 50000}}}  # fmt: skip
    assert uuid.UUID(response.headers["x-request-id"])
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    assert int(response.headers["content-length"]) == len(response.content)


async def test_a_root_path_goes_through_the_router(app: Any, db: Any, admin_token: str) -> None:
    transport = httpx.ASGITransport(app=app, root_path="/api")
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.post(
            "/api/graphql",
            json={"query": "{ __typename }"},
            headers={"authorization": f"Bearer {admin_token}"},
        )
    assert response.status_code == 200
    assert response.json()["data"] == {"__typename": "Query"}
    assert uuid.UUID(response.headers["x-request-id"])


async def test_other_paths_go_through_the_router(gql: Any) -> None:
    health = await gql.http.get("/healthz")
    assert health.status_code == 200 and uuid.UUID(health.headers["x-request-id"])
    assert (await gql.http.get("/graphql/nope")).status_code == 404
