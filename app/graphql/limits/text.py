"""Text values: a string holding a NUL character (U+0000) is refused before execution.

No text of this API may hold one (codes, names, references, filters...), and PostgreSQL cannot
store or even compare it (`invalid byte sequence for encoding "UTF8": 0x00`), so the request is
refused as a whole, the same way on every database, naming where the character was found.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from graphql import DocumentNode, GraphQLError, StringValueNode, Visitor, VisitorAction, visit

NUL = "\x00"
MESSAGE = "String values must not contain the NUL character (U+0000)"


class _FindNul(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.found: StringValueNode | None = None

    def enter_string_value(self, node: StringValueNode, *_args: Any) -> VisitorAction:
        if NUL in node.value:
            self.found = node
            return self.BREAK
        return None


def _variable_with_nul(value: object, path: str) -> str | None:
    if isinstance(value, str):
        return path if NUL in value else None
    if isinstance(value, dict):
        items: Iterable[tuple[object, object]] = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return None
    for key, item in items:
        found = _variable_with_nul(
            item, f"{path}.{key}" if isinstance(key, str) else f"{path}[{key}]"
        )
        if found is not None:
            return found
    return None


def nul_in_literals(document: DocumentNode) -> StringValueNode | None:
    """The first string literal of the document holding a NUL (a property of the text alone,
    so `app.graphql.limits.prepared` asks once per document)."""
    finder = _FindNul()
    visit(document, finder)
    return finder.found


def literal_error(node: StringValueNode) -> GraphQLError:
    return GraphQLError(f"{MESSAGE}.", nodes=[node], extensions={"code": "BAD_USER_INPUT"})


def variables_error(variables: dict[str, Any] | None) -> GraphQLError | None:
    """The refusal of the first variable value holding a NUL, if any (asked per request)."""
    for name, value in (variables or {}).items():
        where = _variable_with_nul(value, f"${name}")
        if where is not None:
            return GraphQLError(
                f"{MESSAGE}: {where}.", extensions={"code": "BAD_USER_INPUT", "variable": where}
            )
    return None
