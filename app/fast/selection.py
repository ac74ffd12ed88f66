"""Whether a field's selection asks for a field below it, read from graphql-core's field nodes.

The core answers this from strawberry's `info.selected_fields` (app.graphql.connections), which
converts the whole selection below the field, arguments included, into strawberry's own
objects first. A list asks it up to five times (edges, pageInfo, totalCount and the two page
flags): walking graphql-core's nodes (behind `Info._raw_info`, app.fast.internals) costs a
fraction of that. The plan executor gives requests this one (`Context.selects`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    SelectionNode,
)

if TYPE_CHECKING:
    from app.graphql.context import Info


def selects(info: Info, path: tuple[str, ...]) -> bool:
    """As `app.graphql.connections.selects`: `@skip`/`@include` are not looked at."""
    raw = info._raw_info
    return _selects(raw.field_nodes, path, raw.fragments)


# Module functions, not closures: a recursive closure is a reference cycle, garbage that only
# the collector frees (several per list field and request).
def _selects(
    nodes: Iterable[FieldNode], path: tuple[str, ...], fragments: dict[str, FragmentDefinitionNode]
) -> bool:
    children = [
        child
        for node in nodes
        if node.selection_set is not None
        for child in _fields(node.selection_set.selections, fragments)
        if child.name.value == path[0]
    ]
    return bool(children) and (len(path) == 1 or _selects(children, path[1:], fragments))


def _fields(
    selections: Iterable[SelectionNode], fragments: dict[str, FragmentDefinitionNode]
) -> Iterator[FieldNode]:
    for node in selections:
        if isinstance(node, FieldNode):
            yield node
        elif isinstance(node, InlineFragmentNode):
            yield from _fields(node.selection_set.selections, fragments)
        elif isinstance(node, FragmentSpreadNode):
            yield from _fields(fragments[node.name.value].selection_set.selections, fragments)
