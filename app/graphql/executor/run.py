"""Breadth-first execution of a plan: one level of the response at a time.

A level is every object of the same depth, grouped by selection plan (one per concrete type
and position in the document). For each field of a plan:
- a plain attribute is read for all parents at once and leaf values are serialised inline;
- a resolver is called for every parent, and the awaitables of the whole level are gathered
  together, so that dataloaders see all their keys in one tick and batch them.
Objects found while completing values become the next level's parents.

Errors follow graphql-core: located at the field (or list item) that failed, recorded where
the null lands (the failing position if nullable, else the nearest nullable ancestor, else
`data` itself), and not recorded again below a position that is already null. When several
errors compete, graphql-core keeps the ones its task scheduling reaches first; that order is
reproduced here only for errors of one field and one phase (siblings, kept in response
order, which is graphql-core's order for them). Anything else raises `NeedsStandard` and the
operation is finished by the standard executor (see `context`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any

from graphql import GraphQLError, GraphQLResolveInfo, located_error
from graphql.execution.executor import invalid_return_type_error
from graphql.execution.values import get_argument_values
from graphql.pyutils import Path, Undefined, inspect, is_iterable

from app.graphql.executor.plan import (
    ABSTRACT,
    LEAF,
    LIST,
    OBJECT,
    PLAIN,
    TYPENAME,
    FieldPlan,
    SelectionPlan,
    Shape,
)

if TYPE_CHECKING:
    from app.graphql.executor.context import PlanExecutionContext

INT_MIN, INT_MAX = -(2**31), 2**31 - 1

# Error phases: raised by the resolver (or its arguments), or found completing its value.
RAISED, COMPLETING = 0, 1

_UNSET: Any = object()


class NeedsStandard(BaseException):  # noqa: N818 - a signal, not an error
    """This operation (or root field) must be finished by the standard executor.

    A BaseException so that no field-error handler (`except Exception`) turns it into a
    GraphQL error on the way up.
    """


class Slot:
    """A position in the response holding an object (`out` is its dict) or a list."""

    __slots__ = ("_path", "container", "key", "nullable", "order", "out", "parent", "ptype", "source")

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
            path = None if parent is None else Path(parent.path, self.key, self.ptype)
            self._path = path
        return path

    def order_key(self) -> tuple[int, ...]:
        keys: list[int] = []
        slot: Slot | None = self
        while slot is not None and slot.parent is not None:
            keys.append(slot.order)
            slot = slot.parent
        return tuple(reversed(keys))


Batches = dict[SelectionPlan, list[Slot]]
Pending = list[tuple[FieldPlan, Slot, GraphQLResolveInfo, Awaitable[Any]]]


class Run:
    """The state of one execution (or of one root field of a mutation)."""

    def __init__(self, ex: PlanExecutionContext) -> None:
        self.ex = ex
        self.is_awaitable = ex.is_awaitable
        self.events: list[tuple[tuple[int, ...], GraphQLError, Path | None]] = []
        self.sources: set[tuple[FieldPlan, int]] = set()
        self.arguments_of: dict[FieldPlan, dict[str, Any] | Exception] = {}
        # what root resolvers returned (or raised), for the standard executor to reuse
        # rather than call them again: key -> (is_async, value or exception)
        self.root_outcomes: dict[str, tuple[bool, Any]] = {}
        self.data_null = False

    # -- the level loop -------------------------------------------------------------------

    async def execute(self, root: Slot, plan: SelectionPlan) -> None:
        batches: Batches = {plan: [root]}
        while batches:
            following: Batches = {}
            pending: Pending = []
            try:
                for selection, slots in batches.items():
                    if selection.fill is not None:
                        self.scalars(selection, slots, following)
                    for field in selection.others:
                        if field.kind == PLAIN:
                            self.plain(field, slots, following)
                        else:
                            self.call(field, selection, slots, following, pending)
            except BaseException:
                close_unstarted(pending)
                raise
            if pending:
                await self.settle(pending, following)
            if len(self.sources) > 1:
                raise NeedsStandard
            batches = following

    def scalars(self, selection: SelectionPlan, slots: list[Slot], following: Batches) -> None:
        """The plan's plain scalar fields (and `__typename`) for all parents: the compiled
        loop, and the general completion for what it leaves (see `fill`)."""
        fill = selection.fill
        assert fill is not None
        try:
            left = fill(slots)
        except Exception:  # an attribute or a scalar raised: one field at a time, located
            for slot in slots:  # `__typename` first, as the loop would have
                for field in selection.fields:
                    if field.kind == TYPENAME:
                        slot.out[field.key] = selection.type_name
            for field in selection.scalars:
                self.plain(field, slots, following)
            return
        fields = selection.scalars
        for index, slot, value in left:
            self.complete_into(fields[index], slot, value, following, None)

    def plain(self, field: FieldPlan, slots: list[Slot], following: Batches) -> None:
        getter = field.getter
        assert getter is not None
        try:
            values = [getter(slot.source) for slot in slots]
        except Exception:  # some parent lacks it: go one by one to locate the error(s)
            for slot in slots:
                try:
                    value = getter(slot.source)
                except Exception as raw:
                    self.field_error(raw, field, slot, RAISED)
                    continue
                self.complete_into(field, slot, value, following, None)
            return
        shape = field.shape
        if shape.kind == LEAF:
            self.plain_leaves(field, slots, values, following)
            return
        for slot, value in zip(slots, values):
            self.complete_into(field, slot, value, following, None)

    def plain_leaves(
        self, field: FieldPlan, slots: list[Slot], values: list[Any], following: Batches
    ) -> None:
        """Scalars and enums of many parents: the common cases inline, the rest (and every
        error) through `complete_into`, which is graphql-core's completion."""
        shape = field.shape
        key = field.key
        fast = shape.fast
        nullable = shape.nullable
        if fast is not None:
            is_int = shape.is_int
            for slot, value in zip(slots, values):
                if value.__class__ is fast and (not is_int or INT_MIN <= value <= INT_MAX):
                    slot.out[key] = value
                elif value is None and nullable:
                    pass  # the response dict starts with None
                else:
                    self.complete_into(field, slot, value, following, None)
            return
        coerce = shape.coerce
        assert coerce is not None
        for slot, value in zip(slots, values):
            if value is None:
                if not nullable:
                    self.complete_into(field, slot, value, following, None)
                continue
            if isinstance(value, Exception):
                self.complete_into(field, slot, value, following, None)
                continue
            try:
                coerced = coerce(value)
            except Exception:
                coerced = None  # coerced again below, to raise and locate the error
            if coerced is None or coerced is Undefined:
                self.complete_into(field, slot, value, following, None)
            else:
                slot.out[key] = coerced

    def call(
        self,
        field: FieldPlan,
        selection: SelectionPlan,
        slots: list[Slot],
        following: Batches,
        pending: Pending,
    ) -> None:
        ex = self.ex
        build_info = ex.build_resolve_info
        field_def, nodes, parent_type = field.field_def, field.nodes, selection.type
        key, type_name, resolve = field.key, selection.type_name, field.resolve
        args = self.arguments(field)
        is_awaitable = self.is_awaitable
        for slot in slots:
            path = Path(slot.path, key, type_name)
            info = build_info(field_def, nodes, parent_type, path)
            if isinstance(args, Exception):
                self.field_error(args, field, slot, RAISED, path)
                continue
            try:
                result = resolve(slot.source, info, **args)
            except Exception as raw:
                if slot.parent is None:
                    self.root_outcomes[key] = (False, raw)
                self.field_error(raw, field, slot, RAISED, path)
                continue
            if is_awaitable(result):
                pending.append((field, slot, info, result))
            else:
                if slot.parent is None:
                    self.root_outcomes[key] = (False, result)
                self.complete_into(field, slot, result, following, info)

    async def settle(self, pending: Pending, following: Batches) -> None:
        if len(pending) == 1:
            try:
                results: list[Any] = [await pending[0][3]]
            except Exception as raw:
                results = [raw]
        else:
            results = await asyncio.gather(*(p[3] for p in pending), return_exceptions=True)
        for (field, slot, info, _), result in zip(pending, results):
            if slot.parent is None:
                self.root_outcomes[field.key] = (True, result)
            if isinstance(result, BaseException):
                if not isinstance(result, Exception):
                    raise result
                self.field_error(result, field, slot, RAISED, info.path)
                continue
            self.complete_into(field, slot, result, following, info)

    def arguments(self, field: FieldPlan) -> dict[str, Any] | Exception:
        """The field's arguments: the same for every parent, so coerced once per execution."""
        args = self.arguments_of.get(field)
        if args is None:
            if field.needs_args:
                details = field.details[0]
                try:
                    args = get_argument_values(
                        field.field_def,
                        details.node,
                        self.ex.variable_values,
                        details.fragment_variable_values,
                        self.ex.hide_suggestions,
                    )
                except Exception as raw:
                    args = raw
            else:
                args = {}
            self.arguments_of[field] = args
        return args

    # -- completion ------------------------------------------------------------------------

    def complete_into(
        self,
        field: FieldPlan,
        slot: Slot,
        value: Any,
        following: Batches,
        info: GraphQLResolveInfo | None,
    ) -> None:
        key = field.key
        try:
            slot.out[key] = self.complete(
                field.shape, value, field, slot, key, slot.out, field.index, following, info
            )
        except Exception as raw:
            self.field_error(raw, field, slot, COMPLETING)

    def complete(
        self,
        shape: Shape,
        value: Any,
        field: FieldPlan,
        owner: Slot,
        key: str | int,
        container: Any,
        order: int,
        following: Batches,
        info: GraphQLResolveInfo | None,
    ) -> Any:
        """graphql-core's `complete_value`, with objects left for the next level.

        `owner` is the slot the value sits in (the object for a field, the list for an item).
        """
        if isinstance(value, Exception):
            raise value
        if value is None or value is Undefined:
            if shape.nullable:
                return None
            raise TypeError(
                "Cannot return null for non-nullable field"
                f" {field.parent_type.name}.{field.name}."
            )
        kind = shape.kind
        if kind == LEAF:
            if value.__class__ is shape.fast and (
                not shape.is_int or INT_MIN <= value <= INT_MAX
            ):
                return value
            coerced = shape.coerce(value)  # type: ignore[misc]
            if coerced is Undefined or coerced is None:
                raise TypeError(
                    f"Expected `{inspect(shape.type)}.coerce_output_value("
                    f"{inspect(value)})` to return non-nullable value, returned:"
                    f" {inspect(coerced)}"
                )
            return coerced
        # Path entries of fields carry their parent's type name; list items carry none.
        ptype = field.parent_type.name if key.__class__ is str else None
        if info is None and shape.needs_info:
            info = self.info_for(field, owner)
        if kind == LIST:
            return self.complete_list(
                shape, value, field, owner, key, ptype, container, order, following, info
            )
        assert info is not None or not shape.needs_info
        if kind == ABSTRACT:
            runtime = self.runtime_type(shape, value, field, info)
        else:
            runtime = shape.type
        is_type_of = runtime.is_type_of
        if is_type_of is not None:
            matches = is_type_of(value, info)
            if self.is_awaitable(matches):
                close_awaitable(matches)
                raise NeedsStandard
            if not matches:
                raise invalid_return_type_error(runtime, value, field.details)
        plan = shape.plan_for(self.ex, runtime, field)
        out = dict.fromkeys(plan.keys)
        child = Slot(owner, container, key, ptype, shape.nullable, order, value, out)
        bucket = following.get(plan)
        if bucket is None:
            following[plan] = [child]
        else:
            bucket.append(child)
        return out

    def complete_list(
        self,
        shape: Shape,
        value: Any,
        field: FieldPlan,
        owner: Slot,
        key: str | int,
        ptype: str | None,
        container: Any,
        order: int,
        following: Batches,
        info: GraphQLResolveInfo | None,
    ) -> list[Any]:
        if self.ex.is_async_iterable(value):
            raise NeedsStandard
        if not is_iterable(value):
            raise GraphQLError(
                "Expected Iterable, but did not find one for field"
                f" '{field.parent_type.name}.{field.name}'."
            )
        if not isinstance(value, (list, tuple)):
            value = list(value)  # iterated once here, maybe again from an unusual item
        item_shape = shape.of
        assert item_shape is not None
        out: list[Any] = []
        here = Slot(owner, container, key, ptype, shape.nullable, order, None, out)
        is_awaitable = self.is_awaitable
        if item_shape.kind == OBJECT:
            # The common list (a page's nodes): objects of one type, each a new parent of the
            # next level. Anything unusual about an item goes the general way below.
            runtime = item_shape.type
            is_type_of = runtime.is_type_of
            plan = item_shape.plan_for(self.ex, runtime, field)
            keys, nullable = plan.keys, item_shape.nullable
            bucket = following.get(plan)
            if bucket is None:
                bucket = following[plan] = []
            add = bucket.append
            for index, item in enumerate(value):
                if (
                    item is None
                    or isinstance(item, Exception)
                    or is_awaitable(item)
                    or (is_type_of is not None and not is_type_of(item, info))
                ):
                    self.complete_items(item_shape, value, index, field, here, out, following, info)
                    return out
                item_out = dict.fromkeys(keys)
                add(Slot(here, out, index, None, nullable, index, item, item_out))
                out.append(item_out)
            return out
        self.complete_items(item_shape, value, 0, field, here, out, following, info)
        return out

    def complete_items(
        self,
        item_shape: Shape,
        value: Any,
        start: int,
        field: FieldPlan,
        here: Slot,
        out: list[Any],
        following: Batches,
        info: GraphQLResolveInfo | None,
    ) -> None:
        """graphql-core's completion of list items, from `start` on."""
        is_awaitable = self.is_awaitable
        for index, item in enumerate(value[start:] if start else value, start):
            if is_awaitable(item):
                close_awaitable(item)
                raise NeedsStandard
            try:
                out.append(
                    self.complete(item_shape, item, field, here, index, out, index, following, info)
                )
            except Exception as raw:
                item_path = Path(here.path, index, None)
                error = located_error(raw, field.nodes, item_path.as_list())
                if not item_shape.nullable:
                    raise error from None
                self.record(error, item_path, here.order_key() + (index,), field, COMPLETING)
                out.append(None)

    def runtime_type(
        self, shape: Shape, value: Any, field: FieldPlan, info: GraphQLResolveInfo
    ) -> Any:
        abstract = shape.type
        resolve_type = abstract.resolve_type or self.ex.type_resolver
        name = resolve_type(value, info, abstract)
        if self.is_awaitable(name):
            close_awaitable(name)
            raise NeedsStandard
        return self.ex.ensure_valid_runtime_type(name, abstract, field.details, info, value)

    def info_for(self, field: FieldPlan, owner: Slot) -> GraphQLResolveInfo:
        """The resolve info graphql-core would pass to `is_type_of`/`resolve_type` for a
        plain field (its own path; list items get the list field's info there too)."""
        holder = owner
        while holder.parent is not None and not isinstance(holder.out, dict):
            holder = holder.parent
        path = Path(holder.path, field.key, field.parent_type.name)
        return self.ex.build_resolve_info(
            field.field_def, field.nodes, field.parent_type, path
        )

    # -- errors ----------------------------------------------------------------------------

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


def close_unstarted(pending: Pending) -> None:
    """Coroutines made but never awaited are closed (nothing of them ran), so that they
    neither warn nor leak when the standard executor takes over."""
    for entry in pending:
        close_awaitable(entry[3])


def close_awaitable(awaitable: Any) -> None:
    if asyncio.iscoroutine(awaitable):
        awaitable.close()
