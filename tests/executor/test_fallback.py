"""What the plan executor leaves to graphql-core's standard executor, and the switch."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from app.fast import fast_schema
from app.fast.executor import PLANS, PlanExecutionContext
from app.graphql.schema import build_schema
from app.settings import Settings
from tests.executor.support import Executors, Stats


@pytest.mark.parametrize(
    "document",
    [
        "{ __schema { queryType { name } } }",
        '{ __type(name: "Coupon") { name fields { name } } }',
        "{ ...Intro } fragment Intro on Query { __schema { types { name } } }",
    ],
)
async def test_introspection_is_answered_by_the_standard_executor(
    executors: Executors, document: str
) -> None:
    stats = Stats()
    await executors.check(document)
    assert stats["standard"] == 1 and stats["planned"] == 0


async def test_a_resolve_extension_makes_every_request_standard(
    settings: Settings, executors: Executors
) -> None:
    class Shout(SchemaExtension):
        def resolve(self, _next: Any, root: Any, info: Any, *args: Any, **kwargs: Any) -> Any:
            return _next(root, info, *args, **kwargs)

    schema = fast_schema(settings, extra_extensions=(Shout,))
    stats = Stats()
    context = executors.context()
    try:
        result = await schema.execute("{ coupons(first: 1) { totalCount } }", context_value=context)
    finally:
        await context.db.close()
    assert not result.errors
    assert stats["standard"] == 1 and stats["planned"] == 0


def test_synchronous_execution_is_standard(executors: Executors) -> None:
    stats = Stats()
    result = executors.plan.execute_sync("{ __typename }")
    assert result.data == {"__typename": "Query"} and not result.errors
    assert stats["standard"] == 1 and stats["planned"] == 0


def test_the_setting_switches_the_executor(settings: Settings) -> None:
    assert Settings().plan_executor is True
    on = fast_schema(settings)
    off = fast_schema(settings.model_copy(update={"plan_executor": False}))
    assert on.execution_context_class is PlanExecutionContext
    assert off.execution_context_class is StrawberryGraphQLCoreExecutionContext
    assert build_schema(settings).execution_context_class is (StrawberryGraphQLCoreExecutionContext)


def test_the_setting_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISCOUNTS_PLAN_EXECUTOR", "false")
    assert Settings().plan_executor is False


@pytest.fixture
def forgiving() -> Iterator[None]:
    PlanExecutionContext.strict = False
    yield
    PlanExecutionContext.strict = True


async def test_a_planner_failure_is_answered_by_the_standard_executor(
    executors: Executors, monkeypatch: pytest.MonkeyPatch, forgiving: None, caplog: Any
) -> None:
    from app.fast.executor.run import Run

    def broken(*_args: Any) -> None:
        raise RuntimeError("planner bug")

    monkeypatch.setattr(Run, "plain", broken)
    stats = Stats()
    answer = await executors.check("{ coupons(first: 2) { nodes { name } } }")
    assert answer["data"]["coupons"]["nodes"]
    assert stats["replayed"] == 1
    assert "plan executor failed" in caplog.text


async def test_plans_are_compiled_once_per_document(executors: Executors) -> None:
    PLANS.clear()
    document = "query($s: Boolean!) { coupons(first: 1) { nodes { name @skip(if: $s) } } }"
    for skip in (True, False, True, False):
        await executors.check(document, {"s": skip})
    (entry,) = PLANS._entries.values()
    assert len(entry[2].variants) == 2  # one plan per value of the @skip variable
