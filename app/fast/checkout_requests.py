"""The checkout's fields without graphql-core's execution: its hot requests.

A checkout sends one of a few documents over and over: one `validateCode`, `redeemCode`,
`validateCodes` or `redeemCodes` field, its input as one variable, a payload of plain fields
(several codes' answers too: a list of plain objects). Through the plain path each
request coerces the variables twice (the cost, then execution), has strawberry convert the
input object field by field (its annotations resolved on every call), builds graphql-core's
execution context and completes the payload field by field: together about half of the
server's CPU time of a check, more than the two statements it sends.

Here, once per document text and operation name, the document is taken from the schema's
document cache, validated by the same rules (`app.graphql.limits`) and recognised as a
checkout document or not (`CheckoutPlan.of`); a recognised one has its payload's selection
compiled into a renderer. Then each request:

1. the operation type must be allowed (a mutation over GET is not ours: the plain path
   refuses it);
2. the input variable is read strictly (`InputReader`): only values graphql-core would take
   as they are (strings for String and ID, 32-bit ints that are not booleans, booleans,
   known enum names, lists of input objects with known fields, null where nullable): anything
   else, which the plain path may coerce or refuse, goes down the plain path;
3. the limits' checks before execution run as on the plain path (`QueryChecks`: the input's
   lists, the cost, NUL characters); a refusal goes down the plain path, which answers it;
4. the field's own resolver runs (the same function, with the request's context: access,
   the failed-lookup brake, the use case, its refusals), its errors located as graphql-core
   locates them;
5. the payload is rendered by the compiled selection: each field read from the payload
   object by its Python name and serialised by its GraphQL type (graphql-core's `serialize`).

The result is strawberry's `ExecutionResult` made the way the lean path makes it, so the
endpoint (deadlines, masking, request ids, persisted queries, status codes) treats it as any
other. Anything not recognised (fragments, directives, aliases that repeat, fields with
resolvers or arguments, interfaces, several operations, other variables) takes the plain path.
tests/fast/test_checkout_requests.py sends the same requests through both paths and requires
byte-identical responses.
"""

from __future__ import annotations

from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import MISSING
from types import SimpleNamespace
from typing import Any, ClassVar, Final

import strawberry
from graphql import (
    ExecutionResult as GraphQLExecutionResult,
)
from graphql import (
    FieldNode,
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLScalarType,
    GraphQLSchema,
    ListTypeNode,
    NamedTypeNode,
    NonNullTypeNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    Undefined,
    VariableNode,
    located_error,
)
from strawberry.extensions.runner import SchemaExtensionsRunner
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType as StrawberryOperationType

from app.fast.lean_schema import Shortcut
from app.graphql.limits.prepared import QueryChecks, QueryChecksFactory
from app.graphql.limits.text import variables_error

# The checkout's fields: the root type they hang on, and their one argument.
CHECKOUT_FIELDS: Final = {
    ("query", "validateCode"): "input",
    ("mutation", "redeemCode"): "input",
    ("query", "validateCodes"): "input",
    ("mutation", "redeemCodes"): "input",
}
MAX_PLANS: Final = 256
MAX_SHAPES: Final = 64  # input shapes whose verdict a plan remembers
_BACKREF: Final = GraphQLCoreConverter.DEFINITION_BACKREF
_INT_MIN, _INT_MAX = -(2**31), 2**31 - 1
_OPERATION_TYPES: Final = {
    OperationType.QUERY: StrawberryOperationType.QUERY,
    OperationType.MUTATION: StrawberryOperationType.MUTATION,
}


class NotHandled(Exception):
    """The request (or document) is not one this path answers: the plain path does."""


_NOT_HANDLED: Final = NotHandled()

# --- the input -------------------------------------------------------------------------------

Reader = Callable[[Any], Any]


def _leaf_reader(graphql_type: GraphQLScalarType | GraphQLEnumType) -> Reader:
    """A scalar or enum value as graphql-core would coerce it, for the values it takes as they
    are; `NotHandled` for any other (which graphql-core may coerce, or refuse)."""
    if isinstance(graphql_type, GraphQLEnumType):
        # strawberry's enum type parses a name into the Python enum's member
        members = {name: graphql_type.parse_value(name) for name in graphql_type.values}

        def enum(value: Any) -> Any:
            if type(value) is str and value in members:
                return members[value]
            raise _NOT_HANDLED

        return enum
    name = graphql_type.name
    if name in ("String", "ID"):

        def string(value: Any) -> Any:
            if type(value) is str:
                return value
            raise _NOT_HANDLED

        return string
    if name == "Int":

        def integer(value: Any) -> Any:
            if type(value) is int and _INT_MIN <= value <= _INT_MAX:
                return value
            raise _NOT_HANDLED

        return integer
    if name == "Boolean":

        def boolean(value: Any) -> Any:
            if type(value) is bool:
                return value
            raise _NOT_HANDLED

        return boolean

    def other(_value: Any) -> Any:  # custom scalars (instants...): their own parsing
        raise _NOT_HANDLED

    return other


def input_reader(graphql_type: GraphQLInputType) -> Reader:
    """Reads a JSON value of `graphql_type` into what strawberry's argument conversion makes
    of it (input objects built from their class), for the plain values only (above)."""
    inner: Any = graphql_type
    nullable = not isinstance(graphql_type, GraphQLNonNull)
    if isinstance(graphql_type, GraphQLNonNull):
        inner = graphql_type.of_type
    read = _inner_reader(inner)
    if nullable:

        def maybe_null(value: Any) -> Any:
            return None if value is None else read(value)

        return maybe_null

    def not_null(value: Any) -> Any:
        if value is None:
            raise _NOT_HANDLED
        return read(value)

    return not_null


def _inner_reader(graphql_type: Any) -> Reader:
    if isinstance(graphql_type, GraphQLList):
        item = input_reader(graphql_type.of_type)

        def items(value: Any) -> Any:
            if type(value) is not list:  # graphql-core would make a list of one: not ours
                raise _NOT_HANDLED
            return [item(v) for v in value]

        return items
    if isinstance(graphql_type, GraphQLInputObjectType):
        return _object_reader(graphql_type)
    if isinstance(graphql_type, GraphQLScalarType | GraphQLEnumType):
        return _leaf_reader(graphql_type)
    raise NotHandled(graphql_type)


def _object_reader(graphql_type: GraphQLInputObjectType) -> Reader:
    definition = graphql_type.extensions.get(_BACKREF)
    if definition is None or definition.from_input is not None or definition.is_one_of:
        raise NotHandled(graphql_type.name)
    cls = definition.origin
    by_name = {field.python_name: field for field in definition.fields}
    fields: dict[str, tuple[str, Reader]] = {}
    required: list[str] = []
    implicit: dict[str, None] = {}
    for name, input_field in graphql_type.fields.items():
        strawberry_field = input_field.extensions.get(_BACKREF)
        if strawberry_field is None or strawberry_field.python_name not in by_name:
            raise NotHandled(f"{graphql_type.name}.{name}")
        python_name = strawberry_field.python_name
        fields[name] = (python_name, input_reader(input_field.type))
        has_default = not (
            strawberry_field.default is MISSING and strawberry_field.default_factory is MISSING
        )
        if isinstance(input_field.type, GraphQLNonNull) and input_field.default_value is Undefined:
            required.append(name)
        elif not has_default:  # strawberry's implicit None (its convert_argument)
            implicit[python_name] = None

    def read(value: Any) -> Any:
        if type(value) is not dict:
            raise _NOT_HANDLED
        kwargs = dict(implicit)
        for name, given in value.items():
            known = fields.get(name)
            if known is None:  # an unknown field: graphql-core's error
                raise _NOT_HANDLED
            kwargs[known[0]] = known[1](given)
        for name in required:
            if name not in value:
                raise _NOT_HANDLED
        return cls(**kwargs)

    return read


# --- the payload -------------------------------------------------------------------------------

Render = Callable[[Any], Any]


def _output_render(graphql_type: GraphQLOutputType, selection: SelectionSetNode | None) -> Render:
    """Renders a resolved value of `graphql_type` as graphql-core's completion would."""
    inner: Any = graphql_type
    nullable = not isinstance(graphql_type, GraphQLNonNull)
    if isinstance(graphql_type, GraphQLNonNull):
        inner = graphql_type.of_type
    render = _inner_render(inner, selection)
    if nullable:
        return lambda value: None if value is None else render(value)

    def not_null(value: Any) -> Any:
        if value is None:  # the payload types never do this; graphql-core would raise
            raise TypeError("a non-null field of the payload is None")
        return render(value)

    return not_null


def _inner_render(graphql_type: Any, selection: SelectionSetNode | None) -> Render:
    if isinstance(graphql_type, GraphQLList):
        item = _output_render(graphql_type.of_type, selection)
        return lambda value: [item(v) for v in value]
    if isinstance(graphql_type, GraphQLScalarType | GraphQLEnumType):
        if selection is not None:
            raise NotHandled("a selection on a leaf")
        serialize = graphql_type.serialize
        return serialize
    if isinstance(graphql_type, GraphQLObjectType):
        if selection is None:
            raise NotHandled("an object without a selection")
        return _object_render(graphql_type, selection)
    raise NotHandled(getattr(graphql_type, "name", graphql_type))  # interfaces, unions


def _object_render(graphql_type: GraphQLObjectType, selection: SelectionSetNode) -> Render:
    parts: list[tuple[str, str | None, Render | None]] = []
    keys: set[str] = set()
    for node in selection.selections:
        if not isinstance(node, FieldNode) or node.directives or node.arguments:
            raise NotHandled("fragments, directives or arguments")
        key = node.alias.value if node.alias else node.name.value
        if key in keys:  # fields merged by graphql-core: not ours
            raise NotHandled("a repeated response key")
        keys.add(key)
        if node.name.value == "__typename":
            parts.append((key, None, None))
            continue
        field: GraphQLField | None = graphql_type.fields.get(node.name.value)
        definition = None if field is None else field.extensions.get(_BACKREF)
        if field is None or definition is None or not _plain_field(definition):
            raise NotHandled(f"{graphql_type.name}.{node.name.value}")
        parts.append((key, definition.python_name, _output_render(field.type, node.selection_set)))
    name = graphql_type.name

    def render(value: Any) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, attribute, render_value in parts:
            if render_value is None:
                out[key] = name
            else:
                out[key] = render_value(getattr(value, attribute))  # type: ignore[arg-type]
        return out

    return render


def _plain_field(field: Any) -> bool:
    """A field strawberry answers with the attribute of its Python name, nothing else."""
    return (
        field.base_resolver is None
        and not field.extensions
        and not field.permission_classes
        and not field.directives
        and not field.arguments
    )


# --- the plan ----------------------------------------------------------------------------------


class CheckoutPlan:
    """One checkout document, recognised and compiled (see the module docstring)."""

    def __init__(
        self,
        *,
        prepared: Any,
        operation_name: str | None,
        operation_type: StrawberryOperationType,
        field_node: FieldNode,
        key: str,
        variable: str,
        argument: str,
        read_input: Reader,
        resolver: Callable[..., Any],
        takes_self: bool,
        info_name: str | None,
        strawberry_field: Any,
        render: Render,
        nullable: bool,
    ) -> None:
        self.prepared = prepared
        self.operation_name = operation_name
        self.operation_type = operation_type
        self.field_node = field_node
        self.key = key
        self.variable = variable
        self.argument = argument
        self.read_input = read_input
        self.resolver = resolver
        self.takes_self = takes_self
        self.info_name = info_name
        self.strawberry_field = strawberry_field
        self.render = render
        self.nullable = nullable
        # The checks' verdict (the cost) per input shape: a checkout document's cost and
        # input limits depend on its variables only through their lists (`input_shape`).
        self._costs: dict[Any, int | None] = {}

    def check(self, checks: QueryChecks, variables: dict[str, Any]) -> None:
        """The limits' checks before execution (`QueryChecks.check_before_execution`), run in
        full once per input shape; for a shape that passed, only what depends on the values
        themselves is checked again (NUL characters). `NotHandled` for a refusal, which the
        plain path answers, as it would have."""
        shape = input_shape(variables)
        costs = self._costs
        if shape in costs:
            cost = costs[shape]
            if cost is None or variables_error(variables) is not None:
                raise _NOT_HANDLED
            checks.cost = cost
            return
        try:
            checks.check_before_execution(self.operation_name)
        except Exception:
            raise _NOT_HANDLED from None
        if len(costs) < MAX_SHAPES:
            costs[shape] = checks.cost
        if checks.cost is None:  # the variables do not coerce: execution's errors
            raise _NOT_HANDLED

    @classmethod
    def of(
        cls, schema: GraphQLSchema, factory: QueryChecksFactory, query: str, name: str | None
    ) -> CheckoutPlan:
        """The plan of a checkout document; `NotHandled` for any other."""
        try:
            prepared = factory.cache.get(query)
        except Exception as error:  # a refusal: the plain path words it
            raise NotHandled("parse") from error
        if prepared.validation_errors(schema, factory.rules_after_specified, factory.specified_key):
            raise NotHandled("invalid")
        if prepared.nul_literal() is not None:
            raise NotHandled("a NUL in a literal")
        definitions = prepared.document.definitions
        if len(definitions) != 1 or not isinstance(definitions[0], OperationDefinitionNode):
            raise NotHandled("not one operation")
        operation = definitions[0]
        operation_name = operation.name.value if operation.name else None
        if name is not None and name != operation_name:
            raise NotHandled("another operation name")
        declarations = operation.variable_definitions or ()
        if operation.directives or len(declarations) != 1:
            raise NotHandled("directives or other variables")
        selections = operation.selection_set.selections
        if len(selections) != 1 or not isinstance(selections[0], FieldNode):
            raise NotHandled("not one field")
        field_node = selections[0]
        argument = CHECKOUT_FIELDS.get((operation.operation.value, field_node.name.value))
        root = schema.get_root_type(operation.operation)
        if argument is None or root is None or field_node.directives:
            raise NotHandled("not a checkout field")
        field = root.fields[field_node.name.value]
        definition = field.extensions.get(_BACKREF)
        arguments = field_node.arguments or ()
        if (
            definition is None
            or definition.base_resolver is None
            or not definition.base_resolver.is_async
            or definition.extensions
            or definition.permission_classes
            or len(arguments) != 1
            or arguments[0].name.value != argument
            or not isinstance(arguments[0].value, VariableNode)
        ):
            raise NotHandled("not the checkout's resolver and argument")
        declared = declarations[0]
        variable = declared.variable.name.value
        if (
            arguments[0].value.name.value != variable
            or declared.default_value is not None
            or declared.directives
            or _type_text(declared.type) != f"{field.args[argument].type}"
        ):
            raise NotHandled("another variable")
        python_argument = definition.arguments[0].python_name
        if len(definition.arguments) != 1 or python_argument != argument:
            raise NotHandled("other arguments")
        resolver = definition.base_resolver
        if resolver.root_parameter is not None or resolver.parent_parameter is not None:
            raise NotHandled("a resolver given its parent")
        # As strawberry calls it: the root value first for a method (`self`), the info by
        # its parameter's name when it takes one (validateCodes' is a plain function).
        info_parameter = resolver.info_parameter
        return cls(
            prepared=prepared,
            operation_name=operation_name,
            operation_type=_OPERATION_TYPES[operation.operation],
            field_node=field_node,
            key=field_node.alias.value if field_node.alias else field_node.name.value,
            variable=variable,
            argument=argument,
            read_input=input_reader(field.args[argument].type),
            resolver=resolver.wrapped_func,
            takes_self=resolver.self_parameter is not None,
            info_name=None if info_parameter is None else info_parameter.name,
            strawberry_field=definition,
            render=_output_render(field.type, field_node.selection_set),
            nullable=not isinstance(field.type, GraphQLNonNull),
        )


def input_shape(value: Any) -> Any:
    """What the limits' verdict on a checkout input can depend on (its lists' lengths, how
    deep it nests, which fields it gives): the value with every scalar replaced by its type."""
    kind = type(value)
    if kind is dict:
        return tuple([(name, input_shape(item)) for name, item in value.items()])
    if kind is list:
        return (list, *[input_shape(item) for item in value])
    return kind


def _type_text(node: Any) -> str:
    if isinstance(node, NonNullTypeNode):
        return f"{_type_text(node.type)}!"
    if isinstance(node, ListTypeNode):
        return f"[{_type_text(node.type)}]"
    assert isinstance(node, NamedTypeNode)
    return node.name.value


class CheckoutSchema(strawberry.Schema):
    """A schema whose `execute` answers the checkout's documents itself (the module
    docstring) through its `shortcut`, which `LeanSchema.execute` asks first; every other
    request through the shortcuts after it in the MRO and the lean path."""

    _lean_checks: QueryChecksFactory | None
    # Requests answered here, and checkout documents left to the plain path (tests, metrics).
    stats: ClassVar[Counter[str]] = Counter()
    # Asked by `LeanSchema.execute`, before the classes after this one in the MRO.
    shortcut = Shortcut(
        find="checkout_plan",
        answer="_execute_plan",
        declined=NotHandled,
        counts=stats,
        answered="answered",
        fell_back="plain",
        takes=lambda allowed: allowed is not None,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._checkout_plans: OrderedDict[tuple[str, str | None], CheckoutPlan | None] = (
            OrderedDict()
        )

    def checkout_plan(self, query: str | None, operation_name: str | None) -> CheckoutPlan | None:
        factory = getattr(self, "_lean_checks", None)
        if factory is None or query is None:
            return None
        key = (query, operation_name)
        plans = self._checkout_plans
        if key in plans:
            return plans[key]
        try:
            plan: CheckoutPlan | None = CheckoutPlan.of(
                self._schema, factory, query, operation_name
            )
        except NotHandled:
            plan = None
        if len(query) <= 64 * 1024:
            plans[key] = plan
            while len(plans) > MAX_PLANS:
                plans.popitem(last=False)
        return plan

    async def _execute_plan(  # noqa: PLR0917
        self,
        plan: CheckoutPlan,
        query: str | None,
        variable_values: dict[str, Any] | None,
        context_value: Any,
        root_value: Any,
        allowed_operation_types: Iterable[StrawberryOperationType],
        operation_extensions: dict[str, Any] | None,
    ) -> ExecutionResult:
        if plan.operation_type not in allowed_operation_types or type(variable_values) is not dict:
            raise _NOT_HANDLED
        given = plan.read_input(variable_values.get(plan.variable))
        factory = self._lean_checks
        assert factory is not None  # a plan is made only with the lean checks
        context = self._create_execution_context(
            query=query,
            allowed_operation_types=allowed_operation_types,
            variable_values=variable_values,
            context_value=context_value,
            root_value=root_value,
            operation_name=plan.operation_name,
            operation_extensions=operation_extensions,
        )
        context.graphql_document = plan.prepared.document
        checks = factory()
        checks.execution_context = context
        checks.prepared = plan.prepared
        plan.check(checks, variable_values)
        runner = SchemaExtensionsRunner(execution_context=context, extensions=[checks])
        info = strawberry.Info(
            _raw_info=SimpleNamespace(context=context_value, root_value=root_value),  # type: ignore[arg-type]
            _field=plan.strawberry_field,
        )
        errors = None
        try:
            arguments = {plan.argument: given}
            if plan.info_name is not None:
                arguments[plan.info_name] = info
            payload = await (
                plan.resolver(root_value, **arguments)
                if plan.takes_self
                else plan.resolver(**arguments)
            )
            data: dict[str, Any] | None = {plan.key: plan.render(payload)}
        except Exception as error:  # as graphql-core locates a resolver's error
            errors = [located_error(error, [plan.field_node], [plan.key])]
            data = {plan.key: None} if plan.nullable else None
        result = GraphQLExecutionResult(data, errors)
        if errors:
            context.pre_execution_errors = errors
            self._process_errors(errors, context)
        return await self._handle_execution_result(
            context, result, runner, skip_process_errors=True
        )


__all__ = ["CheckoutPlan", "CheckoutSchema", "NotHandled", "input_reader"]
