"""Uniqueness among live rows: checked before writing, and enforced by partial unique indexes.

The check gives the usual case a precise user error. The index settles two requests that both
passed the check at the same moment (PostgreSQL runs them concurrently): the loser's write fails
with a UniqueViolation naming the index, which is reported as the same user error.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from app.db.errors import UniqueViolation
from app.db.handles import Session
from app.db.uniqueness import LiveUniqueIndex, live_duplicate_exists
from app.services.problems import Problem, ProblemCode, Problems


@dataclass(frozen=True)
class LiveUnique:
    """A partial unique index over live rows and the user error that breaking it is."""

    index: LiveUniqueIndex
    code: ProblemCode
    message: str


class Conflict(Problems):
    """A concurrent write won the race; the transaction is spoilt and must be rolled back."""


async def ensure_free(
    session: Session,
    rule: LiveUnique,
    values: Mapping[str, Any],
    path: tuple[str, ...],
    *,
    exclude_id: int | None = None,
) -> list[Problem]:
    """[the rule's problem] when a live row other than `exclude_id` already has `values`."""
    taken = await live_duplicate_exists(session, rule.index, values, exclude_id=exclude_id)
    return [Problem(path, rule.code, rule.message)] if taken else []


@contextlib.contextmanager
def conflicts_reported(
    rule: LiveUnique, path: tuple[str, ...], message: str | None = None
) -> Iterator[None]:
    """Turns a violation of `rule`'s index inside the block into its user error (a Conflict)."""
    try:
        yield
    except UniqueViolation as violation:
        if rule.index.broken_by(violation):
            found = Problem(path, rule.code, message or rule.message)
            raise Conflict([found]) from violation
        raise
