"""The lean `execute` (app.fast.lean_schema) answers exactly as strawberry's own path.

The same requests run through a schema on the lean path and through one that a do-nothing
extension sends down strawberry's standard extension machinery; results (data, errors with
their locations, paths and extensions, the cost in `extensions`) and raised exceptions must
be the same.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from app.auth.principal import Principal
from app.db.session import RequestDatabase
from app.fast import fast_schema
from app.graphql.context import Context
from app.services import Services
from app.settings import Settings
from tests.http.conftest import ProbeQuery


class DoNothing(SchemaExtension):
    """Any extension besides the checks: the schema takes strawberry's standard path."""


QUERIES_ONLY = frozenset({OperationType.QUERY})

CASES: list[tuple[str, str | None, dict[str, Any] | None, str | None]] = [
    ("a list", "{ coupons(first: 2) { totalCount nodes { id name } } }", None, None),
    ("variables", "query Q($n: Int) { coupons(first: $n) { totalCount } }", {"n": 3}, None),
    ("default page", "query Q($n: Int) { coupons(first: $n) { totalCount } }", {}, None),
    ("no such record", '{ node(id: "Q291cG9uOjk5OTk=") { id } }', None, None),
    ("bad argument", '{ node(id: "nonsense") { id } }', None, None),
    ("too large a page", "{ coupons(first: 1001) { totalCount } }", None, None),
    ("validation", "{ coupons { nope } }", None, None),
    ("syntax", "{ coupons { ", None, None),
    ("tokens", "{ coupons { totalCount } " + "__typename " * 5000 + "}", None, None),
    (
        "depth",
        "{ coupons { nodes { codes { nodes { coupon { codes { nodes { coupon { codes "
        "{ nodes { coupon { site { name } } } } } } } } } } } } }",
        None,
        None,
    ),  # fmt: skip
    (
        "cost",
        "{ coupons(first: 1000) { nodes { codes(first: 1000) { nodes { code } } } } }",
        None,
        None,
    ),  # fmt: skip
    (
        "nul literal",
        '{ coupons(filter: {updatedBy: {eq: "a\\u0000"}}) { totalCount } }',
        None,
        None,
    ),  # fmt: skip
    (
        "nul variable",
        "query Q($s: String) { coupons(filter: {updatedBy: {eq: $s}}) { totalCount } }",
        {"s": "a\x00"},
        None,
    ),  # fmt: skip
    ("bad variable", "query Q($n: Int) { coupons(first: $n) { totalCount } }", {"n": "x"}, None),
    ("named operation", "query A { __typename } query B { coupons { totalCount } }", None, "B"),
    (
        "several operations, none named",
        "query A { __typename } query B { __typename }",
        None,
        None,
    ),  # fmt: skip
    (
        "fragments and variables",
        "query Q($id: ID!, $n: Int = 2, $codes: Boolean!) { node(id: $id) { ...C } "
        "coupons(first: $n) { nodes { ...C } } } "
        "fragment C on Coupon { id name codes(first: 1) @include(if: $codes) { totalCount } }",
        {"id": "Q291cG9uOjE=", "codes": True},
        "Q",
    ),  # fmt: skip
    (
        "a list and an input object in variables",
        "query Q($f: CouponFilter, $o: CouponOrder) "
        "{ coupons(first: 3, filter: $f, orderBy: $o) { totalCount nodes { name } } }",
        {
            "f": {"or": [{"name": {"eq": "x"}}, {"updatedBy": {"in": ["a", "b"]}}]},
            "o": {"field": "CREATED_AT", "direction": "DESC"},
        },
        None,
    ),  # fmt: skip
    ("a missing required variable", "query Q($id: ID!) { node(id: $id) { id } }", {}, None),
    (
        "a variable's default",
        "query Q($n: Int = 1) { coupons(first: $n) { nodes { id } } }",
        None,
        None,
    ),  # fmt: skip
    ("resolver failure", "{ boom }", None, None),
    ("typename", "{ __typename }", None, None),
    ("introspection", "{ __schema { queryType { name } } }", None, None),
    (
        "mutation",
        'mutation { deleteCoupon(id: "Q291cG9uOjk5OTk=") { userErrors { code } } }',
        None,
        None,
    ),  # fmt: skip
]

RAISING: list[tuple[str, str | None, str | None, Any]] = [
    ("empty document", "", None, None),
    ("no document", None, None, None),
    ("unknown operation", "query A { __typename }", "Nope", None),
    ("mutation where only queries are allowed", "mutation { __typename }", None, QUERIES_ONLY),
]


@pytest.fixture
def schemas(settings: Settings) -> tuple[Any, Any]:
    lean = fast_schema(settings, extra_query_types=(ProbeQuery,))
    standard = fast_schema(settings, extra_query_types=(ProbeQuery,), extra_extensions=(DoNothing,))
    assert lean._lean_checks is not None and standard._lean_checks is None
    return lean, standard


def _context(settings: Settings, engine: AsyncEngine) -> Context:
    return Context(
        settings=settings,
        principal=Principal.administrator("admin@example.com"),
        db=RequestDatabase(engine),
        services=Services(engine),
    )


def _comparable(result: Any) -> Any:
    return (
        result.data,
        [(e.formatted, type(e.original_error).__name__) for e in result.errors or ()],
        result.extensions,
    )


async def _run(schema: Any, settings: Settings, engine: AsyncEngine, *args: Any, **kw: Any) -> Any:
    context = _context(settings, engine)
    try:
        return await schema.execute(*args, context_value=context, **kw)
    finally:
        await context.db.close()


@pytest.mark.parametrize(
    ("name", "query", "variables", "operation"), CASES, ids=[c[0] for c in CASES]
)
async def test_the_lean_path_answers_as_strawberry_does(
    schemas: tuple[Any, Any],
    settings: Settings,
    db: AsyncEngine,
    name: str,
    query: str,
    variables: dict[str, Any] | None,
    operation: str | None,
) -> None:
    answers = [
        _comparable(
            await _run(
                schema, settings, db, query, variable_values=variables, operation_name=operation
            )
        )
        for schema in schemas
    ]
    assert answers[0] == answers[1]
    # twice: the second time the lean schema's document cache answers
    again = await _run(schemas[0], settings, db, query, variable_values=variables,
                       operation_name=operation)  # fmt: skip
    assert _comparable(again) == answers[1]


@pytest.mark.parametrize(("name", "query", "operation", "allowed"), RAISING,
                         ids=[c[0] for c in RAISING])  # fmt: skip
async def test_the_lean_path_raises_as_strawberry_does(
    schemas: tuple[Any, Any],
    settings: Settings,
    db: AsyncEngine,
    name: str,
    query: str | None,
    operation: str | None,
    allowed: Any,
) -> None:
    raised = []
    for schema in schemas:
        with pytest.raises(Exception) as caught:
            await _run(
                schema, settings, db, query, operation_name=operation,
                allowed_operation_types=allowed,
            )  # fmt: skip
        raised.append((type(caught.value), str(caught.value)))
    assert raised[0] == raised[1]


async def test_the_lean_path_executes_with_the_checks_coerced_variables(
    schemas: tuple[Any, Any], settings: Settings, db: AsyncEngine, monkeypatch: Any
) -> None:
    """The variables are coerced once (by the cost check) and the executor is made from them:
    graphql-core's `execute`, which would coerce them again, is not called."""
    import app.fast.lean_schema as lean_schema

    def refuse(*_args: Any, **_kw: Any) -> Any:
        raise AssertionError("graphql-core's execute was called")

    monkeypatch.setattr(lean_schema, "graphql_execute", refuse)
    monkeypatch.setattr(schemas[0], "_get_execute_function", lambda: refuse)
    query = "query Q($n: Int) { coupons(first: $n) { totalCount } }"
    result = await _run(schemas[0], settings, db, query, variable_values={"n": 1.0})
    assert result.errors is None and result.data is not None
