"""GraphQL responses over HTTP: body, media type and status code.

Status codes, for `application/graphql-response+json` (the GraphQL-over-HTTP spec):

| situation | status | `data` entry |
|---|---|---|
| executed (with or without field errors) | 200 | present |
| executed, nothing answered, every error `UNAUTHENTICATED` | 401 + `WWW-Authenticate: Bearer` | absent |
| ... every error `FORBIDDEN` | 403 | absent |
| ... every error `RATE_LIMITED` | 429 + `Retry-After` | absent |
| parse, validation, query limits, unknown operation, variable coercion | 400 | absent |
| persisted query: hash unknown (`PERSISTED_QUERY_NOT_FOUND`) | 404 | absent |
| persisted query: not in the trusted documents (`PERSISTED_QUERY_NOT_IN_LIST`) | 403 | absent |
| time limit reached | 504 (`TIMEOUT`) | absent |
| unexpected failure before execution | 500 (`INTERNAL_SERVER_ERROR`) | absent |
| nothing answered, every error `SERVICE_UNAVAILABLE` (the database unreachable) | 503 + `Retry-After` | absent |
| the database lost in the middle of an answer (some fields read, one `SERVICE_UNAVAILABLE`) | 503 + `Retry-After`, what was read dropped (`app.http.endpoint`) | absent |

"Nothing answered" means `data` is null or every top-level field is null: the caller was
refused as a whole, which the spec answers with 401/403 ("the client is not permitted to
issue the GraphQL request"), as Apollo Router and GitHub do for credentials. A response that
answers anything keeps its data and 200 (a partial response).

For `application/json` (legacy clients), every well-formed request gets 200, as that
section of the spec asks: a non-200 JSON body could come from any proxy, so clients read
GraphQL errors from 200s only. The one exception is the database being unreachable: 503 with
`Retry-After` whatever the media type (the body is the same GraphQL response, `data` null),
because that is the status load balancers, proxies and HTTP clients act on (retry later, try
another instance), and the request was not executed in any way a client could use. Requests that are not well-formed get a 4xx whatever the
media type (see `app.http.http_params`): 400, 405 (mutation over GET, with
`Allow: POST`), 406 (nothing acceptable), 413 (body too large), 415 (not JSON).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import orjson
from graphql import GraphQLFormattedError
from starlette.types import Receive, Scope, Send

from app.graphql.errors import TIMEOUT
from app.http.http_params import Refused
from app.http.masking import INTERNAL_SERVER_ERROR, SERVICE_UNAVAILABLE
from app.http.negotiation import GRAPHQL_RESPONSE_JSON, JSON
from app.http.persisted_queries import PERSISTED_QUERY_NOT_FOUND, PERSISTED_QUERY_NOT_IN_LIST

# Persisted queries (app.http.persisted_queries), as Apollo Server and Apollo Router answer
# them: a 404 rather than a 400, on which older Apollo clients stop sending hashes at all.
PERSISTED_QUERY_STATUSES = {PERSISTED_QUERY_NOT_FOUND: 404, PERSISTED_QUERY_NOT_IN_LIST: 403}
REFUSAL_STATUSES = {"UNAUTHENTICATED": 401, "FORBIDDEN": 403, "RATE_LIMITED": 429, TIMEOUT: 504}


@dataclass
class Outcome:
    """A GraphQL response before it is encoded; errors are already as the caller sees them."""

    errors: list[GraphQLFormattedError]
    data: dict[str, object] | None = None
    # False for request errors (nothing executed): the response has no `data` entry.
    executed: bool = True
    extensions: dict[str, object] | None = None
    # A bearer token was presented and refused (RFC 6750: `error="invalid_token"`).
    token_refused: bool = False


def graphql_response(outcome: Outcome, media_type: str) -> JSONResponse:
    status, headers, with_data = 200, {}, outcome.executed
    if _unanswered(outcome) and _codes(outcome.errors) == {SERVICE_UNAVAILABLE}:
        status, headers = 503, {"retry-after": _retry_after(outcome.errors)}
        with_data = with_data and media_type == JSON
    elif media_type == GRAPHQL_RESPONSE_JSON:
        if not outcome.executed:
            status = _request_error_status(outcome.errors)
        elif (refusal := _refusal(outcome)) is not None:
            status, headers = refusal
            with_data = False
    body: dict[str, object] = {}
    if outcome.errors:
        body["errors"] = outcome.errors
    if with_data:
        body["data"] = outcome.data
    if outcome.extensions:
        body["extensions"] = outcome.extensions
    return _json(body, status, media_type, headers)


def refused_response(refused: Refused, media_type: str) -> JSONResponse:
    error = {"message": refused.message, "extensions": {"code": refused.code}}
    return _json({"errors": [error]}, refused.status, media_type, refused.headers)


class JSONResponse:
    """An encoded response, sent as two ASGI messages.

    What `starlette.responses.Response` sends for the same body and headers (the headers
    given, then `content-length` and `content-type`), without building its header mapping:
    the body is encoded once, by orjson, and the header list is mostly prebuilt. It is an
    ASGI app, as a Starlette response is.
    """

    __slots__ = ("body", "raw_headers", "status_code")

    def __init__(self, body: bytes, status_code: int, raw_headers: list[tuple[bytes, bytes]]):
        self.body = body
        self.status_code = status_code
        self.raw_headers = raw_headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send(
            {"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers}
        )
        await send({"type": "http.response.body", "body": self.body})


_CONTENT_TYPES = {
    media_type: (b"content-type", f"{media_type}; charset=utf-8".encode("latin-1"))
    for media_type in (GRAPHQL_RESPONSE_JSON, JSON)
}


def _json(
    body: dict[str, object], status: int, media_type: str, headers: dict[str, str]
) -> JSONResponse:
    encoded = orjson.dumps(body)
    raw_headers = [
        (name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers.items()
    ]
    raw_headers.append((b"content-length", str(len(encoded)).encode("latin-1")))
    raw_headers.append(
        _CONTENT_TYPES.get(media_type)
        or (b"content-type", f"{media_type}; charset=utf-8".encode("latin-1"))
    )
    return JSONResponse(encoded, status, raw_headers)


def _codes(errors: list[GraphQLFormattedError]) -> set[str]:
    """The errors' codes ("" for an error without one)."""
    return {(error.get("extensions") or {}).get("code") or "" for error in errors}


def _request_error_status(errors: list[GraphQLFormattedError]) -> int:
    codes = _codes(errors)
    if INTERNAL_SERVER_ERROR in codes:
        return 500
    if TIMEOUT in codes:
        return 504
    if len(codes) == 1 and (persisted := PERSISTED_QUERY_STATUSES.get(next(iter(codes)))):
        return persisted
    return 400


def _unanswered(outcome: Outcome) -> bool:
    return outcome.data is None or all(v is None for v in outcome.data.values())


def _retry_after(errors: list[GraphQLFormattedError]) -> str:
    waits = [(error.get("extensions") or {}).get("retryAfter") or 1 for error in errors]
    return str(math.ceil(max(waits)))


def _refusal(outcome: Outcome) -> tuple[int, dict[str, str]] | None:
    codes = _codes(outcome.errors)
    if not _unanswered(outcome) or len(codes) != 1:
        return None
    (code,) = codes
    status = REFUSAL_STATUSES.get(code)
    if status is None:
        return None
    headers: dict[str, str] = {}
    if status == 401:
        headers["www-authenticate"] = (
            'Bearer error="invalid_token"' if outcome.token_refused else "Bearer"
        )
    elif status == 429:
        headers["retry-after"] = _retry_after(outcome.errors)
    return status, headers
