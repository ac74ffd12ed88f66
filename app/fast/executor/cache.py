"""Plans cached per (schema, operation), one per value of the variables `@skip`/`@include` read.

What the planner leaves to the standard executor is decided here, once per document:
subscriptions, introspection at the root, `@defer`/`@stream`, fragment variables.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import TYPE_CHECKING, Any

from graphql import (
    BooleanValueNode,
    DirectiveNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    VariableNode,
)
from graphql.execution.collect_fields import collect_fields
from graphql.language import Visitor, visit

from app.fast.executor.plan import OperationPlan, SelectionPlan

if TYPE_CHECKING:
    from app.fast.executor.context import PlanExecutionContext


class DocumentFacts:
    """What the planner needs to know about an operation once, whatever the variables."""

    __slots__ = ("condition_variables", "plannable", "reason", "variants")

    def __init__(
        self,
        operation: OperationDefinitionNode,
        fragments: dict[str, FragmentDefinitionNode],
    ) -> None:
        scan = _Scan()
        visit(operation, scan)
        for fragment in fragments.values():
            visit(fragment, scan)
        self.reason = scan.unsupported
        self.plannable = not scan.unsupported
        self.condition_variables = tuple(sorted(scan.condition_variables))
        self.variants: dict[tuple[Any, ...], OperationPlan | str] = {}


class _Scan(Visitor):
    """Finds the variables `@skip`/`@include` read, and what the planner leaves to the
    standard executor: `@defer`/`@stream`, fragment variables and arguments."""

    def __init__(self) -> None:
        super().__init__()
        self.condition_variables: set[str] = set()
        self.unsupported = ""  # why the planner leaves the operation ("": it does not)

    def enter_directive(self, node: DirectiveNode, *_args: object) -> None:
        name = node.name.value
        if name in ("defer", "stream"):
            self.unsupported = f"@{name}"
        elif name in ("skip", "include"):
            for argument in node.arguments or ():
                if isinstance(argument.value, VariableNode):
                    self.condition_variables.add(argument.value.name.value)
                elif not isinstance(argument.value, BooleanValueNode):
                    self.unsupported = f"@{name} without a boolean"

    def enter_fragment_definition(self, node: FragmentDefinitionNode, *_args: object) -> None:
        if node.variable_definitions:
            self.unsupported = "fragment variables"

    def enter_fragment_spread(self, node: FragmentSpreadNode, *_args: object) -> None:
        if getattr(node, "arguments", None):
            self.unsupported = "fragment arguments"


class PlanCache:
    """(schema, operation) -> facts and plans; least recently used entries go first.

    Keyed by the identity of the operation's AST node, which belongs to the document the
    parser cache hands out again for the same text (AST nodes cannot be weakly referenced);
    the entry keeps both alive so that their ids are never reused while it exists. The
    schema is part of the key: plans hold its fields, and one parsed document may be run
    against several schemas (the parser cache is shared).
    """

    def __init__(self, maxsize: int = 1024) -> None:
        self.maxsize = maxsize
        self._entries: OrderedDict[
            tuple[int, int], tuple[GraphQLSchema, OperationDefinitionNode, DocumentFacts]
        ] = OrderedDict()

    def facts(
        self,
        schema: GraphQLSchema,
        operation: OperationDefinitionNode,
        fragments: dict[str, FragmentDefinitionNode],
    ) -> DocumentFacts:
        key = (id(schema), id(operation))
        entry = self._entries.get(key)
        if entry is not None and entry[0] is schema and entry[1] is operation:
            self._entries.move_to_end(key)
            return entry[2]
        facts = DocumentFacts(operation, fragments)
        self._entries[key] = (schema, operation, facts)
        if len(self._entries) > self.maxsize:
            self._entries.popitem(last=False)
        return facts

    def clear(self) -> None:
        self._entries.clear()


PLANS = PlanCache()

# Root fields the standard executor answers (introspection).
INTROSPECTION_FIELDS = frozenset({"__schema", "__type"})


def operation_plan(ex: PlanExecutionContext) -> OperationPlan | str:
    """The plan for this execution, or why the standard executor must run it."""
    operation: OperationDefinitionNode = ex.operation
    if operation.operation == OperationType.SUBSCRIPTION:
        return "subscription"
    facts = PLANS.facts(ex.schema, operation, ex.fragment_definitions)
    if not facts.plannable:
        return facts.reason
    coerced = ex.variable_values.coerced
    try:
        variant = tuple(coerced.get(name) for name in facts.condition_variables)
        hash(variant)
    except TypeError:
        return "unhashable condition variables"
    if variant in facts.variants:
        return facts.variants[variant]
    plan = _compile(ex)
    facts.variants[variant] = plan
    return plan


def _compile(ex: PlanExecutionContext) -> OperationPlan | str:
    operation = ex.operation
    root_type = ex.schema.get_root_type(operation.operation)
    if root_type is None:
        return "no root type"
    grouped = collect_fields(
        ex.schema, ex.fragments, ex.variable_values, root_type, operation, ex.hide_suggestions
    ).grouped_field_set
    for details in grouped.values():
        if details[0].node.name.value in INTROSPECTION_FIELDS:
            return "introspection"
    return OperationPlan(
        SelectionPlan(ex, root_type, grouped), operation.operation == OperationType.MUTATION
    )
