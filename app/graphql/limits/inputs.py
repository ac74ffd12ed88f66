"""Limits on the lists in an operation's input: every list in an argument's value (`in`,
`and`, `or`, ids, basket lines...), however deep in input objects, literal or variable.

Why: what a list costs is paid before the cost limit can see it. A filter object in an `or`
list costs about 0.9 ms of CPU to coerce and convert (graphql-core and strawberry fill in
each of its ~30 fields) before one row is read, and a variable is coerced again for every
field it is given to: one 5,000-item `or` reused in 30 aliases took 39 s of the event loop.
And SQLite refuses a WHERE clause nested more than 1,000 deep, which a long `or` is.

Three limits (settings, with their defaults in docs/limits.md):

- `max_list_length`: the items of any one list;
- `max_list_items`: the items of all lists together, in every argument of every field the
  operation selects, each use of a variable counted again (a variable given to 30 aliases
  is 30 lists), fragments counted where they are spread;
- `max_input_depth`: lists and input objects nested in one argument (a filter nests two per
  level of `and`/`or`: the list and the object in it).

The raw variables are measured before graphql-core coerces them (`variables_error`), so a
list too long is refused before any work on it; the operation's arguments, on their coerced
values, while the cost is priced (`app.graphql.limits.cost`), where each list item also adds
`LIST_ITEM_COST` to the price of its field.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, Final

from graphql import (
    GraphQLError,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLSchema,
    VariableDefinitionNode,
    get_named_type,
    is_input_type,
    is_leaf_type,
    type_from_ast,
)

LIST_TOO_LONG: Final = "LIST_TOO_LONG"
TOO_MANY_LIST_ITEMS: Final = "TOO_MANY_LIST_ITEMS"
INPUT_TOO_DEEP: Final = "INPUT_TOO_DEEP"
TOO_MANY_FILTER_TERMS: Final = "TOO_MANY_FILTER_TERMS"
# Filter inputs are named `<Type>Filter` (app.graphql.filter_inputs), as connections are
# `<Type>Connection` for the cost.
FILTER_SUFFIX: Final = "Filter"
LIST_ITEM_COST: Final = 1


@dataclass(frozen=True)
class InputLimits:
    max_list_length: int
    max_list_items: int
    max_input_depth: int
    max_filter_terms: int


class ListTally:
    """The list items of one operation's input so far, against `limits`.

    `coerced`: the values are graphql-core's coerced values, whose input objects are keyed by
    the fields' Python names (`out_name`); else raw JSON, keyed by the GraphQL names.
    """

    def __init__(self, limits: InputLimits, *, coerced: bool) -> None:
        self.limits = limits
        self.coerced = coerced
        self.items = 0
        self.terms = 0

    def measure(self, value: Any, type_: GraphQLInputType, path: str) -> int:
        """The list items in `value` (of type `type_`, found at `path`); raises the
        `GraphQLError` of the first limit it passes. Iterative: a value may be deep."""
        limits = self.limits
        found = 0
        pending: list[tuple[Any, GraphQLInputType, str, int, bool]] = [
            (value, type_, path, 0, False)
        ]
        while pending:
            value, type_, path, depth, in_filter = pending.pop()
            if isinstance(type_, GraphQLNonNull):
                type_ = type_.of_type
            if value is None:
                continue
            if isinstance(type_, GraphQLList):
                if not isinstance(value, list):  # one value given for a list of one
                    pending.append((value, type_.of_type, path, depth, in_filter))
                    continue
                depth += 1
                self._check_depth(depth, path)
                if len(value) > limits.max_list_length:
                    raise _refusal(
                        f"{path}: {len(value)} items; the limit is {limits.max_list_length} "
                        "per list.",
                        LIST_TOO_LONG,
                        limits.max_list_length,
                        path,
                    )
                found += len(value)
                self.count(len(value), path)
                item_type = type_.of_type
                if is_leaf_type(get_named_type(item_type)):  # `in: [...]`: one term
                    self._count_terms(in_filter, path)
                    continue
                pending.extend(  # reversed: the first item is measured first
                    (value[i], item_type, f"{path}[{i}]", depth, in_filter)
                    for i in range(len(value) - 1, -1, -1)
                )
            elif isinstance(type_, GraphQLInputObjectType) and isinstance(value, dict):
                depth += 1
                self._check_depth(depth, path)
                in_filter = in_filter or type_.name.endswith(FILTER_SUFFIX)
                self._count_terms(in_filter, path)
                for name, field in type_.fields.items():
                    key = (field.out_name or name) if self.coerced else name
                    if key in value:
                        pending.append((value[key], field.type, f"{path}.{name}", depth, in_filter))
            else:
                self._count_terms(in_filter, path)
        return found

    def _count_terms(self, in_filter: bool, path: str) -> None:
        if not in_filter:
            return
        self.terms += 1
        if self.terms > self.limits.max_filter_terms:
            raise _refusal(
                f"{path}: the filters of the request hold more than "
                f"{self.limits.max_filter_terms} terms in all (each object and each value of "
                "a filter counts, each use of a variable again); that is the limit.",
                TOO_MANY_FILTER_TERMS,
                self.limits.max_filter_terms,
                path,
            )

    def count(self, items: int, path: str) -> None:
        """Adds `items` (found at `path`) to the tally; raises when the total passes the limit."""
        self.items += items
        if self.items > self.limits.max_list_items:
            raise _refusal(
                f"{path}: the lists of the request hold more than "
                f"{self.limits.max_list_items} items in all (each use of a variable counts); "
                "that is the limit.",
                TOO_MANY_LIST_ITEMS,
                self.limits.max_list_items,
                path,
            )

    def _check_depth(self, depth: int, path: str) -> None:
        if depth > self.limits.max_input_depth:
            raise _refusal(
                f"{path}: lists and input objects nest more than "
                f"{self.limits.max_input_depth} deep; that is the limit.",
                INPUT_TOO_DEEP,
                self.limits.max_input_depth,
                path,
            )


def variables_error(
    schema: GraphQLSchema,
    definitions: Collection[VariableDefinitionNode],
    variables: dict[str, Any],
    limits: InputLimits,
) -> GraphQLError | None:
    """The refusal of the raw values of the operation's variables (each counted once), before
    graphql-core coerces them; None when they are within the limits."""
    return measured_error(measured_variables(schema, definitions), variables, limits)


def measured_variables(
    schema: GraphQLSchema, definitions: Collection[VariableDefinitionNode]
) -> tuple[tuple[str, GraphQLInputType], ...]:
    """The variables whose values `measured_error` reads: those of an input type that can
    hold a list or an input object. A leaf's value counts for nothing whatever is sent (the
    tally goes by the declared type), so an operation of scalar variables measures none;
    this depends on the document alone, so callers keep it per operation."""
    out = []
    for definition in definitions:
        type_ = type_from_ast(schema, definition.type)
        if type_ is None or not is_input_type(type_):
            continue
        inner = type_.of_type if isinstance(type_, GraphQLNonNull) else type_
        if not is_leaf_type(inner):
            out.append((definition.variable.name.value, type_))
    return tuple(out)


def measured_error(
    measured: tuple[tuple[str, GraphQLInputType], ...],
    variables: dict[str, Any],
    limits: InputLimits,
) -> GraphQLError | None:
    """`variables_error` for the variables `measured_variables` picked."""
    if not measured:
        return None
    tally = ListTally(limits, coerced=False)
    for name, type_ in measured:
        if name in variables:
            try:
                tally.measure(variables[name], type_, f"${name}")
            except GraphQLError as error:
                return error
    return None


def _refusal(message: str, code: str, limit: int, path: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": code, "limit": limit, "at": path})
