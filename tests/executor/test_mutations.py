"""Mutations: root fields one after the other, each payload completed breadth-first.

A mutation cannot run twice on the same data, so each root field's result is completed a
second time by graphql-core, right after the plan executor completed it and before the next
root field runs (`ShadowExecutionContext`), and the two must agree.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.executor.shadow import ShadowExecutionContext
from tests.executor.support import Executors, Stats, normalize

PAYLOAD = """coupon { name terms { active disabledAt } site { name organisation { name } }
  codes(first: 3) { totalCount nodes { code coupon { name } } } }
  userErrors { field code message }"""


@pytest.fixture
def shadowed(executors: Executors) -> Iterator[Any]:
    schema = executors.plan
    schema.execution_context_class = ShadowExecutionContext
    ShadowExecutionContext.mismatches = []
    compared = ShadowExecutionContext.compared
    yield schema
    from app.fast.executor import PlanExecutionContext

    schema.execution_context_class = PlanExecutionContext
    assert ShadowExecutionContext.compared > compared
    assert not ShadowExecutionContext.mismatches, "\n".join(ShadowExecutionContext.mismatches)


async def _execute(
    executors: Executors, schema: Any, document: str, variables: Any
) -> dict[str, Any]:
    context = executors.context()
    try:
        result = await schema.execute(document, variable_values=variables, context_value=context)
        return normalize(result)
    finally:
        await context.db.close()


async def test_root_fields_run_in_order_and_see_each_others_writes(
    executors: Executors, shadowed: Any, demo: dict[str, list[str]]
) -> None:
    stats = Stats()
    response = await _execute(
        executors, shadowed,
        f"""mutation($id: ID!) {{ off: disableCoupon(id: $id) {{ {PAYLOAD} }}
              on: enableCoupon(id: $id) {{ {PAYLOAD} }}
              again: disableCoupon(id: $id) {{ coupon {{ terms {{ active }} }} }} }}""",
        {"id": demo["Coupon"][0]},
    )  # fmt: skip
    assert not response["errors"], response
    data = response["data"]
    assert data["off"]["coupon"]["terms"]["active"] is False
    assert data["on"]["coupon"]["terms"]["active"] is True
    assert data["again"]["coupon"]["terms"]["active"] is False
    assert list(data) == ["off", "on", "again"]
    assert stats["planned"] == 1 and stats["replayed"] == 0


async def test_competing_errors_in_a_payload_are_completed_by_graphql_core(
    executors: Executors, shadowed: Any, demo: dict[str, list[str]]
) -> None:
    stats = Stats()
    response = await _execute(
        executors, shadowed,
        """mutation($id: ID!) { disableCoupon(id: $id) { coupon { name
              a: codes(first: -1) { totalCount } b: redemptions(last: -1) { totalCount } } }
            enableCoupon(id: $id) { coupon { name } } }""",
        {"id": demo["Coupon"][1]},
    )  # fmt: skip
    assert response["errors"]
    assert response["data"]["disableCoupon"]["coupon"] is None
    assert response["data"]["enableCoupon"]["coupon"]["name"]  # ran after the first one failed
    assert stats["replayed"] == 1


async def test_a_single_error_in_a_payload_stays_with_the_plan_executor(
    executors: Executors, shadowed: Any, demo: dict[str, list[str]]
) -> None:
    stats = Stats()
    response = await _execute(
        executors, shadowed,
        """mutation($id: ID!) { disableCoupon(id: $id) {
              coupon { name codes(first: -1) { totalCount } } userErrors { code } } }""",
        {"id": demo["Coupon"][2]},
    )  # fmt: skip
    (error,) = response["errors"]
    assert error["path"] == ["disableCoupon", "coupon", "codes"]
    assert stats["replayed"] == 0
