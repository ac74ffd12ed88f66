"""Field errors: located, propagated to the nearest nullable position, then recorded.

`field_error` is graphql-core's `handle_field_error`: the error is located at the failing
field (or list item, see `complete`); if that position is nullable it becomes null there,
otherwise the nearest nullable ancestor does (or `data`). The errors of a run are kept with
their response position and handed to graphql-core's own `CollectedErrors` in response
order, which drops an error below a position already nulled, as for the standard executor.
The run notes which fields (and phases) failed: more than one, and the order graphql-core
would record them in depends on its scheduling (see `run`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from graphql import GraphQLError, located_error
from graphql.pyutils import Path

from app.fast.executor.plan import FieldPlan
from app.fast.executor.slots import Slot

if TYPE_CHECKING:
    from app.fast.executor.context import PlanExecutionContext


class ErrorLog:
    """Part of `Run`: its field errors."""

    ex: PlanExecutionContext
    events: list[tuple[tuple[int, ...], GraphQLError, Path | None]]
    sources: set[tuple[FieldPlan, int]]
    data_null: bool

    def field_error(
        self,
        raw: Exception,
        field: FieldPlan,
        slot: Slot,
        phase: int,
        path: Path | None = None,
    ) -> None:
        """graphql-core's `handle_field_error`, with the propagation done by walking up."""
        if path is None:
            path = Path(slot.path, field.key, field.parent_type.name)
        error = located_error(raw, field.nodes, path.as_list())
        order = slot.order_key() + (field.index,)
        if field.shape.nullable:
            slot.out[field.key] = None
            self.record(error, path, order, field, phase)
            return
        boundary = slot
        while boundary.parent is not None and not boundary.nullable:
            boundary = boundary.parent
        if boundary.parent is None:
            self.data_null = True
            self.record(error, None, order, field, phase)
        else:
            boundary.container[boundary.key] = None
            self.record(error, boundary.path, order, field, phase)

    def record(
        self,
        error: GraphQLError,
        position: Path | None,
        order: tuple[int, ...],
        field: FieldPlan,
        phase: int,
    ) -> None:
        self.events.append((order, error, position))
        self.sources.add((field, phase))

    def flush_errors(self) -> None:
        """Hands the errors to graphql-core's collector in response order; it drops those
        below a position already nulled, as it does for the standard executor."""
        collected = self.ex.collected_errors
        for _order, error, position in sorted(self.events, key=lambda event: event[0]):
            collected.add(error, position)
        self.events.clear()
        self.sources.clear()
