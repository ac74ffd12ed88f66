"""What a statement's failure means, in words the use cases can act on without knowing the driver.

Only unique violations are translated: a use case turns a lost race for a unique key into a user
error (or answers the winner's row). Every other database error passes through unchanged.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from sqlalchemy.exc import IntegrityError

# How each driver says "unique violation": PostgreSQL's SQLSTATE; SQLite's extended result
# code (a primary key is a unique key there too, as it is on PostgreSQL).
_UNIQUE = frozenset({"23505", "SQLITE_CONSTRAINT_UNIQUE", "SQLITE_CONSTRAINT_PRIMARYKEY"})


class UniqueViolation(Exception):
    """A write broke a unique index or constraint; the transaction is spoilt (PostgreSQL).

    `detail` is the database's own message, which names what was broken: the index
    (PostgreSQL, and SQLite for an expression index) or, for SQLite on plain columns,
    "table.column, table.column".
    """

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


@contextlib.contextmanager
def unique_violations() -> Iterator[None]:
    """Raises UniqueViolation for a unique violation inside the block (chained to the driver's
    error); any other error is raised as it is."""
    try:
        yield
    except IntegrityError as error:
        orig = error.orig
        code = getattr(orig, "sqlstate", None) or getattr(orig, "sqlite_errorname", None)
        if code in _UNIQUE:
            raise UniqueViolation(str(error.orig)) from error
        raise
