"""What app.db's functions take as `db`: anything that runs a statement and gives its result.

A use case's write transaction (`AsyncSession`, app.db.session.write_sessions) and a request's
reads (`app.db.session.RequestDatabase`) both are one, so a read such as `live_site` serves the
engine's dry runs and its redemptions alike.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol, TypeAlias

from sqlalchemy.engine import Result, Row
from sqlalchemy.sql import Executable

# A statement's named parameters: one set, or many for an executemany.
Params: TypeAlias = Mapping[str, object] | Sequence[Mapping[str, object]]
# A row as app.db's reads give it: its columns as attributes and by name in `_mapping`. Their
# values are untyped because the Core tables' columns are (`Table.c` holds `Column[Any]`).
Record: TypeAlias = Row[Any]


class Handle(Protocol):
    async def execute(self, statement: Executable, params: Params | None = None, /) -> Result[Any]:
        """The result of `statement` with `params` (its rows are `Record`s)."""
        ...
