"""The schema class: strawberry's, without its own error log."""

from __future__ import annotations

from graphql import GraphQLError
from strawberry.types import ExecutionContext

from app.graphql.lean_schema import LeanSchema


class QuietSchema(LeanSchema):
    """strawberry's schema without its own error log (and with the lean `execute` of
    `app.graphql.lean_schema`).

    strawberry logs every error, expected ones included and without the request id; the
    endpoint logs each unexpected error once, with the request id, when it masks it
    (`app.http.masking`).
    """

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        return None
