"""GraphQL over HTTP: methods, media types and status codes (policy in app.http.responses)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from app.settings import Settings
from tests.conftest import token
from tests.http.conftest import GRAPHQL_RESPONSE_JSON, accept, error_codes, probe_client

JSON = "application/json"


def media_type(response: httpx.Response) -> str:
    return response.headers["content-type"].split(";")[0]


@pytest.mark.parametrize(
    ("accept_header", "expected"),
    [
        (None, JSON),
        ("*/*", JSON),
        (JSON, JSON),
        (GRAPHQL_RESPONSE_JSON, GRAPHQL_RESPONSE_JSON),
        (f"{GRAPHQL_RESPONSE_JSON}; charset=utf-8, {JSON}; charset=utf-8", GRAPHQL_RESPONSE_JSON),
        (f"{JSON}, {GRAPHQL_RESPONSE_JSON}", JSON),
        (f"{JSON};q=0.5, {GRAPHQL_RESPONSE_JSON}", GRAPHQL_RESPONSE_JSON),
        ("text/html, application/*;q=0.1", JSON),
    ],
)
async def test_the_response_media_type_follows_accept(
    gql: Any, accept_header: str | None, expected: str
) -> None:
    headers = {} if accept_header is None else accept(accept_header)
    response = await gql.http.post("/graphql", json={"query": "{ __typename }"}, headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"] == f"{expected}; charset=utf-8"
    assert response.json()["data"] == {"__typename": "Query"}


async def test_nothing_acceptable_is_406(gql: Any) -> None:
    response = await gql.post("{ __typename }", headers=accept("text/csv, application/xml"))
    assert response.status_code == 406
    assert error_codes(response) == ["NOT_ACCEPTABLE"]


REQUEST_ERRORS = {
    "parse": ({"query": "{"}, None),
    "validation": ({"query": "{ nope }"}, None),
    "variables": ({"query": "query Q($id: ID!) { node(id: $id) { id } }", "variables": {}}, None),
    "unknown operation": ({"query": "query A { __typename }", "operationName": "B"}, None),
    "several operations, none named": (
        {"query": "query A { __typename } query B { __typename }"},
        "operationName: the document has several operations; name the one to run.",
    ),
    "no operation": (
        {"query": "fragment F on Query { __typename }"},
        "query: the document has no operation to run.",
    ),
}


@pytest.mark.parametrize("case", REQUEST_ERRORS, ids=list(REQUEST_ERRORS))
async def test_request_errors_are_400_without_data_in_graphql_response_json(
    gql: Any, case: str
) -> None:
    body, _ = REQUEST_ERRORS[case]
    response = await gql.http.post("/graphql", json=body, headers=accept(GRAPHQL_RESPONSE_JSON))
    assert response.status_code == 400
    assert media_type(response) == GRAPHQL_RESPONSE_JSON
    assert "data" not in response.json() and response.json()["errors"]


@pytest.mark.parametrize("case", [c for c, (_, m) in REQUEST_ERRORS.items() if m])
async def test_request_errors_say_what_is_wrong(gql: Any, case: str) -> None:
    body, message = REQUEST_ERRORS[case]
    response = await gql.http.post("/graphql", json=body, headers=accept(GRAPHQL_RESPONSE_JSON))
    assert [error["message"] for error in response.json()["errors"]] == [message]


@pytest.mark.parametrize("case", REQUEST_ERRORS, ids=list(REQUEST_ERRORS))
async def test_request_errors_are_200_in_legacy_json(gql: Any, case: str) -> None:
    body, _ = REQUEST_ERRORS[case]
    response = await gql.http.post("/graphql", json=body, headers=accept(JSON))
    assert response.status_code == 200
    assert media_type(response) == JSON
    assert response.json()["errors"]


async def test_an_anonymous_refusal_is_401_with_a_bearer_challenge(gql: Any) -> None:
    # given no token, and a query that only asks for records
    response = await gql.post(
        "{ coupons { totalCount } }", token=None, headers=accept(GRAPHQL_RESPONSE_JSON)
    )
    # then the whole request is refused: 401, a Bearer challenge, no data entry
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert "data" not in response.json()
    assert error_codes(response) == ["UNAUTHENTICATED"]


async def test_a_refused_token_gets_an_invalid_token_challenge(gql: Any) -> None:
    response = await gql.post(
        "{ coupons { totalCount } }", token="not-a-jwt", headers=accept(GRAPHQL_RESPONSE_JSON)
    )
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'


async def test_a_missing_role_is_403(gql: Any) -> None:
    response = await gql.post(
        "{ coupons { totalCount } }",
        token=token(subject="nobody@example.com"),
        headers=accept(GRAPHQL_RESPONSE_JSON),
    )
    assert response.status_code == 403
    assert error_codes(response) == ["FORBIDDEN"]


async def test_a_partial_answer_stays_200_with_its_data(gql: Any) -> None:
    response = await gql.post(
        '{ __typename coupon(id: "Q291cG9uOjE=") { id } }',
        token=None,
        headers=accept(GRAPHQL_RESPONSE_JSON),
    )
    assert response.status_code == 200
    assert response.json()["data"] == {"__typename": "Query", "coupon": None}
    assert error_codes(response) == ["UNAUTHENTICATED"]


async def test_refusals_stay_200_in_legacy_json(gql: Any) -> None:
    response = await gql.post("{ coupons { totalCount } }", token=None, headers=accept(JSON))
    assert response.status_code == 200
    assert response.json()["data"] is None
    assert "www-authenticate" not in response.headers


async def test_get_runs_queries(gql: Any) -> None:
    response = await gql.http.get(
        "/graphql",
        params={
            "query": "query T($name: String!) { __type(name: $name) { name } }",
            "variables": '{"name": "Coupon"}',
        },
        headers=accept(GRAPHQL_RESPONSE_JSON),
    )
    assert response.status_code == 200
    assert response.json()["data"] == {"__type": {"name": "Coupon"}}


@pytest.mark.parametrize("accept_header", [GRAPHQL_RESPONSE_JSON, JSON])
async def test_a_mutation_over_get_is_405(gql: Any, accept_header: str) -> None:
    response = await gql.http.get(
        "/graphql", params={"query": "mutation { __typename }"}, headers=accept(accept_header)
    )
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"


async def test_graphiql_answers_a_browser_in_demo_mode(gql: Any) -> None:
    response = await gql.http.get("/graphql", headers=accept("text/html,*/*;q=0.8"))
    assert response.status_code == 200
    assert "<html" in response.text.lower() and "graphiql" in response.text.lower()


@pytest.mark.parametrize(
    ("headers", "content"),
    [({}, b'{"query": "{ __typename }"}'), ({"content-type": "text/plain"}, b"{ __typename }")],
    ids=["no content type", "text/plain"],
)
async def test_a_post_that_is_not_json_is_415(
    gql: Any, headers: dict[str, str], content: bytes
) -> None:
    response = await gql.http.post("/graphql", content=content, headers=headers)
    assert response.status_code == 415
    assert error_codes(response) == ["UNSUPPORTED_MEDIA_TYPE"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The request body is empty: send a JSON object with a query."),
        (b'{"query": ', "The request body is not valid JSON."),
        (b'{"qeury": "{ __typename }"}', "query: a GraphQL document (a string) is required."),
        (
            b'{"query": "{ __typename }", "variables": [1]}',
            "variables: must be a JSON object or null.",
        ),
    ],
)
async def test_a_malformed_body_is_400(gql: Any, content: bytes, message: str) -> None:
    response = await gql.http.post(
        "/graphql",
        content=content,
        headers={"content-type": JSON, "accept": GRAPHQL_RESPONSE_JSON},
    )
    assert response.status_code == 400
    assert response.json() == {
        "errors": [{"message": message, "extensions": {"code": "BAD_REQUEST"}}]
    }


async def test_batching_is_refused(gql: Any) -> None:
    response = await gql.http.post("/graphql", json=[{"query": "{ __typename }"}] * 2)
    assert response.status_code == 400
    assert error_codes(response) == ["BATCHING_NOT_SUPPORTED"]


async def test_a_body_over_the_size_limit_is_413(gql: Any, app: Any) -> None:
    limit = app.state.settings.max_body_bytes
    padding = " " * limit
    response = await gql.http.post(
        "/graphql",
        content=f'{{"query": "{{ __typename }}"{padding}}}'.encode(),
        headers={"content-type": JSON},
    )
    assert response.status_code == 413
    assert media_type(response) == JSON
    assert error_codes(response) == ["REQUEST_TOO_LARGE"]


async def test_a_streamed_body_over_the_size_limit_is_413(gql: Any, app: Any) -> None:
    limit = app.state.settings.max_body_bytes

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: chunked
        yield b'{"query": "{ __typename }"'
        for _ in range(limit // 65536 + 2):
            yield b" " * 65536
        yield b"}"

    response = await gql.http.post("/graphql", content=chunks(), headers={"content-type": JSON})
    assert response.status_code == 413


async def test_the_time_limit_answers_timeout(settings: Settings) -> None:
    async with probe_client(settings, request_timeout_seconds=0.2) as client:
        modern = await client.post(
            "/graphql", json={"query": "{ slow }"}, headers=accept(GRAPHQL_RESPONSE_JSON)
        )
        legacy = await client.post("/graphql", json={"query": "{ slow }"}, headers=accept(JSON))
    assert modern.status_code == 504
    assert "data" not in modern.json()
    assert modern.json()["errors"] == [
        {
            "message": "The request took longer than 0.2 s and was stopped.",
            "extensions": {"code": "TIMEOUT"},
        }
    ]
    assert legacy.status_code == 200
    assert error_codes(legacy) == ["TIMEOUT"]


async def test_rate_limited_is_429_with_retry_after(probe: httpx.AsyncClient) -> None:
    response = await probe.post(
        "/graphql", json={"query": "{ guessing }"}, headers=accept(GRAPHQL_RESPONSE_JSON)
    )
    assert response.status_code == 429
    assert response.headers["retry-after"] == "13"
    assert response.json()["errors"][0]["extensions"] == {"code": "RATE_LIMITED", "retryAfter": 13}
