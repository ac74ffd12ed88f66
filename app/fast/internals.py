"""Every private name of strawberry, graphql-core and SQLAlchemy the fast path relies on.

Nothing outside app/fast uses these (tests/test_layering.py checks it). They are not part of
those libraries' public API and may change in any release: each is listed here with the
versions it was checked against (constraints.txt pins them), and tests/fast/test_internals.py
fails, naming it, when an installed version no longer has one. On such a failure: check the
modules that use it against the new version, or switch the fast path off
(`DISCOUNTS_FAST_PATH=false`): the service needs none of them without it.
"""

from __future__ import annotations

import importlib
import inspect
from dataclasses import dataclass, fields, is_dataclass
from typing import Any

CHECKED_AGAINST = {
    "strawberry-graphql": "0.341.2",
    "graphql-core": "3.3.2",
    "SQLAlchemy": "2.1.9",
    "aiosqlite": "0.22.1",
}


@dataclass(frozen=True)
class Private:
    """`owner` (a module, or `module:Class`) has `name`; `used_by` says where and why."""

    owner: str
    name: str
    used_by: str
    # "attribute": of the module or class itself; "field": a dataclass field or an
    # attribute its `__init__` sets; "function name": a function the library defines there,
    # recognised by its `__name__`.
    kind: str = "attribute"


PRIVATE_NAMES: tuple[Private, ...] = (
    # strawberry
    Private("strawberry.types.info:Info", "_raw_info", "rendering, selection, executor.run, checkout_requests: "
            "graphql-core's resolve info behind strawberry's Info", "field"),
    Private("strawberry.types.info:Info", "_field", "executor.run: an Info for a batch; checkout_requests: for one field", "field"),
    Private("strawberry.schema.schema:Schema", "_create_execution_context", "lean_schema, checkout_requests"),
    Private("strawberry.schema.schema:Schema", "_get_execute_function", "lean_schema"),
    Private("strawberry.schema.schema:Schema", "_get_custom_context_kwargs", "lean_schema"),
    Private("strawberry.schema.schema:Schema", "_handle_execution_result", "lean_schema, "
            "checkout_requests: the result as strawberry finishes it"),
    Private("strawberry.schema.schema:Schema", "_process_errors", "lean_schema, checkout_requests"),
    Private("strawberry.schema.schema:Schema", "_get_middleware_manager", "lean_schema"),
    Private("strawberry.schema.schema", "_coerce_error", "lean_schema"),
    Private("strawberry.schema._graphql_core", "execution_context_class_kwargs", "lean_schema"),
    Private("strawberry.schema.schema_converter:GraphQLCoreConverter", "DEFINITION_BACKREF",
            "checkout_requests: the strawberry field behind a graphql-core input field (the "
            "extensions key strawberry stores it under)"),
    Private("strawberry.types.fields.resolver:StrawberryResolver", "wrapped_func",
            "checkout_requests: a field's own resolver, called without strawberry's argument "
            "conversion", "field"),
    Private("strawberry.types.base", "StrawberryOptional", "executor.plan: a batch's arguments "
            "of built-in scalars, which strawberry's conversion hands over as they are"),
    Private("strawberry.types.base", "StrawberryMaybe", "executor.plan: optional arguments "
            "that conversion wraps (`Some`), so not handed over as they are"),
    Private("strawberry.schema.schema_converter", "_get_basic_result", "executor.plan: a field "
            "without resolver reads its attribute", "function name"),
    Private("strawberry.schema.schema_converter", "_async_resolver", "executor.plan: nothing "
            "but strawberry's own wrapping stands before a field's resolver", "function name"),
    Private("strawberry.schema.schema_converter", "_resolver", "executor.plan (as above)",
            "function name"),
    # graphql-core
    Private("graphql.execution.executor", "CollectedErrors", "executor.context: errors of a "
            "replayed field, in response order"),
    Private("graphql.execution.executor:Executor", "collected_errors",
            "executor.context, executor.errors", "field"),
    Private("graphql.execution.executor:Executor", "background_futures",
            "executor.context: work graphql-core left running", "field"),
    # SQLAlchemy
    Private("sqlalchemy.sql.compiler:SQLCompiler", "_bind_processors", "prepared: a compiled "
            "statement's parameter processors, applied to the values sent to asyncpg"),
    Private("sqlalchemy.engine.cursor:CursorResult", "_row_getter", "prepared: the row factory "
            "of a shape's first result, for the rows of the next ones"),
    Private("sqlalchemy.dialects.postgresql.asyncpg:AsyncAdapt_asyncpg_connection",
            "_transaction", "prepared_writes: whether the session's transaction has begun",
            "field"),
    Private("sqlalchemy.dialects.postgresql.asyncpg:AsyncAdapt_asyncpg_connection",
            "_start_transaction", "prepared_writes: begins it as SQLAlchemy would"),
    Private("sqlalchemy.dialects.postgresql.asyncpg:AsyncAdapt_asyncpg_connection",
            "_handle_exception", "prepared_writes: asyncpg's errors as the adapter raises them"),
    # aiosqlite (what SQLAlchemy's own aiosqlite adapter relies on too)
    Private("aiosqlite.core:Connection", "_execute", "sqlite_driver: a call on the connection's "
            "thread"),
    Private("aiosqlite.core:Connection", "_conn", "sqlite_driver: the sqlite3 connection, used "
            "on that thread only"),
    Private("aiosqlite.core:Connection", "_thread", "sqlite_driver: made a daemon, as "
            "SQLAlchemy does", "field"),
)  # fmt: skip


def _owner(owner: str) -> Any:
    module_name, _, class_name = owner.partition(":")
    module = importlib.import_module(module_name)
    return getattr(module, class_name) if class_name else module


def _has(private: Private) -> bool:
    owner = _owner(private.owner)
    if private.kind == "function name":
        return f"def {private.name}(" in inspect.getsource(owner)
    if private.kind == "field":
        if is_dataclass(owner):
            return private.name in {f.name for f in fields(owner)}
        return any(
            f"self.{private.name} =" in inspect.getsource(cls.__init__)
            for cls in owner.__mro__
            if inspect.isfunction(vars(cls).get("__init__"))
        )
    return hasattr(owner, private.name)


def missing() -> list[Private]:
    """The listed names the installed libraries no longer have."""
    return [private for private in PRIVATE_NAMES if not _has(private)]
