"""Which errors a caller may read, and the masked form of the others.

Expected (shown as raised):
- errors graphql-core makes itself: syntax, validation (our limits included), a null in a
  non-null field (they carry no `original_error`);
- errors raised on purpose: `ExpectedError` and any `GraphQLError` with `extensions.code`;
- the caller's input refused while variables or literals were coerced, by graphql-core or by
  a scalar's parser (no response path, a place in the document; the message is about the
  caller's own value).

A database that cannot be reached (down, restarting, the connection lost: see
`app.db.errors.database_unavailable`) is not a bug: the caller gets `SERVICE_UNAVAILABLE` with
`retryAfter` (HTTP 503 with `Retry-After`, `app.http.responses`) and the log one line.

Anything else (a bug, a statement the database refused, a timeout of a driver...) becomes
`{"message": "Internal server error", "extensions": {"code": "INTERNAL_SERVER_ERROR",
"requestId": ...}}` and is logged with its traceback and the request id: no stack trace, SQL
or path of this machine reaches the caller.
"""

from __future__ import annotations

import logging
import re

from graphql import GraphQLError, GraphQLFormattedError

from app.db.errors import database_unavailable

INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"
SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"
# What a caller is told to wait before trying again while the database is unreachable: a
# PostgreSQL restart or failover takes a few seconds.
UNAVAILABLE_RETRY_AFTER_SECONDS = 5
# graphql-core's suggestions: "Cannot query field 'x' on type 'Query'. Did you mean 'y'?",
# and the same for arguments, types, enum values and input fields. The coercion of values goes
# on after it ("... Did you mean 'code' or 'or'? Found: {...}."), so it is cut wherever it is;
# the names it quotes are GraphQL names, which hold no "?".
_SUGGESTION = re.compile(r"\s*Did you mean [^?]*\?")

logger = logging.getLogger(__name__)


def is_expected(error: GraphQLError) -> bool:
    cause = error.original_error
    if cause is None:
        return True
    if isinstance(cause, GraphQLError) and "code" in (cause.extensions or {}):
        return True
    # No response path but a place in the document: the caller's input (a variable, a literal)
    # refused by graphql-core or by a scalar's parser while it was coerced.
    return (
        error.path is None
        and bool(error.locations)
        and isinstance(cause, (GraphQLError, ValueError, TypeError))
    )


def present_error(
    error: GraphQLError, *, request_id: str, suggestions: bool
) -> GraphQLFormattedError:
    """The error as the caller sees it; an unexpected one is logged here, once."""
    if is_expected(error):
        formatted = error.formatted
        if not suggestions:
            formatted = {**formatted, "message": _SUGGESTION.sub("", formatted["message"])}
        return formatted
    return masked_error(error.original_error or error, request_id, path=error.path)


def masked_error(
    error: BaseException, request_id: str, *, path: list[str | int] | None = None
) -> GraphQLFormattedError:
    """What the caller sees of an unexpected error, which is logged here: the database
    unavailable, or an internal error."""
    if database_unavailable(error):
        # An operational state, not a bug: one line per request, no traceback.
        logger.warning("database unavailable (request %s): %r", request_id, error)
        masked: GraphQLFormattedError = {
            "message": "The database is unavailable; try again in a few seconds.",
            "extensions": {
                "code": SERVICE_UNAVAILABLE,
                "retryAfter": UNAVAILABLE_RETRY_AFTER_SECONDS,
                "requestId": request_id,
            },
        }
    else:
        logger.error("unexpected error (request %s, path %s)", request_id, path, exc_info=error)
        masked = {
            "message": "Internal server error",
            "extensions": {"code": INTERNAL_SERVER_ERROR, "requestId": request_id},
        }
    if path:
        masked["path"] = path
    return masked
