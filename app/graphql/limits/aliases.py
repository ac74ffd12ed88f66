"""Alias limit: how many aliased fields a document writes.

Aliases let one request ask for the same expensive field many times over; they are counted
as written in the document (a fragment spread twice is counted once: the cost limit sees
the repetition).
"""

from __future__ import annotations

from typing import Any

from graphql import ASTValidationRule, DocumentNode, FieldNode, GraphQLError, ValidationContext

TOO_MANY_ALIASES = "TOO_MANY_ALIASES"


def alias_rule(max_aliases: int) -> type[ASTValidationRule]:
    """A validation rule refusing documents with more than `max_aliases` aliases."""

    class AliasCountRule(ASTValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            self._count = 0

        def enter_field(self, node: FieldNode, *_: Any) -> None:
            if node.alias is not None:
                self._count += 1

        def leave_document(self, _node: DocumentNode, *_: Any) -> None:
            if self._count > max_aliases:
                self.report_error(
                    GraphQLError(
                        f"The document uses {self._count} aliases; the limit is {max_aliases}.",
                        extensions={
                            "code": TOO_MANY_ALIASES,
                            "aliases": self._count,
                            "limit": max_aliases,
                        },
                    )
                )

    return AliasCountRule
