"""Depth limit: how many fields deep the longest path of an operation goes, through fragments.

`{ coupons { nodes { site { name } } } }` is 4 deep. The introspection entry points
`__schema` and `__type` are not counted: GraphiQL's own introspection query nests `ofType`
nine times, and graphql-core's `MaxIntrospectionDepthRule` (added next to this rule) already
guards introspection against fan-out.
"""

from __future__ import annotations

from typing import Any

from graphql import (
    ASTValidationRule,
    FieldNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    VisitorAction,
)
from graphql.language import SKIP

QUERY_TOO_DEEP = "QUERY_TOO_DEEP"
INTROSPECTION_ENTRY_POINTS = frozenset({"__schema", "__type"})


def depth_rule(max_depth: int) -> type[ASTValidationRule]:
    """A validation rule refusing operations deeper than `max_depth` fields.

    Made once per schema: the rule class is part of strawberry's validation cache key.
    """

    class QueryDepthRule(ASTValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            # A fragment's depth does not depend on where it is spread: measure it once.
            self._fragment_depths: dict[str, int] = {}
            self._entered: set[str] = set()

        def enter_operation_definition(
            self, node: OperationDefinitionNode, *_: Any
        ) -> VisitorAction:
            depth = self._depth(node.selection_set)
            if depth > max_depth:
                name = node.name.value if node.name else "anonymous"
                self.report_error(
                    GraphQLError(
                        f"The operation '{name}' is {depth} fields deep; the limit is {max_depth}.",
                        node,
                        extensions={"code": QUERY_TOO_DEEP, "depth": depth, "limit": max_depth},
                    )
                )
            return SKIP  # the walk above has seen everything this rule needs

        def _depth(self, selection_set: SelectionSetNode) -> int:
            deepest = 0
            for selection in selection_set.selections:
                if isinstance(selection, FieldNode):
                    if selection.name.value in INTROSPECTION_ENTRY_POINTS:
                        continue
                    below = self._depth(selection.selection_set) if selection.selection_set else 0
                    deepest = max(deepest, 1 + below)
                elif isinstance(selection, InlineFragmentNode):
                    deepest = max(deepest, self._depth(selection.selection_set))
                elif isinstance(selection, FragmentSpreadNode):
                    deepest = max(deepest, self._fragment_depth(selection.name.value))
            return deepest

        def _fragment_depth(self, name: str) -> int:
            if name in self._fragment_depths:
                return self._fragment_depths[name]
            fragment = self.context.get_fragment(name)
            # Unknown fragments and cycles are reported by the specified rules.
            if fragment is None or name in self._entered:
                return 0
            self._entered.add(name)
            depth = self._depth(fragment.selection_set)
            self._entered.discard(name)
            self._fragment_depths[name] = depth
            return depth

    return QueryDepthRule
