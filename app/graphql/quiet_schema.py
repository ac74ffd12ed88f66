"""The schema class: strawberry's, without its own error log."""

from __future__ import annotations

import strawberry
from graphql import GraphQLError
from strawberry.types import ExecutionContext

from app.graphql.limits.prepared import DocumentCache


class QuietSchema(strawberry.Schema):
    """strawberry's schema without its own error log (the fast path adds its lean `execute`:
    app.fast.lean_schema).

    strawberry logs every error, expected ones included and without the request id; the
    endpoint logs each unexpected error once, with the request id, when it masks it
    (`app.http.masking`).
    """

    # The prepared documents of this schema (app.graphql.limits; tests look at its hits and
    # misses), set by `build_schema`.
    document_cache: DocumentCache | None = None

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        return None
