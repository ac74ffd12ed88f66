"""Errors the API raises on purpose: their messages are meant for the caller and never masked."""

from __future__ import annotations

from typing import Any

from graphql import GraphQLError

# The time limit reached: the request's (app.http.endpoint) or the wait for SQLite's writer
# lock inside it (app.graphql.mutations.payloads); HTTP 504 when that is the whole response.
TIMEOUT = "TIMEOUT"


class ExpectedError(GraphQLError):
    """A GraphQL error whose message is safe to show (bad argument, access refused...)."""

    code = "BAD_USER_INPUT"

    def __init__(self, message: str, *, code: str | None = None, **extensions: Any) -> None:
        super().__init__(message, extensions={"code": code or self.code, **extensions})


class BadInput(ExpectedError):
    code = "BAD_USER_INPUT"


class Unauthenticated(ExpectedError):
    code = "UNAUTHENTICATED"


class Forbidden(ExpectedError):
    code = "FORBIDDEN"
