"""Unexpected errors are masked and logged with the request id; expected ones keep their words."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from graphql import GraphQLError, parse
from strawberry.extensions import SchemaExtension

from app.graphql.errors import BadInput
from app.http.masking import is_expected
from app.main import create_app
from app.settings import Settings
from tests.http.conftest import GRAPHQL_RESPONSE_JSON, LEAKY_MESSAGE, accept


def assert_leaks_nothing(text: str) -> None:
    for secret in ("SELECT", "Traceback", "RuntimeError", "/work", ".py", LEAKY_MESSAGE):
        assert secret not in text


async def test_an_unexpected_error_is_masked(
    probe: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    # given a resolver that fails with SQL and a file path in its message
    with caplog.at_level(logging.ERROR, logger="app.http.masking"):
        # when it is asked for next to a field that works
        response = await probe.post("/graphql", json={"query": "{ __typename boom }"})
    # then the caller sees a masked error carrying the request id (boom is non-null: no data)
    request_id = response.headers["x-request-id"]
    body = response.json()
    assert response.status_code == 200
    assert body["errors"] == [
        {
            "message": "Internal server error",
            "path": ["boom"],
            "extensions": {"code": "INTERNAL_SERVER_ERROR", "requestId": request_id},
        }
    ]
    assert body["data"] is None
    assert_leaks_nothing(response.text)
    # and the log has the original error, its traceback and the request id
    (record,) = [r for r in caplog.records if r.name == "app.http.masking"]
    assert request_id in record.getMessage()
    assert record.exc_info is not None and str(record.exc_info[1]) == LEAKY_MESSAGE


async def test_a_database_lost_mid_answer_drops_what_was_read(probe: httpx.AsyncClient) -> None:
    # given a field that was answered and one whose read lost the database
    response = await probe.post("/graphql", json={"query": "{ __typename lost }"})
    # then nothing of the answer is sent: a 503 to try again, as when nothing could be read
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    body = response.json()
    assert [error["extensions"]["code"] for error in body["errors"]] == ["SERVICE_UNAVAILABLE"]
    assert body.get("data") is None


class FailingBeforeExecution(SchemaExtension):
    def on_execute(self) -> Iterator[None]:
        raise RuntimeError(LEAKY_MESSAGE)
        yield  # pragma: no cover


async def test_a_failure_before_execution_is_masked_as_a_server_error(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(settings, extra_extensions=(FailingBeforeExecution,))
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            with caplog.at_level(logging.ERROR, logger="app.http.masking"):
                response = await client.post(
                    "/graphql",
                    json={"query": "{ __typename }"},
                    headers=accept(GRAPHQL_RESPONSE_JSON),
                )
    finally:
        await app.state.engine.dispose()
    assert response.status_code == 500
    assert response.json()["errors"][0]["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert "data" not in response.json()
    assert_leaks_nothing(response.text)
    assert caplog.records


async def test_expected_errors_keep_their_messages(gql: Any) -> None:
    errors = await gql.errors('{ node(id: "nonsense") { id } }')
    assert errors[0]["message"] == "id: 'nonsense' is not a global id"
    assert errors[0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "id"}


async def test_validation_errors_keep_their_messages(gql: Any) -> None:
    errors = await gql.errors("{ coupons { nope } }")
    assert errors[0]["message"].startswith("Cannot query field 'nope' on type 'CouponConnection'.")


def test_what_counts_as_expected() -> None:
    variable = parse("query Q($x: Int) { __typename }").definitions[0].variable_definitions[0]  # type: ignore[attr-defined]
    # made by graphql-core itself, or raised on purpose with a code
    assert is_expected(GraphQLError("Cannot query field 'x' on type 'Query'."))
    assert is_expected(GraphQLError("bad", original_error=BadInput("first: too big")))
    assert is_expected(
        GraphQLError("x", original_error=GraphQLError("y", extensions={"code": "C"}))
    )
    # the caller's value refused while variables are coerced, by graphql-core or a scalar
    assert is_expected(
        GraphQLError("Variable '$x' got invalid value", variable, original_error=ValueError("bad"))
    )
    assert is_expected(
        GraphQLError("Variable '$x' of required type", variable, original_error=GraphQLError("n"))
    )
    # anything else
    assert not is_expected(GraphQLError("boom", original_error=RuntimeError("boom")))
    assert not is_expected(GraphQLError("y", original_error=GraphQLError("no code")))
    assert not is_expected(
        GraphQLError("x", variable, path=["a"], original_error=ValueError("in a resolver"))
    )


async def test_every_response_carries_a_request_id(gql: Any) -> None:
    response = await gql.post("{ __typename }")
    assert uuid.UUID(response.headers["x-request-id"])
    health = await gql.http.get("/healthz")
    assert uuid.UUID(health.headers["x-request-id"])


async def test_a_sane_incoming_request_id_is_kept(gql: Any) -> None:
    response = await gql.post("{ __typename }", headers={"x-request-id": "edge-7f3a:42"})
    assert response.headers["x-request-id"] == "edge-7f3a:42"


@pytest.mark.parametrize("incoming", ["x" * 200, "<script>", "a b", "-leading-dash"])
async def test_an_odd_incoming_request_id_is_replaced(gql: Any, incoming: str) -> None:
    response = await gql.post("{ __typename }", headers={"x-request-id": incoming})
    assert uuid.UUID(response.headers["x-request-id"])
