"""Completing values as graphql-core does, objects excepted: they wait for the next level.

`complete` is graphql-core's `complete_value` (null checks, lists, leaves through the
scalar's `coerce_output_value`, abstract types through `resolve_type`, `is_type_of`), except
that an object value becomes a response dict with its keys in place and a `Slot` for the
next level, instead of being completed at once. Lists of objects, the bulk of a response,
take a shorter path; any unusual item goes through the general one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from graphql import GraphQLError, GraphQLResolveInfo, located_error
from graphql.execution.executor import invalid_return_type_error
from graphql.pyutils import Path, Undefined, inspect, is_iterable
from orjson import Fragment
from strawberry.types.cast import TYPE_CAST_ATTRIBUTE

from app.fast.executor.plan import ABSTRACT, LEAF, LIST, OBJECT, FieldPlan, Shape
from app.fast.executor.slots import Batches, NeedsStandard, Slot, close_awaitable

if TYPE_CHECKING:
    from app.fast.executor.context import PlanExecutionContext

INT_MIN, INT_MAX = -(2**31), 2**31 - 1
Info = GraphQLResolveInfo[Any]

# Error phases: raised by the resolver (or its arguments), or found completing its value.
RAISED, COMPLETING = 0, 1


class Completion:
    """Part of `Run`: value completion (its errors go to `ErrorLog`)."""

    ex: PlanExecutionContext
    is_awaitable: Any

    if TYPE_CHECKING:  # from ErrorLog

        def field_error(
            self, raw: Exception, field: FieldPlan, slot: Slot, phase: int,
            path: Path | None = None,
        ) -> None: ...  # fmt: skip

        def record(
            self, error: GraphQLError, position: Path | None, order: tuple[int, ...],
            field: FieldPlan, phase: int,
        ) -> None: ...  # fmt: skip

    def complete_into(
        self,
        field: FieldPlan,
        slot: Slot,
        value: Any,
        following: Batches,
        info: Info | None,
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
        info: Info | None,
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
                f"Cannot return null for non-nullable field {field.parent_type.name}.{field.name}."
            )
        kind = shape.kind
        if value.__class__ is Fragment and kind >= OBJECT:  # rendered in the database, whole
            return value  # (an object, or a record of an interface: `node(id:)`)
        if kind == LEAF:
            number: Any = value  # (narrowed to `object` by the class test below)
            if value.__class__ is shape.fast and (not shape.is_int or INT_MIN <= number <= INT_MAX):
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
        if kind == LIST:  # builds the info it needs, if any
            return self.complete_list(
                shape, value, field, owner, key, ptype, container, order, following, info
            )
        if (
            kind == OBJECT
            and value.__class__ is shape.exact
            and TYPE_CAST_ATTRIBUTE not in value.__dict__
        ):
            runtime = shape.type  # what `is_type_of` would accept (see `Shape.exact`)
        else:
            if info is None and shape.needs_info:
                info = self.info_for(field, owner)
            assert info is not None or not shape.needs_info
            if kind == ABSTRACT:
                assert info is not None  # an abstract shape needs it
                runtime = self.runtime_type(shape, value, field, info)
            else:
                runtime = shape.type
            is_type_of = runtime.is_type_of
            if is_type_of is not None:
                matches = is_type_of(value, info)
                if self.is_awaitable(matches):
                    close_awaitable(matches)
                    raise NeedsStandard("awaitable is_type_of")
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
        info: Info | None,
    ) -> list[Any]:
        if value.__class__ is not list and value.__class__ is not tuple:
            if self.ex.is_async_iterable(value):
                raise NeedsStandard("async iterable list")
            if not is_iterable(value):
                raise GraphQLError(
                    "Expected Iterable, but did not find one for field"
                    f" '{field.parent_type.name}.{field.name}'."
                )
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
            exact = item_shape.exact
            for index, item in enumerate(value):
                # An instance of exactly the type's class, not cast: strawberry's `is_type_of`
                # would say yes (see `Shape.exact`).
                if item.__class__ is not exact or TYPE_CAST_ATTRIBUTE in item.__dict__:
                    if item.__class__ is Fragment:  # rendered in the database, whole
                        out.append(item)
                        continue
                    if info is None and item_shape.needs_info:
                        info = self.info_for(field, owner)
                    if (
                        item is None
                        or isinstance(item, Exception)
                        or is_awaitable(item)
                        or (is_type_of is not None and not is_type_of(item, info))
                    ):
                        self.complete_items(
                            item_shape, value, index, field, here, out, following, info
                        )
                        return out
                item_out = dict.fromkeys(keys)
                add(Slot(here, out, index, None, nullable, index, item, item_out))
                out.append(item_out)
            return out
        if info is None and item_shape.needs_info:
            info = self.info_for(field, owner)
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
        info: Info | None,
    ) -> None:
        """graphql-core's completion of list items, from `start` on."""
        is_awaitable = self.is_awaitable
        for index, item in enumerate(value[start:] if start else value, start):
            if is_awaitable(item):
                close_awaitable(item)
                raise NeedsStandard("awaitable list item")
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

    def runtime_type(self, shape: Shape, value: Any, field: FieldPlan, info: Info) -> Any:
        abstract = shape.type
        resolve_type = abstract.resolve_type or self.ex.type_resolver
        name = resolve_type(value, info, abstract)
        if self.is_awaitable(name):
            close_awaitable(name)
            raise NeedsStandard("awaitable resolve_type")
        return self.ex.ensure_valid_runtime_type(name, abstract, field.details, info, value)

    def info_for(self, field: FieldPlan, owner: Slot) -> Info:
        """The resolve info graphql-core would pass to `is_type_of`/`resolve_type` for a
        plain field (its own path; list items get the list field's info there too)."""
        holder = owner
        while holder.parent is not None and not isinstance(holder.out, dict):
            holder = holder.parent
        path = Path(holder.path, field.key, field.parent_type.name)
        return self.ex.build_resolve_info(field.field_def, field.nodes, field.parent_type, path)
