"""Queries of plain variables without strawberry's per-request setup: the small documents.

A client sends the same small query over and over (a record by id, a `node(id:)` refetch, a
page after a cursor), its variables a few IDs, strings, ints and booleans. On the lean path
(`app.fast.lean_schema`) each request still makes strawberry's execution context and the
checks' extension, coerces its variables through graphql-core (variable signatures found
again, every value coerced by its type), prices the operation and wraps the result through
strawberry's extension runner: together about a tenth of the server's CPU time of such a
request, for answers that depend on the document alone.

Here, once per document text and operation name, the document is taken from the schema's
document cache, validated by the same rules (`app.graphql.limits`) and recognised (`QueryPlan.of`):
one query operation (found by its name as graphql-core finds it), no NUL in its literals, no
directives on it, each variable declared as `ID`, `String`, `Int` or `Boolean` (nullable or
not) without a default. Its variables' signatures are found then. Each request:

1. a query must be allowed (it always is: GET and POST both take queries);
2. the variables are read strictly (`_read_variables`): only values graphql-core takes as
   they are (a `str` for ID and String, a 32-bit `int` that is not a `bool` for Int, a
   `bool` for Boolean, null where nullable, absent where nullable), and no variable the
   operation does not declare; anything else, which the plain path may coerce or refuse,
   goes down the plain path;
3. the limits' checks before execution, as `QueryChecks.check_before_execution` runs them:
   the cost (priced once per values of the variables that arguments read, as the prepared
   document remembers it), a NUL in a variable's value; a refusal goes down the plain path,
   which answers it;
4. the executor is made as the lean path makes it (`LeanSchema._build_executor`) and runs;
5. the result is strawberry's `ExecutionResult` with the checks' `extensions` (the cost);
   with errors, or an exception, it is made by strawberry's own `_handle_execution_result`
   from an execution context, as the lean path does.

The endpoint (deadlines, masking, request ids, persisted queries, status codes) treats the
result as any other. tests/fast/test_planned_requests.py sends the same requests through
both paths and requires byte-identical responses.
"""

from __future__ import annotations

from collections import Counter, OrderedDict
from collections.abc import Iterable
from typing import Any, ClassVar, Final

from graphql import (
    ExecutionResult as GraphQLExecutionResult,
)
from graphql import (
    GraphQLBoolean,
    GraphQLID,
    GraphQLInt,
    GraphQLNonNull,
    GraphQLSchema,
    GraphQLString,
    OperationDefinitionNode,
    type_from_ast,
)
from graphql import execute as graphql_execute
from graphql.execution.get_variable_signature import get_variable_signature
from graphql.execution.values import VariableValues, VariableValueSource
from strawberry.extensions.runner import SchemaExtensionsRunner
from strawberry.types import ExecutionResult
from strawberry.types.execution import PreExecutionError
from strawberry.types.graphql import OperationType
from strawberry.utils.await_maybe import await_maybe

from app.fast.lean_schema import LeanSchema, Shortcut, _single_result
from app.graphql.limits.cost import price
from app.graphql.limits.prepared import PreparedDocument, QueryChecksFactory, argument_variables
from app.graphql.limits.text import variables_error

try:  # internals of the pinned strawberry (as app.fast.lean_schema)
    from strawberry.schema.schema import DEFAULT_ALLOWED_OPERATION_TYPES, _coerce_error
except ImportError:  # pragma: no cover - another strawberry version: LeanSchema's check fails
    _coerce_error = None  # type: ignore[assignment]

MAX_PLANS: Final = 256
MAX_COSTS: Final = 256  # values of the argument variables whose cost a plan remembers
MAX_QUERY_CHARS: Final = 64 * 1024
_INT_MIN, _INT_MAX = -(2**31), 2**31 - 1
_STRING, _INT, _BOOLEAN = 0, 1, 2
# graphql-core's own scalars (strawberry's ID and String are these objects): an ID is
# coerced from a str as a String is.
_KINDS: Final[dict[Any, int]] = {
    GraphQLString: _STRING,
    GraphQLID: _STRING,
    GraphQLInt: _INT,
    GraphQLBoolean: _BOOLEAN,
}


class NotPlanned(Exception):
    """The request (or document) is not one this path answers: the lean path does."""


_NOT_PLANNED: Final = NotPlanned()


class QueryPlan:
    """One query document of plain variables, recognised (see the module docstring)."""

    __slots__ = ("_costs", "_texts", "arguments", "name", "node", "prepared", "variables")

    def __init__(
        self,
        prepared: PreparedDocument,
        name: str | None,
        node: OperationDefinitionNode,
        variables: tuple[tuple[str, int, bool, Any], ...],
        arguments: tuple[str, ...],
    ) -> None:
        self.prepared = prepared
        self.name = name
        self.node = node
        # (name, kind, non-null, graphql-core's signature) per declared variable
        self.variables = variables
        # the variables read by arguments: what the cost can depend on
        self.arguments = arguments
        # Of those, the IDs and Strings: the cost counts their values (a filter's term, an
        # item of a list of one) but never reads them, so it depends only on whether one is
        # given, null or absent (an absent one leaves the argument's default): a lookup by
        # id is priced once, not once per id.
        self._texts = frozenset(
            name for name, kind, _non_null, _signature in variables if kind == _STRING
        )
        self._costs: dict[tuple[Any, ...], int] = {}

    @classmethod
    def of(
        cls,
        schema: GraphQLSchema,
        factory: QueryChecksFactory,
        prepared: PreparedDocument,
        name: str | None,
    ) -> QueryPlan:
        if prepared.validation_errors(schema, factory.rules_after_specified, factory.specified_key):
            raise NotPlanned("invalid")
        if prepared.nul_literal() is not None:
            raise NotPlanned("a NUL in a literal")
        found = prepared.operation(name)
        if found is None:
            raise NotPlanned("no such operation")
        operation_name, operation_type = found
        node = prepared.operation_node(operation_name)
        if (
            operation_type is not OperationType.QUERY
            or node is None
            or node.directives
            or prepared.fragments(schema) is None
        ):
            raise NotPlanned("not a plain query")
        variables = []
        for definition in node.variable_definitions or ():
            if definition.default_value is not None or definition.directives:
                raise NotPlanned("a default or a directive on a variable")
            type_ = type_from_ast(schema, definition.type)
            non_null = isinstance(type_, GraphQLNonNull)
            inner = type_.of_type if isinstance(type_, GraphQLNonNull) else type_
            kind = _KINDS.get(inner)
            if kind is None:
                raise NotPlanned("a variable of another type")
            signature = get_variable_signature(schema, definition)
            if not isinstance(signature, tuple):  # graphql-core's error: never for these types
                raise NotPlanned("a variable's signature")
            variables.append((definition.variable.name.value, kind, non_null, signature))
        arguments = argument_variables(prepared.document)
        return cls(prepared, operation_name, node, tuple(variables), arguments)

    def read_variables(self, given: dict[str, Any] | None) -> VariableValues:
        """What graphql-core's `get_variable_values` makes of `given`, for the values it takes
        as they are; `NotPlanned` for any other."""
        sources: dict[str, VariableValueSource] = {}
        coerced: dict[str, Any] = {}
        if given is None:
            given = {}
        elif type(given) is not dict:
            raise _NOT_PLANNED
        declared = self.variables
        if len(given) > len(declared):
            raise _NOT_PLANNED
        seen = 0
        for name, kind, non_null, signature in declared:
            if name not in given:
                if non_null:
                    raise _NOT_PLANNED
                sources[name] = VariableValueSource(signature)
                continue
            seen += 1
            value = given[name]
            sources[name] = VariableValueSource(signature, value)
            if value is None:
                if non_null:
                    raise _NOT_PLANNED
            elif kind == _STRING:
                if type(value) is not str:
                    raise _NOT_PLANNED
            elif kind == _INT:
                if type(value) is not int or not _INT_MIN <= value <= _INT_MAX:
                    raise _NOT_PLANNED
            elif type(value) is not bool:
                raise _NOT_PLANNED
            coerced[name] = value
        if seen != len(given):  # a variable the operation does not declare
            raise _NOT_PLANNED
        return VariableValues(sources, coerced)

    def cost(
        self, schema: GraphQLSchema, variables: VariableValues, default_page_size: int, inputs: Any
    ) -> int:
        """The operation's cost with these variables, as `PreparedDocument.cost_and_variables`
        prices it (its own cache is the prepared document's, keyed the same way)."""
        coerced = variables.coerced
        texts = self._texts
        key = (
            self.name,
            *(
                _text_shape(coerced.get(name, _ABSENT))
                if name in texts
                else coerced.get(name, _ABSENT)
                for name in self.arguments
            ),
        )
        cost = self._costs.get(key)
        if cost is None:
            try:
                cost = price(
                    schema, self.prepared.document, self.node, variables, default_page_size, inputs
                )
            except Exception:  # a refusal (a list over the limits): the plain path words it
                raise _NOT_PLANNED from None
            if len(self._costs) >= MAX_COSTS:
                self._costs.clear()
            self._costs[key] = cost
        return cost


_ABSENT: Final = object()
_GIVEN: Final = object()


def _text_shape(value: Any) -> Any:
    """What the cost can see of an ID or String variable's value (see `QueryPlan._texts`)."""
    return value if value is None or value is _ABSENT else _GIVEN


def takes_queries(allowed: Iterable[OperationType] | None) -> bool:
    """A query must be allowed (it always is: GET and POST both take queries)."""
    return allowed is None or OperationType.QUERY in allowed


class PlannedSchema(LeanSchema):
    """A schema whose `execute` answers plain-variable queries without strawberry's
    per-request setup (the module docstring), every other request through `LeanSchema`
    (its `shortcut`, which `LeanSchema.execute` asks)."""

    # Requests answered here, and recognised documents left to the lean path (tests).
    planned_stats: ClassVar[Counter[str]] = Counter()
    shortcut = Shortcut(
        find="query_plan",
        answer="_execute_planned",
        declined=NotPlanned,
        counts=planned_stats,
        answered="planned",
        fell_back="lean",
        takes=takes_queries,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._query_plans: OrderedDict[tuple[str, str | None], QueryPlan | None] = OrderedDict()

    def query_plan(self, query: str | None, operation_name: str | None) -> QueryPlan | None:
        factory = self._lean_checks
        if (
            factory is None
            or query is None
            or not self._direct
            or self._get_execute_function() is not graphql_execute
        ):
            return None
        key = (query, operation_name)
        plans = self._query_plans
        plan = plans.get(key, _ABSENT)
        if plan is not _ABSENT:
            return plan  # type: ignore[return-value]
        # Looked at without counting a hit: a document first seen here is parsed (and
        # counted) by the lean path, and planned on its next request.
        prepared = factory.cache._entries.get(query)
        if prepared is None:
            return None
        try:
            made: QueryPlan | None = QueryPlan.of(self._schema, factory, prepared, operation_name)
        except NotPlanned:
            made = None
        if len(query) <= MAX_QUERY_CHARS:
            plans[key] = made
            while len(plans) > MAX_PLANS:
                plans.popitem(last=False)
        return made

    async def _execute_planned(  # noqa: PLR0917
        self,
        plan: QueryPlan,
        query: str | None,
        variable_values: dict[str, Any] | None,
        context_value: Any,
        root_value: Any,
        allowed_operation_types: Iterable[OperationType] | None,
        operation_extensions: dict[str, Any] | None,
        *,
        admitted: tuple[VariableValues, int, dict[str, Any]] | None = None,
    ) -> ExecutionResult:
        """`admitted`: what `_admitted` gave for this request already (a shortcut before
        this one may have asked)."""
        variables, cost, extensions = admitted or self._admitted(plan, query, variable_values)
        try:
            executor = self._build_executor(
                plan.prepared, plan.name, variables, root_value, context_value,
                operation_extensions,
            )  # fmt: skip
            if executor is None:
                raise _NOT_PLANNED
            result = await await_maybe(_single_result(executor.execute_operation()))
        except NotPlanned:
            raise
        except Exception as error:  # noqa: BLE001 (strawberry's policy: the error is the result)
            return await self._strawberry_result(
                plan, query, variable_values, context_value, root_value,
                allowed_operation_types, operation_extensions, cost,
                PreExecutionError(data=None, errors=[_coerce_error(error)]), process=True,
            )  # fmt: skip
        if result.errors:
            return await self._strawberry_result(
                plan, query, variable_values, context_value, root_value,
                allowed_operation_types, operation_extensions, cost, result, process=False,
            )  # fmt: skip
        return ExecutionResult(data=result.data, errors=None, extensions=extensions)

    def _admitted(
        self, plan: QueryPlan, query: str | None, variable_values: dict[str, Any] | None
    ) -> tuple[VariableValues, int, dict[str, Any]]:
        """Steps 2 and 3 of the module docstring: the variables as graphql-core coerces them,
        the cost and the result's `extensions`; `NotPlanned` for a request the lean path
        answers. The document cache is hit as the lean path hits it."""
        factory = self._lean_checks
        assert factory is not None  # a plan is made only with the lean checks
        variables = plan.read_variables(variable_values)
        cost = plan.cost(self._schema, variables, factory.default_page_size, factory.inputs)
        if cost > factory.max_cost or (
            variable_values and variables_error(variable_values) is not None
        ):
            raise _NOT_PLANNED
        extensions = {"cost": {"requested": cost, "limit": factory.max_cost}}
        # The document cache's hit, and its place among the recent ones, as the lean path
        # takes them (a document evicted meanwhile is parsed again there and here).
        factory.cache.get(query)  # type: ignore[arg-type]
        return variables, cost, extensions

    async def _strawberry_result(  # noqa: PLR0917
        self,
        plan: QueryPlan,
        query: str | None,
        variable_values: dict[str, Any] | None,
        context_value: Any,
        root_value: Any,
        allowed_operation_types: Iterable[OperationType] | None,
        operation_extensions: dict[str, Any] | None,
        cost: int,
        result: GraphQLExecutionResult | PreExecutionError,
        *,
        process: bool,
    ) -> ExecutionResult:
        """The result as the lean path makes it, through strawberry's execution context:
        the errors processed (`_process_errors`) and the checks' extensions."""
        factory = self._lean_checks
        assert factory is not None
        context = self._create_execution_context(
            query=query,
            allowed_operation_types=(
                DEFAULT_ALLOWED_OPERATION_TYPES
                if allowed_operation_types is None
                else allowed_operation_types
            ),
            variable_values=variable_values,
            context_value=context_value,
            root_value=root_value,
            operation_name=plan.name,
            operation_extensions=operation_extensions,
        )
        context.graphql_document = plan.prepared.document
        checks = factory()
        checks.execution_context = context
        checks.prepared = plan.prepared
        checks.cost = cost
        runner = SchemaExtensionsRunner(execution_context=context, extensions=[checks])
        if process:
            return await self._handle_execution_result(context, result, runner)
        context.result = result
        assert result.errors
        context.pre_execution_errors = result.errors
        self._process_errors(result.errors, context)
        return await self._handle_execution_result(
            context, result, runner, skip_process_errors=True
        )


__all__ = ["NotPlanned", "PlannedSchema", "QueryPlan", "takes_queries"]
