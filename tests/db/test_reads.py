"""Batched reads by key: one statement text whatever the number of keys (PostgreSQL)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from app.db import tables as t
from app.db.keyed_reads import one_of


class _Db:
    def __init__(self, dialect_name: str) -> None:
        self.dialect_name = dialect_name


def _sql(dialect: Any, keys: list[int]) -> str:
    table = t.COUPON_CODE
    statement = sa.select(table.c.id).where(one_of(_Db(dialect.name), table.c.coupon_id, keys))
    return str(statement.compile(dialect=dialect, compile_kwargs={"render_postcompile": True}))


def test_postgresql_sends_the_keys_as_one_array_parameter() -> None:
    dialect = postgresql.dialect()
    assert _sql(dialect, [1]) == _sql(dialect, list(range(500)))
    assert "= ANY (" in _sql(dialect, [1, 2])


def test_sqlite_lists_the_keys() -> None:
    dialect = sqlite.dialect()
    assert "IN (" in _sql(dialect, [1, 2, 3])
    assert _sql(dialect, [1]) != _sql(dialect, [1, 2])
