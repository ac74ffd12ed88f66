"""Plans: what the breadth-first executor does for a document, compiled once (see `cache`).

A plan is built from graphql-core's own field collection (`collect_fields` /
`collect_subfields`), so merging, aliases, fragments and `@skip`/`@include` follow the spec
exactly as the standard executor applies them. Those two directives may depend on variables:
a document keeps one plan per combination of the values of the variables they read.

Selection plans below the root are compiled lazily, on the first object of a given concrete
type that reaches them, and then kept with the operation plan: most documents repeat, so the
compilation cost is paid once per document (the parser cache keeps returning the same
`DocumentNode` for the same query text).
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from graphql import (
    FieldNode,
    GraphQLBoolean,
    GraphQLField,
    GraphQLID,
    GraphQLInt,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLString,
    VariableNode,
    is_abstract_type,
    is_leaf_type,
    is_list_type,
    is_non_null_type,
    is_object_type,
)
from graphql.execution.collect_fields import FieldDetailsList, collect_subfields
from strawberry.types.base import StrawberryMaybe, StrawberryOptional

from app.fast.batches import Batch, batch_for
from app.fast.executor.fill import compile_filler
from app.graphql.field_sources import source_of

if TYPE_CHECKING:
    from app.fast.executor.context import PlanExecutionContext

# How a field gets its value.
PLAIN = 0  # a strawberry field without resolver: `getattr(source, python_name)`
RESOLVER = 1  # anything else: the GraphQL resolve function, one call per parent
TYPENAME = 2  # `__typename`: the parent's concrete type name
BATCH = 3  # a field whose source is declared: its batch, one call for all parents

# What a value completes to (the composite kinds last: `kind >= OBJECT`).
LEAF = 0
LIST = 1
OBJECT = 2
ABSTRACT = 3

# Built-in scalars whose serialisation is the identity for values of exactly this Python
# type (graphql-core's serialize_string / serialize_id / serialize_boolean return them as
# they are); Int also needs its 32-bit range check. Everything else goes through
# `coerce_output_value`, so messages and errors stay graphql-core's.
_IDENTITY_TYPES: dict[int, type] = {
    id(GraphQLString): str,
    id(GraphQLID): str,
    id(GraphQLBoolean): bool,
    id(GraphQLInt): int,
}

STRAWBERRY_BACKREF = "strawberry-definition"
STRAWBERRY_CONVERTER = "strawberry.schema.schema_converter"


class Shape:
    """How to complete a value of one (possibly wrapped) output type."""

    __slots__ = (
        "coerce", "exact", "fast", "is_int", "kind", "needs_info", "nullable", "of", "plans",
        "type",
    )  # fmt: skip

    def __init__(self, type_: GraphQLOutputType) -> None:
        self.nullable = not is_non_null_type(type_)
        named: Any = type_.of_type if is_non_null_type(type_) else type_
        self.type = named
        self.of: Shape | None = None
        self.coerce: Callable[[Any], Any] | None = None
        self.fast: type | None = None
        self.is_int = False
        self.exact: type | None = None
        # concrete object type -> its selection plan (lazy; see `plan_for`)
        self.plans: dict[GraphQLObjectType, SelectionPlan] = {}
        if is_list_type(named):
            self.kind = LIST
            self.of = Shape(named.of_type)
        elif is_leaf_type(named):
            self.kind = LEAF
            self.coerce = named.coerce_output_value
            self.fast = _IDENTITY_TYPES.get(id(named))
            self.is_int = named is GraphQLInt
        elif is_abstract_type(named):
            self.kind = ABSTRACT
        elif is_object_type(named):
            self.kind = OBJECT
            self.exact = exact_class(named)
        else:  # pragma: no cover - validated schemas have no other output types
            raise TypeError(f"unexpected output type {named}")
        # Completing it calls `is_type_of` or `resolve_type`, which take a resolve info.
        self.needs_info: bool = (
            self.kind == ABSTRACT
            or (self.kind == OBJECT and named.is_type_of is not None)
            or (self.of is not None and self.of.needs_info)
        )

    def plan_for(
        self, ex: PlanExecutionContext, runtime_type: GraphQLObjectType, field: FieldPlan
    ) -> SelectionPlan:
        plan = self.plans.get(runtime_type)
        if plan is None:
            grouped = collect_subfields(
                ex.schema,
                ex.fragments,
                ex.variable_values,
                ex.operation,
                runtime_type,
                field.details,
                ex.hide_suggestions,
            ).grouped_field_set
            plan = self.plans[runtime_type] = SelectionPlan(ex, runtime_type, grouped)
        return plan


def exact_class(type_: GraphQLObjectType) -> type | None:
    """The class whose instances (not `strawberry.cast`) strawberry's own `is_type_of` for
    this object type accepts without looking further: the type's Python class, or the
    generic class of a specialised generic type. None when the type has no such check, or
    a check of its own."""
    definition = (type_.extensions or {}).get(STRAWBERRY_BACKREF)
    check = type_.is_type_of
    if definition is None or check is None or check.__module__ != STRAWBERRY_CONVERTER:
        return None
    # a specialised generic (`Connection[Coupon]`) accepts instances of the generic class
    generic = getattr(definition, "concrete_of", None)
    origin = definition.origin if generic is None else generic.origin
    # the check reads the instance's `__dict__` (a `strawberry.cast` mark would be there)
    return origin if getattr(origin, "__dictoffset__", 0) else None


class FieldPlan:
    """One response key of a selection set: the merged field nodes and how to execute them."""

    __slots__ = (
        "attribute",
        "argument_variables",
        "arguments",
        "batch",
        "converted",
        "definition",
        "details",
        "field_def",
        "getter",
        "index",
        "key",
        "kind",
        "name",
        "needs_args",
        "nodes",
        "parent_type",
        "resolve",
        "shape",
        "verbatim",
        "verbatim_names",
    )

    def __init__(
        self,
        ex: PlanExecutionContext,
        parent_type: GraphQLObjectType,
        index: int,
        key: str,
        details: FieldDetailsList,
        field_def: GraphQLField,
    ) -> None:
        node: FieldNode = details[0].node
        self.key = key
        self.index = index
        self.name = node.name.value
        self.details = details
        self.nodes = [d.node for d in details]
        self.field_def = field_def
        self.parent_type = parent_type
        self.shape = Shape(field_def.type)
        self.needs_args = bool(field_def.args or node.arguments)
        self.getter: Callable[[Any], Any] | None = None
        self.attribute: str | None = None
        self.resolve: Callable[..., Any] = field_def.resolve or ex.field_resolver
        self.definition: Any = (field_def.extensions or {}).get(STRAWBERRY_BACKREF)
        self.batch: Batch | None = None
        # (GraphQL name, Python name) of a batch's arguments that convert to themselves
        self.verbatim: tuple[tuple[str, str], ...] = ()
        self.verbatim_names: frozenset[str] = frozenset()
        # A batch's arguments converted to strawberry's Python values, by their GraphQL
        # values (see `Run.call_batch`).
        self.converted: dict[str, dict[str, Any]] = {}
        # The coerced arguments by the values of the variables they read (see
        # `Run.arguments`), and those variables' names.
        self.arguments: dict[tuple[str, ...], dict[str, Any]] = {}
        self.argument_variables = tuple(
            sorted(
                {name for argument in node.arguments or () for name in variables_in(argument.value)}
            )
        )
        if self.name == "__typename":
            self.kind = TYPENAME
        elif (attribute := plain_attribute(field_def)) is not None:
            self.kind = PLAIN
            self.attribute = attribute
            self.getter = operator.attrgetter(attribute)
        elif (batch := batch_resolver(ex, field_def)) is not None:
            self.kind = BATCH
            self.batch = batch
            self.verbatim = verbatim_arguments(ex, self.definition)
            self.verbatim_names = frozenset(name for name, _python in self.verbatim)
        else:
            self.kind = RESOLVER


def variables_in(value: object) -> set[str]:
    """The variables a value literal reads (lists and input objects walked)."""
    if isinstance(value, VariableNode):
        return {value.name.value}
    found: set[str] = set()
    for item in getattr(value, "values", None) or ():  # ListValueNode
        found |= variables_in(item)
    for field in getattr(value, "fields", None) or ():  # ObjectValueNode
        found |= variables_in(field.value)
    return found


def plain_attribute(field_def: GraphQLField) -> str | None:
    """The Python attribute a strawberry field reads, when it has no resolver at all.

    Only strawberry's "basic field" path qualifies (no resolver, no field extensions, no
    exception handlers, the default `getattr` resolver): for it, graphql-core calls
    `_get_basic_result`, which is `getattr(source, python_name)` and nothing else.
    """
    definition = (field_def.extensions or {}).get(STRAWBERRY_BACKREF)
    if definition is None or not getattr(definition, "is_basic_field", False):
        return None
    if getattr(definition, "default_resolver", None) is not getattr:
        return None
    if getattr(field_def.resolve, "__name__", "") != "_get_basic_result":
        return None
    return definition.python_name  # type: ignore[no-any-return]


def verbatim_arguments(ex: PlanExecutionContext, definition: Any) -> tuple[tuple[str, str], ...]:
    """(GraphQL name, Python name) of the field's arguments of the built-in scalars, whose
    values strawberry's conversion hands over as they are (a list's page size and cursors):
    the rest's conversion is then remembered whatever their values (see `Run.call_batch`)."""
    config = ex.strawberry.config
    found = []
    for argument in definition.arguments:
        type_ = argument.type
        if isinstance(type_, StrawberryMaybe):  # converted into `Some(value)`
            continue
        if isinstance(type_, StrawberryOptional):
            type_ = type_.of_type
        if type_ in _VERBATIM:
            found.append((config.name_converter.from_argument(argument), argument.python_name))
    return tuple(found)


_VERBATIM = (str, int, bool, float)


def batch_resolver(ex: PlanExecutionContext, field_def: GraphQLField) -> Batch | None:
    """The batch of a strawberry field whose source is declared (app.fast.batches), when
    nothing stands between strawberry's resolve function and its resolver: no field
    extensions (they wrap each call), no exception handlers (strawberry's `_async_resolver`
    then only builds the `Info`, converts the arguments and calls it)."""
    definition: Any = (field_def.extensions or {}).get(STRAWBERRY_BACKREF)
    resolver = getattr(definition, "base_resolver", None)
    if resolver is None or definition.extensions or ex.strawberry is None:
        return None
    if ex.strawberry.schema_converter.exception_handlers:
        return None
    if getattr(field_def.resolve, "__name__", "") not in ("_async_resolver", "_resolver"):
        return None
    source = source_of(definition)
    return None if source is None else batch_for(source)


class SelectionPlan:
    """The fields to execute on objects of one concrete type, in response order."""

    __slots__ = ("_subsets", "fields", "fill", "keys", "others", "scalars", "type", "type_name")

    def __init__(
        self,
        ex: PlanExecutionContext,
        type_: GraphQLObjectType,
        grouped: dict[str, FieldDetailsList],
    ) -> None:
        self.type = type_
        self.type_name = type_.name
        fields: list[FieldPlan] = []
        for key, details in grouped.items():
            field_def = ex.schema.get_field(type_, details[0].node.name.value)
            if field_def is None:  # graphql-core leaves unknown fields out of the response
                continue
            fields.append(FieldPlan(ex, type_, len(fields), key, details, field_def))
        self._subsets: dict[str, SelectionPlan] = {}
        self._index(fields)

    def _index(self, fields: list[FieldPlan]) -> None:
        self.fields = fields
        # Response objects start as `dict.fromkeys(keys)`: fields are then filled in any
        # order (plain fields for all parents at once, resolvers later) and the keys keep the
        # selection set's order, as graphql-core's response does.
        self.keys = tuple(f.key for f in fields)
        # Plain scalar fields and `__typename` are filled by one compiled loop (`fill`), the
        # others (objects, lists, resolvers) one field at a time.
        self.scalars = [f for f in fields if f.kind == PLAIN and f.shape.kind == LEAF]
        typenames = [f.key for f in fields if f.kind == TYPENAME]
        self.others = [f for f in fields if f not in self.scalars and f.kind != TYPENAME]
        self.fill = (
            compile_filler(self.scalars, self.type_name, typenames)
            if self.scalars or typenames
            else None
        )

    def subset(self, field: FieldPlan) -> SelectionPlan:
        """This plan with one of its fields only (a mutation's root fields run one by one)."""
        subset = self._subsets.get(field.key)
        if subset is None:
            subset = object.__new__(SelectionPlan)
            subset.type, subset.type_name = self.type, self.type_name
            subset._subsets = {}
            subset._index([field])
            self._subsets[field.key] = subset
        return subset


class OperationPlan:
    __slots__ = ("lists", "rendered", "root", "serial")

    def __init__(self, root: SelectionPlan, serial: bool) -> None:
        self.root = root
        self.serial = serial
        # What the operation's top-level lists worked out from the document (see
        # `app.graphql.connections`), kept with the plan.
        self.lists: dict[Any, Any] = {}
        # What the context's renderer worked out for this operation's lists, kept with the
        # plan (see `app.fast.rendering`).
        self.rendered: dict[Any, Any] = {}
