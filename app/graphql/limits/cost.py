"""Query cost: a Shopify-like price of an operation, computed from the document and the
variables before anything executes, and reported in the response's `extensions`.

- A scalar or enum field costs 0; an object field costs 1 plus what it selects.
- A root mutation field costs 10 plus what it selects.
- A connection field (its type's name ends in `Connection`) costs 2, plus what it selects,
  where each list inside it (`edges`, `nodes`) holds one entry per requested row: their cost
  is multiplied by the page size (`first` or `last`, the larger if both; the default page
  size when neither is given). An edge is free (its `node` is the row, costing 1);
  `pageInfo` and `totalCount` count once. So `coupons(first: 10) { nodes { name } }` costs
  2 + 10 x 1 = 12, and every connection nested inside a row multiplies again.
- Fragments on several possible types all add up: an upper bound, never an underestimate.
"""

from __future__ import annotations

from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLInputType,
    GraphQLNamedType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SchemaMetaFieldDef,
    SelectionSetNode,
    TypeMetaFieldDef,
    get_argument_values,
    get_named_type,
    get_nullable_type,
    get_operation_ast,
    get_variable_values,
    is_leaf_type,
    is_list_type,
)
from graphql.execution.values import VariableValues

from app.graphql.limits.inputs import (
    LIST_ITEM_COST,
    InputLimits,
    ListTally,
    measured_error,
    measured_variables,
)

QUERY_TOO_COSTLY = "QUERY_TOO_COSTLY"
OBJECT_COST = 1
CONNECTION_COST = 2
MUTATION_COST = 10
# No limit on the input's lists (the cost alone; tests of the price use it).
NO_INPUT_LIMITS = InputLimits(
    max_list_length=2**63, max_list_items=2**63, max_input_depth=2**63, max_filter_terms=2**63
)


def operation_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: dict[str, Any],
    default_page_size: int,
    inputs: InputLimits = NO_INPUT_LIMITS,
) -> int | None:
    """The cost of the operation `operation_name` of a validated document; None when its
    variables do not coerce (execution refuses them, with graphql-core's errors). Raises the
    refusal of a list over the `inputs` limits."""
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        return 0
    coerced = coerce_variables(schema, operation, variables, inputs)
    if coerced is None:
        return None
    return price(schema, document, operation, coerced, default_page_size, inputs)


def coerce_variables(
    schema: GraphQLSchema,
    operation: OperationDefinitionNode,
    variables: dict[str, Any],
    inputs: InputLimits,
    measured: tuple[tuple[str, GraphQLInputType], ...] | None = None,
) -> VariableValues | None:
    """The variables as execution will see them (graphql-core's own coercion: `1000.0` given
    for an Int is 1000, an absent variable has its default); None when they do not coerce.
    Their lists are measured first, raw: a list too long is refused before it is coerced.
    `measured`: the operation's `measured_variables`, when the caller kept them."""
    definitions = operation.variable_definitions or ()
    if not definitions:
        return VariableValues({}, {})
    if measured is None:
        measured = measured_variables(schema, definitions)
    error = measured_error(measured, variables, inputs)
    if error is not None:
        raise error
    coerced = get_variable_values(
        schema, definitions, variables, max_errors=1, hide_suggestions=True
    )
    return None if isinstance(coerced, list) else coerced


def price(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation: OperationDefinitionNode,
    variables: VariableValues,
    default_page_size: int,
    inputs: InputLimits,
) -> int:
    """The cost of `operation` with its coerced variables; raises the refusal of the lists of
    its arguments (every field's, on their coerced values) over the `inputs` limits."""
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    counter = _CostCounter(
        schema, fragments, variables, default_page_size, ListTally(inputs, coerced=True)
    )
    root = schema.get_root_type(operation.operation)
    if root is None:
        return 0
    return counter.selection_set(
        root, operation.selection_set, mutation_root=operation.operation is OperationType.MUTATION
    )


class _CostCounter:
    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: dict[str, FragmentDefinitionNode],
        variables: VariableValues,
        default_page_size: int,
        lists: ListTally,
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables
        self.default_page_size = default_page_size
        self.lists = lists
        # A fragment's cost depends only on the page size of the connection it sits in; its
        # list items (the second number) count again at each spread.
        self._fragment_costs: dict[tuple[str, int | None, bool], tuple[int, int]] = {}

    def selection_set(
        self,
        parent: GraphQLNamedType,
        selection_set: SelectionSetNode | None,
        *,
        rows: int | None = None,
        mutation_root: bool = False,
    ) -> int:
        """Cost of a selection set on `parent`; `rows` is set when `parent` is a connection."""
        total = 0
        for selection in selection_set.selections if selection_set else ():
            if isinstance(selection, FieldNode):
                total += self.field(parent, selection, rows=rows, mutation_root=mutation_root)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                on = self.schema.get_type(condition.name.value) if condition else parent
                total += self.selection_set(
                    on or parent, selection.selection_set, rows=rows, mutation_root=mutation_root
                )
            elif isinstance(selection, FragmentSpreadNode):
                total += self._fragment(selection.name.value, rows, mutation_root)
        return total

    def field(
        self, parent: GraphQLNamedType, node: FieldNode, *, rows: int | None, mutation_root: bool
    ) -> int:
        definition = _field_definition(parent, node.name.value)
        if definition is None:  # __typename
            return 0
        arguments = self._arguments(definition, node)
        named = get_named_type(definition.type)
        children = node.selection_set
        if mutation_root:
            cost = MUTATION_COST + self.selection_set(named, children)
        elif named.name.endswith("Connection"):
            rows_each = _page_size(arguments, self.default_page_size)
            cost = CONNECTION_COST + self.selection_set(named, children, rows=rows_each)
        elif is_leaf_type(named):
            cost = 0
        else:
            own = 0 if named.name.endswith("Edge") else OBJECT_COST
            cost = own + self.selection_set(named, children)
        cost += LIST_ITEM_COST * self._list_items(definition, node, arguments)
        if rows is not None and is_list_type(get_nullable_type(definition.type)):
            cost *= rows
        return cost

    def _arguments(self, definition: GraphQLField, node: FieldNode) -> dict[str, Any]:
        """The field's arguments as execution will see them (literals, variables, defaults,
        coerced by graphql-core); none when they do not coerce (execution refuses the field)."""
        if not definition.args:
            return {}
        try:
            return get_argument_values(definition, node, self.variables, hide_suggestions=True)
        except GraphQLError:
            return {}

    def _list_items(
        self, definition: GraphQLField, node: FieldNode, arguments: dict[str, Any]
    ) -> int:
        """The list items of the field's arguments (counted against the limits)."""
        items = 0
        key = (node.alias or node.name).value
        for name, argument in definition.args.items():
            out = argument.out_name or name
            if out in arguments:
                items += self.lists.measure(arguments[out], argument.type, f"{key}.{name}")
        return items

    def _fragment(self, name: str, rows: int | None, mutation_root: bool) -> int:
        key = (name, rows, mutation_root)
        known = self._fragment_costs.get(key)
        if known is not None:
            cost, items = known
            self.lists.count(items, name)
            return cost
        fragment = self.fragments[name]
        on = self.schema.get_type(fragment.type_condition.name.value)
        before = self.lists.items
        cost = (
            0
            if on is None
            else self.selection_set(
                on, fragment.selection_set, rows=rows, mutation_root=mutation_root
            )
        )
        self._fragment_costs[key] = (cost, self.lists.items - before)
        return cost


def _page_size(arguments: dict[str, Any], default_page_size: int) -> int:
    """The rows of a connection: `first` or `last` (the larger if both), else the default."""
    sizes = [
        size
        for size in (arguments.get("first"), arguments.get("last"))
        if isinstance(size, int) and not isinstance(size, bool)
    ]
    return max(0, *sizes) if sizes else default_page_size


def _field_definition(parent: GraphQLNamedType, name: str) -> GraphQLField | None:
    if name == "__schema":
        return SchemaMetaFieldDef
    if name == "__type":
        return TypeMetaFieldDef
    fields = getattr(parent, "fields", None)
    return fields.get(name) if fields else None


def too_costly(cost: int, max_cost: int) -> GraphQLError:
    return GraphQLError(
        f"The query costs {cost}; the limit is {max_cost}. Ask for fewer "
        "rows (first/last) or fewer nested lists.",
        extensions={"code": QUERY_TOO_COSTLY, "cost": cost, "limit": max_cost},
    )
