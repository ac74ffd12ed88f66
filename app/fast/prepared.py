"""Hot reads sent to asyncpg as compiled once: no statement built, keyed or compiled per request.

Building a SELECT with SQLAlchemy, computing its cache key and going through its execution
context costs about 0.2 ms of CPU per statement: more than PostgreSQL takes to answer a
lookup by id, and most of a one-record request. The loaders' reads have few shapes (a table,
a key column, the soft-deletion choice, the caller's scope, a page's order and window), so
each shape is built and compiled once, with its varying values as named parameters, and
later requests send the compiled text and their values straight to the asyncpg connection.
The rows are SQLAlchemy rows made by the row factory of the shape's first result, so
callers cannot tell the two paths apart.

Only where it changes nothing: PostgreSQL through asyncpg, on a connection in autocommit
mode (`app.db.engine.read_engine`: SQLAlchemy would otherwise begin a transaction around the
statement, which the raw connection would bypass). Everything else executes the statement.
"""

from __future__ import annotations

import functools
import weakref
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql import visitors
from sqlalchemy.sql.elements import BindParameter
from sqlalchemy.sql.visitors import ExternallyTraversible

# Shapes kept per engine; beyond this many (say, filters with ever new values) the cache
# starts again.
MAX_SHAPES = 2048


@dataclass(frozen=True)
class PreparedRead:
    sql: str
    names: tuple[str, ...]  # the positional parameters, in order
    values: Mapping[str, Any]  # the values built into the statement, processed for the driver
    processors: Mapping[str, Callable[[Any], Any]]
    make_rows: Callable[[Sequence[Any]], list[Any]]

    def arguments(self, params: Mapping[str, Any]) -> list[Any]:
        try:  # every name given, as a redemption's claim (~80 of them) gives them
            return [
                params[name] if process is None else process(params[name])
                for name, process in self._plan
            ]
        except KeyError:
            pass
        out = []
        for name, process in self._plan:
            if name in params:
                value = params[name]
                out.append(value if process is None else process(value))
            else:
                out.append(self.values[name])
        return out

    @functools.cached_property
    def _plan(self) -> tuple[tuple[str, Callable[[Any], Any] | None], ...]:
        return tuple((name, self.processors.get(name)) for name in self.names)


_SHAPES: weakref.WeakKeyDictionary[Any, dict[Hashable, PreparedRead]] = weakref.WeakKeyDictionary()


def lookup(engine: Any, shape: Hashable) -> PreparedRead | None:
    shapes = _SHAPES.get(engine)
    return None if shapes is None else shapes.get(shape)


def remember(engine: Any, shape: Hashable, statement: Any, result: Any) -> None:
    """Compile `statement` for the raw connection, with the row factory of `result` (its
    first execution through SQLAlchemy, whose rows the caller already has)."""
    written: Any = with_sizes_written_in(statement)
    compiled = written.compile(dialect=engine.dialect, compile_kwargs={"render_postcompile": True})
    processors = dict(compiled._bind_processors)
    values = {
        name: (processors[name](value) if name in processors else value)
        for name, value in compiled.params.items()
    }
    make_rows = result._row_getter[1]
    if make_rows is None:  # a scalar result without rows: not a shape for this path
        return
    shapes = _SHAPES.setdefault(engine, {})
    if len(shapes) >= MAX_SHAPES:
        shapes.clear()
    shapes[shape] = PreparedRead(
        compiled.string, tuple(compiled.positiontup or ()), values, processors, make_rows
    )


def with_sizes_written_in(statement: ExternallyTraversible) -> ExternallyTraversible:
    """`statement` with its parameters written into its text when they are all integers
    built into it (page sizes, LIMITs, positions: anonymous parameters, which no request
    names); else `statement` as it is.

    A shape's statement holds the same built-in values on every request, so this changes no
    answer; it changes PostgreSQL's plan. A prepared statement with parameters is planned for
    its values five times, then planned once for any values if that plan's estimate is not
    much worse; with a LIMIT or a `row_number() <= n` as a parameter the planner cannot tell
    a page of 10 from 10 % of the table, so for the nested pages (`coupons { codes }`, in
    any spelling) it is worse, and every execution is planned again: 0.2-0.5 ms each on the
    benchmark's 20 x 10 page (EXPLAIN ANALYZE EXECUTE, 8 runs), as much as its JSON takes.
    A statement without parameters has one plan, made once. Where a request's values (ids,
    cursors) stay parameters, the sizes stay too: a LIMIT written in made PostgreSQL keep
    planning the assignments page again (0.4 ms a bind), which with it as a parameter it
    had stopped doing."""
    binds: list[BindParameter[Any]] = []
    visitors.traverse(statement, {}, {"bindparam": binds.append})
    if not binds or not all(_built_in_integer(bind) for bind in binds):
        return statement

    def written_in(element: ExternallyTraversible, **_kw: object) -> ExternallyTraversible | None:
        if isinstance(element, BindParameter) and _built_in_integer(element):
            return element.render_literal_execute()
        return None

    return visitors.replacement_traverse(statement, {}, written_in)


def _built_in_integer(bind: BindParameter[Any]) -> bool:
    return (
        bind.unique
        and not bind.literal_execute
        and type(bind.value) is int
        and isinstance(bind.type, sa.Integer)
    )
