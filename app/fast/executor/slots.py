"""Positions in the response being built, and the signal to hand over to graphql-core."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any

from graphql import GraphQLResolveInfo
from graphql.pyutils import Path

if TYPE_CHECKING:
    from app.fast.executor.plan import FieldPlan, SelectionPlan

_UNSET: Any = object()


class NeedsStandard(BaseException):
    """This operation (or root field) must be finished by the standard executor.

    A BaseException so that no field-error handler (`except Exception`) turns it into a
    GraphQL error on the way up. Its argument, when given, is the reason (counted and
    logged: app.fast.fall_offs).
    """

    @property
    def reason(self) -> str:
        return str(self.args[0]) if self.args else "unplanned"


class Slot:
    """A position in the response holding an object (`out` is its dict) or a list."""

    __slots__ = (
        "_path", "container", "key", "nullable", "order", "out", "parent", "ptype", "source",
    )  # fmt: skip

    def __init__(
        self,
        parent: Slot | None,
        container: Any,
        key: str | int | None,
        ptype: str | None,
        nullable: bool,
        order: int,
        source: Any,
        out: Any,
    ) -> None:
        self.parent = parent
        self.container = container  # the dict or list this value sits in
        self.key = key  # its response key or list index there
        self.ptype = ptype  # the parent object's type name (None for list items), as in Path
        self.nullable = nullable
        self.order = order  # field index or list index: sorts errors in response order
        self.source = source
        self.out = out
        self._path: Path | None = _UNSET

    @property
    def path(self) -> Path | None:
        path = self._path
        if path is _UNSET:
            parent = self.parent
            # a slot below the root sits at a key (a response key or a list index)
            path = None if parent is None else Path(parent.path, self.key, self.ptype)  # type: ignore[arg-type]
            self._path = path
        return path

    def order_key(self) -> tuple[int, ...]:
        keys: list[int] = []
        slot: Slot | None = self
        while slot is not None and slot.parent is not None:
            keys.append(slot.order)
            slot = slot.parent
        return tuple(reversed(keys))


# selection plan -> its parents at the next level, in response order
Batches = dict["SelectionPlan", list[Slot]]
# resolver calls of a level whose results are awaited together
Pending = list[tuple["FieldPlan", Slot, GraphQLResolveInfo[Any], Awaitable[Any]]]
# batch calls of a level (see `app.fast.batches`): one awaitable for many parents
Grouped = list[tuple["FieldPlan", list[Slot], GraphQLResolveInfo[Any], Awaitable[list[Any]]]]


def close_unstarted(pending: Pending | Grouped) -> None:
    """Coroutines made but never awaited are closed (nothing of them ran), so that they
    neither warn nor leak when the standard executor takes over."""
    for entry in pending:
        close_awaitable(entry[3])


def close_awaitable(awaitable: object) -> None:
    if asyncio.iscoroutine(awaitable):
        awaitable.close()
