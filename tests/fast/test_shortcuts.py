"""The shortcuts before the lean path (app.fast.lean_schema.Shortcut): asked in MRO order,
each answering or declining, then the lean path.

The differential tests of each shortcut (test_checkout_requests, test_planned_requests) check
what they answer; this checks the one `execute` that asks them: its order, what a refusal to
take a request or a declined one leads to, and the counts.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any, ClassVar

from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType

from app.fast import FastSchema, fast_schema
from app.fast.checkout_requests import CheckoutSchema
from app.fast.lean_schema import LeanSchema, Shortcut, shortcuts_of
from app.fast.lookups import LookupSchema
from app.fast.planned_requests import PlannedSchema
from app.graphql.quiet_schema import QuietSchema
from app.graphql.schema import build_schema
from app.settings import Settings


class Declined(Exception):
    pass


class First(LeanSchema):
    counts: ClassVar[Counter[str]] = Counter()
    shortcut = Shortcut(
        find="first_plan", answer="first_answer", declined=Declined, counts=counts,
        answered="yes", fell_back="no", takes=lambda allowed: allowed is not None,
    )  # fmt: skip

    def first_plan(self, query: str | None, operation_name: str | None) -> Any:
        return None if query == "none" else query

    async def first_answer(self, plan: Any, *request: Any) -> ExecutionResult:
        if plan == "decline":
            raise Declined
        return ExecutionResult(data={"by": "first"}, errors=None)


class Second(LeanSchema):
    counts: ClassVar[Counter[str]] = Counter()
    shortcut = Shortcut(
        find="second_plan", answer="second_answer", declined=Declined, counts=counts,
        answered="yes", fell_back="no", takes=lambda allowed: True,
    )  # fmt: skip

    def second_plan(self, query: str | None, operation_name: str | None) -> Any:
        return query

    async def second_answer(self, plan: Any, *request: Any) -> ExecutionResult:
        if plan == "decline" and request[-2] is not None:  # allowed_operation_types
            raise Declined
        return ExecutionResult(data={"by": "second", "root": request[3]}, errors=None)


class Both(First, Second, QuietSchema):
    pass


async def _execute(
    schema: Both, query: str, allowed: Iterable[OperationType] | None = None
) -> ExecutionResult:
    return await schema.execute(query, allowed_operation_types=allowed)


def _both(settings: Settings) -> Both:
    return build_schema(settings, schema_class=Both)  # type: ignore[return-value]


async def test_the_first_in_the_mro_is_asked_first(settings: Settings) -> None:
    schema = _both(settings)
    assert [shortcut for _, _, shortcut in shortcuts_of(schema)] == [
        First.shortcut,
        Second.shortcut,
    ]
    before = First.counts["yes"], Second.counts["yes"]
    result = await _execute(schema, "take", {OperationType.QUERY})
    assert result.data == {"by": "first"}
    assert (First.counts["yes"], Second.counts["yes"]) == (before[0] + 1, before[1])


async def test_a_request_one_does_not_take_goes_to_the_next(settings: Settings) -> None:
    schema = _both(settings)
    result = await _execute(schema, "take", None)  # First takes only a given set of types
    assert result.data == {"by": "second", "root": None}


async def test_a_declined_request_is_counted_and_goes_on(settings: Settings) -> None:
    schema = _both(settings)
    before = First.counts["no"], Second.counts["no"]
    # declined by both: the lean path answers (a document that does not parse)
    result = await _execute(schema, "decline", {OperationType.QUERY})
    assert result.data is None and result.errors
    assert (First.counts["no"], Second.counts["no"]) == (before[0] + 1, before[1] + 1)


async def test_no_plan_is_not_counted(settings: Settings) -> None:
    schema = _both(settings)
    before = First.counts.copy()
    result = await _execute(schema, "none", {OperationType.QUERY})
    assert result.data == {"by": "second", "root": None}
    assert First.counts == before


def test_the_service_asks_the_checkout_the_lookups_then_the_plain_variables(
    settings: Settings,
) -> None:
    schema = fast_schema(settings)
    assert isinstance(schema, FastSchema)
    assert [shortcut for _, _, shortcut in shortcuts_of(schema)] == [
        CheckoutSchema.shortcut,
        LookupSchema.shortcut,
        PlannedSchema.shortcut,
    ]
    assert schema._shortcuts == shortcuts_of(schema)
