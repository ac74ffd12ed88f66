"""The whole suite as a differential test: every request sent through `gql`, fast path on and off.

With the `differential_executors` fixture (autouse through tests/conftest.py, for every test
that uses `gql`, when the suite runs with the fast path on; `DIFFERENTIAL_EXECUTORS=0` turns
it off):
- a query (anything but a mutation) the app answers is sent again, as it was, to a second
  app made with the fast path off (`fast_path=False`: strawberry's execution, no rendering,
  no prepared reads, Starlette's router; its own engine, so statement counts are untouched;
  its own rate limiter, fed the same requests). Status and body must be the same (request
  ids aside);
- a mutation runs once, of course: after each root field the plan executor completed, the
  same resolver result is completed again by graphql-core (`ShadowExecutionContext`), and
  the two must agree (value and errors). The comparison is collected and checked when the
  test ends, so the test itself sees the app's normal response.
"""

from __future__ import annotations

import contextlib
import functools
import os
from collections.abc import AsyncIterator, Iterator
from typing import Any, ClassVar

import httpx
import pytest
from graphql import GraphQLError, OperationDefinitionNode, OperationType, parse
from graphql.execution.executor import CollectedErrors
from strawberry.extensions import parser_cache, validation_cache

from app.fast.executor import PlanExecutionContext
from app.fast.executor.plan import SelectionPlan
from app.fast.executor.run import Run, Slot
from app.main import create_app
from app.settings import Settings

ENABLED = os.environ.get("DIFFERENTIAL_EXECUTORS", "1") != "0"


class ShadowExecutionContext(PlanExecutionContext):
    """Completes each root field of a mutation a second time, the standard way, and compares."""

    mismatches: ClassVar[list[str]] = []
    compared: ClassVar[int] = 0

    async def _root_field_done(
        self, plan: SelectionPlan, field: Any, run: Run, root: Slot, errors_before: int
    ) -> None:
        outcome = run.root_outcomes.get(field.key)
        if outcome is None:  # its arguments failed: no resolver ran
            return
        planned = (
            None if run.data_null else root.out.get(field.key),
            [e.formatted for e in self.collected_errors.errors[errors_before:]],
            run.data_null,
        )
        saved = self.collected_errors
        self.collected_errors = CollectedErrors()
        try:
            try:
                value, failed = await self._complete_standard(plan, field, outcome), False
            except GraphQLError as error:
                self.collected_errors.add(error, None)
                value, failed = None, True
            standard = (value, [e.formatted for e in self.collected_errors.errors], failed)
        finally:
            self.collected_errors = saved
        type(self).compared += 1
        if planned != standard:
            type(self).mismatches.append(
                f"mutation field {field.key!r}:\n plan:     {planned!r}\n standard: {standard!r}"
            )


@contextlib.contextmanager
def _private_caches() -> Iterator[None]:
    """strawberry's parse and validation caches are module-level and shared by every schema:
    the second request of each pair uses caches of its own, so that the suite's own
    requests count their cache hits as if it were not there."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(parser_cache, "_get_parse_cache", _PRIVATE["_get_parse_cache"])
        patch.setattr(validation_cache, "_get_validate_cache", _PRIVATE["_get_validate_cache"])
        yield


_PRIVATE = {
    "_get_parse_cache": functools.cache(parser_cache._get_parse_cache.__wrapped__),
    "_get_validate_cache": functools.cache(validation_cache._get_validate_cache.__wrapped__),
}


def _is_mutation(document: str) -> bool:
    try:
        parsed = parse(document)
    except GraphQLError:
        return False
    return any(
        isinstance(d, OperationDefinitionNode) and d.operation != OperationType.QUERY
        for d in parsed.definitions
    )


def _without_request_ids(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_request_ids(v) for k, v in value.items() if k != "requestId"}
    if isinstance(value, list):
        return [_without_request_ids(v) for v in value]
    return value


def _body(response: httpx.Response) -> Any:
    try:
        return _without_request_ids(response.json())
    except ValueError:
        return response.text


@pytest.fixture(scope="session")
async def standard_app(settings: Settings, engine: Any) -> AsyncIterator[Any]:
    application = create_app(settings.model_copy(update={"fast_path": False}))
    yield application
    await application.state.engine.dispose()


@pytest.fixture(autouse=True)
def differential_executors(request: pytest.FixtureRequest) -> Iterator[None]:
    if not ENABLED or "gql" not in request.fixturenames:
        yield
        return
    from tests.conftest import GraphQLClient

    app = request.getfixturevalue("app")
    other = request.getfixturevalue("standard_app")
    schema = app.state.schema
    if schema.execution_context_class is not PlanExecutionContext:  # executor switched off
        yield
        return
    original_post = GraphQLClient.post
    differences: list[str] = []

    async def post(
        self: Any, query: str, variables: Any = None, *, token: Any = ..., **kw: Any
    ) -> Any:
        again = dict(kw, headers=dict(kw.get("headers", {})))
        response = await original_post(self, query, variables, token=token, **kw)
        if _is_mutation(query):
            return response
        transport = httpx.ASGITransport(app=other)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            with _private_caches():
                standard = await original_post(
                    GraphQLClient(http, self.default_token), query, variables, token=token, **again
                )
        ours = (response.status_code, _body(response))
        theirs = (standard.status_code, _body(standard))
        if ours != theirs:
            differences.append(
                f"{query}\nvariables: {variables}\n plan:     {ours}\n standard: {theirs}"
            )
        return response

    GraphQLClient.post = post  # type: ignore[method-assign]
    schema.execution_context_class = ShadowExecutionContext
    ShadowExecutionContext.mismatches = []
    try:
        yield
    finally:
        GraphQLClient.post = original_post  # type: ignore[method-assign]
        schema.execution_context_class = PlanExecutionContext
    problems = differences + ShadowExecutionContext.mismatches
    assert not problems, "plan and standard executors differ:\n" + "\n\n".join(problems)
