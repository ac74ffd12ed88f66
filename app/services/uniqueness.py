"""Uniqueness among live rows: checked before writing, and enforced by partial unique indexes.

The check gives the usual case a precise user error. The index settles two requests that both
passed the check at the same moment (PostgreSQL runs them concurrently): the loser's write fails
with an IntegrityError naming the index, which is reported as the same user error.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.codes import code_key
from app.services.problems import Problem, ProblemCode, Problems


@dataclass(frozen=True)
class LiveUnique:
    """A partial unique index over live rows and the user error that breaking it is."""

    table: sa.Table
    columns: tuple[str, ...]  # equal values (NULL equal to NULL) ...
    by_code: bool  # ... and the same code string in any letter case
    # How each database names a violation: the index name (PostgreSQL, and SQLite for an
    # expression index) or, for SQLite on plain columns, "table.column, table.column".
    markers: tuple[str, ...]
    code: ProblemCode
    message: str


class Conflict(Problems):
    """A concurrent write won the race; the transaction is spoilt and must be rolled back."""


async def ensure_free(
    session: AsyncSession,
    rule: LiveUnique,
    values: Mapping[str, Any],
    path: tuple[str, ...],
    *,
    exclude_id: int | None = None,
) -> list[Problem]:
    """[the rule's problem] when a live row other than `exclude_id` already has `values`."""
    table = rule.table
    where = [table.c[name].is_not_distinct_from(values[name]) for name in rule.columns]
    if rule.by_code:
        where.append(sa.func.lower(table.c.code) == code_key(values["code"]))
    if exclude_id is not None:
        where.append(table.c.id != exclude_id)
    statement = sa.select(table.c.id).where(table.c.deleted_at.is_(None), *where).limit(1)
    taken = (await session.execute(statement)).first() is not None
    return [Problem(path, rule.code, rule.message)] if taken else []


@contextlib.contextmanager
def conflicts_reported(
    rule: LiveUnique, path: tuple[str, ...], message: str | None = None
) -> Iterator[None]:
    """Turns a violation of `rule`'s index inside the block into its user error (a Conflict)."""
    try:
        yield
    except IntegrityError as error:
        text = str(error.orig)
        if any(marker in text for marker in rule.markers):
            found = Problem(path, rule.code, message or rule.message)
            raise Conflict([found]) from error
        raise
