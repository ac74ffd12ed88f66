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
    GraphQLNamedType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationType,
    SchemaMetaFieldDef,
    SelectionSetNode,
    TypeMetaFieldDef,
    VariableNode,
    get_named_type,
    get_nullable_type,
    get_operation_ast,
    is_leaf_type,
    is_list_type,
)

QUERY_TOO_COSTLY = "QUERY_TOO_COSTLY"
OBJECT_COST = 1
CONNECTION_COST = 2
MUTATION_COST = 10


def operation_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: dict[str, Any],
    default_page_size: int,
) -> int:
    """The cost of the operation `operation_name` of a validated document."""
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        return 0
    values = dict(variables)
    for definition in operation.variable_definitions or ():
        name = definition.variable.name.value
        if name not in values and isinstance(definition.default_value, IntValueNode):
            values[name] = int(definition.default_value.value)
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    counter = _CostCounter(schema, fragments, values, default_page_size)
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
        variables: dict[str, Any],
        default_page_size: int,
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables
        self.default_page_size = default_page_size
        # A fragment's cost depends only on the page size of the connection it sits in.
        self._fragment_costs: dict[tuple[str, int | None, bool], int] = {}

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
        named = get_named_type(definition.type)
        children = node.selection_set
        if mutation_root:
            cost = MUTATION_COST + self.selection_set(named, children)
        elif named.name.endswith("Connection"):
            cost = CONNECTION_COST + self.selection_set(named, children, rows=self._page_size(node))
        elif is_leaf_type(named):
            cost = 0
        else:
            own = 0 if named.name.endswith("Edge") else OBJECT_COST
            cost = own + self.selection_set(named, children)
        if rows is not None and is_list_type(get_nullable_type(definition.type)):
            cost *= rows
        return cost

    def _fragment(self, name: str, rows: int | None, mutation_root: bool) -> int:
        key = (name, rows, mutation_root)
        if key not in self._fragment_costs:
            fragment = self.fragments[name]
            on = self.schema.get_type(fragment.type_condition.name.value)
            self._fragment_costs[key] = (
                0
                if on is None
                else self.selection_set(
                    on, fragment.selection_set, rows=rows, mutation_root=mutation_root
                )
            )
        return self._fragment_costs[key]

    def _page_size(self, node: FieldNode) -> int:
        sizes = [
            size
            for size in (self._int_argument(node, "first"), self._int_argument(node, "last"))
            if size is not None
        ]
        return max(0, *sizes) if sizes else self.default_page_size

    def _int_argument(self, node: FieldNode, name: str) -> int | None:
        """A literal or variable integer argument (anything else: let execution refuse it)."""
        for argument in node.arguments or ():
            if argument.name.value != name:
                continue
            value = argument.value
            if isinstance(value, IntValueNode):
                return int(value.value)
            if isinstance(value, VariableNode):
                given = self.variables.get(value.name.value)
                if isinstance(given, int) and not isinstance(given, bool):
                    return given
        return None


def _field_definition(parent: GraphQLNamedType, name: str) -> GraphQLField | None:
    if name == "__schema":
        return SchemaMetaFieldDef
    if name == "__type":
        return TypeMetaFieldDef
    fields = getattr(parent, "fields", None)
    return fields.get(name) if fields else None


PAGE_SIZE_ARGUMENTS = ("first", "last")


def page_size_variables(document: DocumentNode) -> tuple[str, ...]:
    """The variables the cost of any operation of `document` can depend on: those given to a
    `first` or `last` argument anywhere in it (sorted). Every other variable leaves the cost
    unchanged, so the cost of an operation is a function of the document, the operation name
    and these variables' values alone (`app.graphql.limits.prepared` caches it so).
    """
    names: set[str] = set()
    pending: list[Any] = list(document.definitions)
    while pending:
        node = pending.pop()
        if isinstance(node, FieldNode):
            for argument in node.arguments or ():
                if argument.name.value in PAGE_SIZE_ARGUMENTS and isinstance(
                    argument.value, VariableNode
                ):
                    names.add(argument.value.name.value)
        selection_set = getattr(node, "selection_set", None)
        if selection_set is not None:
            pending.extend(selection_set.selections)
    return tuple(sorted(names))


def too_costly(cost: int, max_cost: int) -> GraphQLError:
    return GraphQLError(
        f"The query costs {cost}; the limit is {max_cost}. Ask for fewer "
        "rows (first/last) or fewer nested lists.",
        extensions={"code": QUERY_TOO_COSTLY, "cost": cost, "limit": max_cost},
    )
