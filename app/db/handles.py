"""What app.db's functions take and hand back, by the driver's own types.

`Handle` is what app.db's functions take as `db`: anything that runs a statement and gives its
result. A use case's write transaction (`AsyncSession`, app.db.session.write_sessions) and a
request's reads (`app.db.session.RequestDatabase`) both are one, so a read such as `live_site`
serves the engine's dry runs and its redemptions alike. A request's reads are also `Reads`:
named reads, counted against the request's budget and prepared once by the fast path, which
the lists and loaders send through `fetch` when `fetches(db)`.

app.services holds no SQL (tests/test_layering.py keeps sqlalchemy out of it), so it names the
other types through here rather than importing the driver: a use case only passes them on to
app.db's functions and reads rows' columns.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Any, Protocol, TypeAlias, TypeGuard

import sqlalchemy as sa
from sqlalchemy.engine import Result, Row, RowMapping
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.sql import ColumnElement, Executable

# The app's engine (app.db.engine.create_engine).
Engine: TypeAlias = AsyncEngine
# app.db.session.write_sessions: `async with sessions() as s, s.begin()` is one transaction.
Sessions: TypeAlias = async_sessionmaker[AsyncSession]
# One write transaction's session, as app.db's functions take it.
Session: TypeAlias = AsyncSession
# A row as stored: columns as attributes, and by name in `_mapping` (the Core tables' columns
# are untyped, hence Any).
Record: TypeAlias = Row[Any]
# A row's columns by name (`Record._mapping`), or the same values in a dict.
Columns: TypeAlias = RowMapping | Mapping[str, Any]
# A condition app.db builds for a statement's WHERE (tenancy, soft deletion, filters).
Clause: TypeAlias = ColumnElement[bool]
# One of app.db.tables' tables, which app.db's functions take.
Table: TypeAlias = sa.Table
# A statement's named parameters: one set, or many for an executemany.
Params: TypeAlias = Mapping[str, object] | Sequence[Mapping[str, object]]


class Handle(Protocol):
    async def execute(self, statement: Executable, params: Params | None = None, /) -> Result[Any]:
        """The result of `statement` with `params` (its rows are `Record`s)."""
        ...


class Reads(Handle, Protocol):
    """A request's reads (`app.db.session.RequestDatabase`): a `Handle` that also sends named
    reads."""

    async def fetch(
        self, shape: Hashable, build: Callable[[], Executable], params: dict[str, object]
    ) -> list[Record]:
        """The rows of the statement `build()` makes with `params`; `shape` names it (None: a
        statement of its own)."""
        ...


def fetches(db: Handle) -> TypeGuard[Reads]:
    """Whether `db` is a request's reads rather than a write transaction (a `hasattr`: this
    is asked on every list and loader batch)."""
    return hasattr(db, "fetch")
