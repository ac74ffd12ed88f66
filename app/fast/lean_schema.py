"""`Schema.execute` without strawberry's extension machinery, when it has nothing to run.

strawberry runs every request through its extension lifecycle: it builds the extensions, then
for each of four stages (operation, parsing, validation, execution) a context manager that
looks up every extension's hook, wraps each hook in a `contextlib` manager and enters it
through an exit stack. For a small query that machinery was about a tenth of the server's CPU
time, although the service's only extension is `QueryChecks` (app.graphql.limits), whose hooks
just call a method before yielding.

So when that is the schema's only extension (and it has no directives, which strawberry runs
as an extension too), `execute` below runs the same steps in the same order, calling the
checks directly:

1. no document: `MissingQueryError` (raised to the caller, as strawberry does);
2. parse (from the document cache): a syntax or token-limit error is the result;
3. the operation's name and type (remembered per document and name):
   `CannotGetOperationTypeError`, `InvalidOperationTypeError` raised;
4. validation: its errors are the result;
5. the cost and NUL checks: a refusal is the result (with the cost in `extensions`);
6. execution by graphql-core (with the schema's execution context class, the plan executor),
   with the same arguments strawberry passes (an empty middleware manager: the checks have
   no `resolve` hook); the executor is made here from the variables the cost check coerced
   (`_executor`) rather than by `execute`, which would coerce them a second time (~4 % of a
   one-record request's CPU);
7. the result with the extensions' results, through strawberry's own
   `_handle_execution_result`.

Any other error before or during execution becomes the result as in strawberry (`errors`,
no `data`). With any other extension (tests add some) or directives, and for
`execute_sync` and subscriptions, strawberry's own path runs. tests/http/test_lean_schema.py
runs requests through both paths and requires identical results. The strawberry internals
used are those of the pinned version (constraints.txt); a version without them gets the
standard path (`_lean_checks` stays None).

Before the lean path, a schema class may answer some requests itself: a class in the MRO
that declares `shortcut = Shortcut(...)` (app.fast.checkout_requests, app.fast.planned_requests)
is asked, in MRO order, for its plan of the document and operation name; a plan that takes
the request answers it, or declines (its `declined` exception) and the next one is asked,
then the lean path. Each counts what it answered and what it declined in its own `counts`.
"""

from __future__ import annotations

import importlib
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any, cast

import strawberry
from graphql import ExecutionResult as GraphQLExecutionResult
from graphql import (
    ExperimentalIncrementalExecutionResults,
    GraphQLError,
    MiddlewareManager,
    assert_valid_schema,
    default_field_resolver,
    default_type_resolver,
)
from graphql import execute as graphql_execute
from graphql.execution.values import VariableValues
from strawberry.exceptions import MissingQueryError
from strawberry.extensions.runner import SchemaExtensionsRunner
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types import ExecutionResult
from strawberry.types.execution import PreExecutionError
from strawberry.types.graphql import OperationType
from strawberry.utils.await_maybe import await_maybe

from app.graphql.limits import QueryChecksFactory
from app.graphql.limits.prepared import PreparedDocument, QueryChecks

try:  # internals of the pinned strawberry (see the module docstring)
    from strawberry.execution import optimized_is_awaitable
    from strawberry.schema._graphql_core import execution_context_class_kwargs
    from strawberry.schema.schema import DEFAULT_ALLOWED_OPERATION_TYPES, _coerce_error
except ImportError:  # pragma: no cover - another strawberry version: the standard path
    optimized_is_awaitable = None  # type: ignore[assignment]

# graphql-core's words for an incremental result given to `execute` (its module's name is
# shadowed by the function in `graphql.execution`).
UNEXPECTED_MULTIPLE_PAYLOADS: str = importlib.import_module(
    "graphql.execution.execute"
).UNEXPECTED_MULTIPLE_PAYLOADS

_SCHEMA_INTERNALS = (
    "_create_execution_context",
    "_get_execute_function",
    "_get_custom_context_kwargs",
    "_handle_execution_result",
    "_process_errors",
)


@dataclass(frozen=True)
class Shortcut:
    """A kind of request a schema class answers before the lean path (the module docstring).

    `find` and `answer` name methods of the schema: `find(query, operation_name)` is the
    document's plan or None (remembered per document, so that a request pays a dict lookup);
    `answer(plan, query, variable_values, context_value, root_value, allowed_operation_types,
    operation_extensions)` is the result, or raises `declined` to leave the request to the
    next shortcut and the lean path. `takes(allowed_operation_types)`: whether to try at all.
    """

    find: str
    answer: str
    declined: type[Exception]
    counts: Counter[str]
    answered: str
    fell_back: str
    takes: Callable[[Iterable[OperationType] | None], bool]


_Bound = tuple[
    Callable[[str | None, str | None], Any],
    Callable[..., Awaitable[ExecutionResult]],
    Shortcut,
]


def shortcuts_of(schema: Any) -> tuple[_Bound, ...]:
    """The shortcuts the classes of `schema`'s MRO declare, in MRO order, bound to it."""
    found = []
    for cls in type(schema).__mro__:
        shortcut = cls.__dict__.get("shortcut")
        if isinstance(shortcut, Shortcut):
            found.append(
                (getattr(schema, shortcut.find), getattr(schema, shortcut.answer), shortcut)
            )
    return tuple(found)


class LeanSchema(strawberry.Schema):
    """A strawberry schema whose `execute` skips the extension machinery when it can (above)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._shortcuts = shortcuts_of(self)
        self._lean_checks: QueryChecksFactory | None = None
        # What `_get_middleware_manager` makes for the checks alone (no `resolve` hook): an
        # empty manager, which holds no state, made once.
        self._no_middleware = MiddlewareManager()
        # graphql-core's `execute` refuses a schema with these directives before building
        # an executor; with them, it runs (`_executor` is not used).
        self._direct = not (
            self._schema.get_directive("defer") or self._schema.get_directive("stream")
        )
        if (
            optimized_is_awaitable is not None
            and len(self.extensions) == 1
            and isinstance(self.extensions[0], QueryChecksFactory)
            and not self.directives
            and all(hasattr(self, name) for name in _SCHEMA_INTERNALS)
        ):
            self._lean_checks = self.extensions[0]

    async def execute(  # noqa: PLR0917 (strawberry's signature)
        self,
        query: str | None,
        variable_values: dict[str, Any] | None = None,
        context_value: Any | None = None,
        root_value: Any | None = None,
        operation_name: str | None = None,
        allowed_operation_types: Iterable[OperationType] | None = None,
        operation_extensions: dict[str, Any] | None = None,
    ) -> ExecutionResult:
        for find, answer, shortcut in self._shortcuts:
            plan = find(query, operation_name)
            if plan is None or not shortcut.takes(allowed_operation_types):
                continue
            try:
                result = await answer(
                    plan,
                    query,
                    variable_values,
                    context_value,
                    root_value,
                    allowed_operation_types,
                    operation_extensions,
                )
            except shortcut.declined:
                shortcut.counts[shortcut.fell_back] += 1
            else:
                shortcut.counts[shortcut.answered] += 1
                return result
        factory = self._lean_checks
        if factory is None:
            return await super().execute(
                query,
                variable_values,
                context_value,
                root_value,
                operation_name,
                allowed_operation_types,
                operation_extensions,
            )
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
            operation_name=operation_name,
            operation_extensions=operation_extensions,
        )
        checks = factory()
        checks.execution_context = context
        runner = SchemaExtensionsRunner(execution_context=context, extensions=[checks])
        try:
            if not context.query and context.graphql_document is None:
                raise MissingQueryError
            checks.parse()
            assert checks.prepared is not None
            # `context.operation_type`, remembered per document and operation name
            operation = checks.prepared.operation(operation_name)
            if operation is None:
                raise CannotGetOperationTypeError(context.operation_name) from RuntimeError(
                    "Can't get GraphQL operation type"
                )
            name, operation_type = operation
            if operation_type not in context.allowed_operations:
                raise InvalidOperationTypeError(operation_type)
            checks.validate()
            if context.pre_execution_errors:
                return await self._handle_execution_result(
                    context,
                    PreExecutionError(data=None, errors=context.pre_execution_errors),
                    runner,
                )
            checks.check_before_execution(name)
            execute = self._get_execute_function()
            executor = (
                self._executor(checks, name, context, operation_extensions)
                if execute is graphql_execute and self._direct
                else None
            )
            if executor is not None:
                result = await await_maybe(_single_result(executor.execute_operation()))
            else:
                result = await await_maybe(
                    execute(
                        self._schema,
                        context.graphql_document,
                        root_value=context.root_value,
                        middleware=self._no_middleware,
                        variable_values=context.variables,
                        operation_name=name,
                        context_value=context.context,
                        is_awaitable=optimized_is_awaitable,
                        **execution_context_class_kwargs(self.execution_context_class),
                        **self._get_custom_context_kwargs(operation_extensions),
                    )
                )
            context.result = result
            if isinstance(result, GraphQLExecutionResult) and result.errors:
                context.pre_execution_errors = result.errors
                self._process_errors(result.errors, context)
        except (MissingQueryError, CannotGetOperationTypeError, InvalidOperationTypeError):
            raise
        except Exception as error:  # noqa: BLE001 (strawberry's policy: the error is the result)
            return await self._handle_execution_result(
                context, PreExecutionError(data=None, errors=[_coerce_error(error)]), runner
            )
        return await self._handle_execution_result(
            context, result, runner, skip_process_errors=True
        )

    def _executor(
        self,
        checks: QueryChecks,
        name: str | None,
        context: Any,
        operation_extensions: dict[str, Any] | None,
    ) -> Any:
        """The executor graphql-core's `execute` would build for this request, made without
        coercing the variables a second time: the cost check coerced them already, with the
        same function on the same definitions and values (a success does not depend on its
        error limit or wording). The document's fragments are collected once per document.
        None (the standard `execute` then) when the check has no coerced variables or the
        document has what `Executor.build` must look at per request."""
        variables, prepared = checks.variables, checks.prepared
        if variables is None or prepared is None:
            return None
        return self._build_executor(
            prepared, name, variables, context.root_value, context.context, operation_extensions
        )

    def _build_executor(  # noqa: PLR0917
        self,
        prepared: PreparedDocument,
        name: str | None,
        variables: VariableValues,
        root_value: Any,
        context_value: Any,
        operation_extensions: dict[str, Any] | None,
    ) -> Any:
        """The executor for `variables` as graphql-core coerced them (or would have); None
        when the operation or its fragments are not at hand (see `_executor`)."""
        operation = prepared.operation_node(name)
        fragments = prepared.fragments(self._schema)
        executor_class = self.execution_context_class
        if operation is None or fragments is None or executor_class is None:
            return None
        assert_valid_schema(self._schema)
        return executor_class(
            self._schema,
            fragments[0],
            fragments[1],
            root_value,
            context_value,
            operation,
            variables,
            default_field_resolver,
            default_type_resolver,
            default_field_resolver,
            False,  # enable_early_execution
            self._no_middleware,
            cast(Any, optimized_is_awaitable),
            None,  # is_async_iterable: graphql-core's default
            **self._get_custom_context_kwargs(operation_extensions),
        )


def _single_result(result: Any) -> Any:
    """What graphql-core's `execute` makes of `execute_operation`'s result: one result, or
    the error of an incremental one (`@defer`/`@stream`, which `execute` does not serve)."""
    if isinstance(result, GraphQLExecutionResult):
        return result
    if isinstance(result, ExperimentalIncrementalExecutionResults):
        raise GraphQLError(UNEXPECTED_MULTIPLE_PAYLOADS)

    async def await_result() -> Any:
        awaited = await result
        if isinstance(awaited, GraphQLExecutionResult):
            return awaited
        raise GraphQLError(UNEXPECTED_MULTIPLE_PAYLOADS)

    return await_result()
