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
from typing import TYPE_CHECKING, Any

from graphql import GraphQLError, OperationType
from graphql.execution.values import get_argument_values
from graphql.pyutils import Path
from strawberry.types.arguments import convert_arguments

from app.fast.executor.complete import RAISED, Completion
from app.fast.executor.errors import ErrorLog
from app.fast.executor.plan import BATCH, PLAIN, TYPENAME, FieldPlan, SelectionPlan
from app.fast.executor.slots import (
    Batches,
    Grouped,
    NeedsStandard,
    Pending,
    Slot,
    close_unstarted,
)

if TYPE_CHECKING:
    from app.fast.executor.context import PlanExecutionContext

__all__ = ["NeedsStandard", "Run", "Slot"]


# Argument values remembered per batch field (documents whose variables vary widely, such
# as a cursor per page, start again when there are more).
CONVERTED_PER_FIELD = 32


class Run(Completion, ErrorLog):
    """The state of one execution (or of one root field of a mutation)."""

    def __init__(self, ex: PlanExecutionContext) -> None:
        self.ex = ex
        self.is_awaitable = ex.is_awaitable
        self.events: list[tuple[tuple[int, ...], GraphQLError, Path | None]] = []
        self.sources: set[tuple[FieldPlan, int]] = set()
        self.arguments_of: dict[FieldPlan, dict[str, Any] | Exception] = {}
        self.remembers_arguments = ex.operation.operation == OperationType.QUERY
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
            grouped: Grouped = []
            try:
                for selection, slots in batches.items():
                    if not slots:  # an empty list made its plan's bucket
                        continue
                    if selection.fill is not None:
                        self.scalars(selection, slots, following)
                    for field in selection.others:
                        if field.kind == PLAIN:
                            self.plain(field, slots, following)
                        elif field.kind == BATCH:
                            self.call_batch(field, selection, slots, grouped)
                        else:
                            self.call(field, selection, slots, following, pending)
            except BaseException:
                close_unstarted(pending)
                close_unstarted(grouped)
                raise
            if pending or grouped:
                await self.settle(pending, grouped, following)
            if len(self.sources) > 1:
                raise NeedsStandard("competing errors")
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
        for slot, value in zip(slots, values, strict=False):
            self.complete_into(field, slot, value, following, None)

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

    def call_batch(
        self, field: FieldPlan, selection: SelectionPlan, slots: list[Slot], grouped: Grouped
    ) -> None:
        """One call of the field's batch for all the parents (see `app.fast.batches`).

        The batch gets what strawberry would give each parent's resolver: the arguments
        converted to its Python types (once: they are the same for every parent) and an
        `Info` (the first parent's: the path differs only by list indices).
        """
        self.ex.stats["batches"] += 1
        args = self.arguments(field)
        if isinstance(args, Exception):
            for slot in slots:
                self.field_error(args, field, slot, RAISED)
            return
        path = Path(slots[0].path, field.key, selection.type_name)
        raw_info = self.ex.build_resolve_info(field.field_def, field.nodes, selection.type, path)
        schema = self.ex.strawberry
        definition = field.definition
        info = schema.config.info_class(_raw_info=raw_info, _field=definition)
        try:
            # Most requests of a document pass the same values: converted once. The input
            # objects are shared, read-only, by the requests that pass the same ones; the
            # arguments that convert to themselves (a page's cursor) are left out of the key
            # and given as they are, so paging on keeps the same filter and order objects.
            verbatim = field.verbatim
            rest = (
                {k: v for k, v in args.items() if k not in field.verbatim_names}
                if verbatim
                else args
            )
            known = repr(rest) if rest else ""
            converted = field.converted.get(known)
            if converted is None:
                converted = convert_arguments(
                    rest,
                    definition.arguments,
                    scalar_registry=schema.schema_converter.scalar_registry,
                    config=schema.config,
                    info=info,
                )
                if len(field.converted) >= CONVERTED_PER_FIELD:
                    field.converted.clear()
                field.converted[known] = converted
            if verbatim:
                converted = {
                    **converted,
                    **{python: args[name] for name, python in verbatim if name in args},
                }
            assert field.batch is not None
            results = field.batch([slot.source for slot in slots], info, **converted)
        except Exception as raw:
            self.batch_failed(raw, field, slots)
            return
        grouped.append((field, slots, raw_info, results))

    def batch_failed(self, raw: Exception, field: FieldPlan, slots: list[Slot]) -> None:
        """A batch that raised: every parent's resolver would have raised it."""
        for slot in slots:
            if slot.parent is None:
                self.root_outcomes[field.key] = (True, raw)
            self.field_error(raw, field, slot, RAISED)

    async def settle(self, pending: Pending, grouped: Grouped, following: Batches) -> None:
        awaitables = [p[3] for p in pending] + [g[3] for g in grouped]
        if len(awaitables) == 1:
            try:
                results: list[Any] = [await awaitables[0]]
            except Exception as raw:
                results = [raw]
        else:
            results = await asyncio.gather(*awaitables, return_exceptions=True)
        for (field, slots, _, _), outcome in zip(grouped, results[len(pending) :], strict=False):
            if isinstance(outcome, BaseException):
                if not isinstance(outcome, Exception):
                    raise outcome
                self.batch_failed(outcome, field, slots)
                continue
            if len(outcome) != len(slots):
                raise TypeError(
                    f"the batch of {field.name} gave {len(outcome)} results"
                    f" for {len(slots)} parents"
                )
            for slot, result in zip(slots, outcome, strict=False):
                if slot.parent is None:
                    self.root_outcomes[field.key] = (True, result)
                if isinstance(result, Exception):
                    self.field_error(result, field, slot, RAISED)
                else:
                    self.complete_into(field, slot, result, following, None)
        for (field, slot, info, _), result in zip(pending, results, strict=False):
            if slot.parent is None:
                self.root_outcomes[field.key] = (True, result)
            if isinstance(result, BaseException):
                if not isinstance(result, Exception):
                    raise result
                self.field_error(result, field, slot, RAISED, info.path)
                continue
            self.complete_into(field, slot, result, following, info)

    def arguments(self, field: FieldPlan) -> dict[str, Any] | Exception:
        """The field's arguments: the same for every parent, so coerced once per execution,
        and remembered with the plan by the values of the variables they read (resolvers
        get them as their own keyword arguments and do not change the values)."""
        args = self.arguments_of.get(field)
        if args is None:
            if field.needs_args:
                details = field.details[0]
                key: tuple[str, ...] | None = None
                # Queries only: a mutation's input may be large, and is seldom sent twice.
                if details.fragment_variable_values is None and self.remembers_arguments:
                    coerced = self.ex.variable_values.coerced
                    key = tuple(
                        repr(coerced[name]) if name in coerced else "-"
                        for name in field.argument_variables
                    )
                    args = field.arguments.get(key)
                if args is None:
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
                        if key is not None:
                            if len(field.arguments) >= CONVERTED_PER_FIELD:
                                field.arguments.clear()
                            field.arguments[key] = args
            else:
                args = {}
            self.arguments_of[field] = args
        return args
