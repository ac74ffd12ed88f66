"""Reading a GraphQL-over-HTTP request: GET query parameters or a POST JSON body.

A request that is not well-formed is refused with `Refused` (an HTTP status and a GraphQL
error body) before any GraphQL work: a body over `max_body_bytes` (413), a POST that is not
`application/json` (415), a JSON array (batching is off, 400), parameters of the wrong
type (400), or more than one `Authorization` header (400).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeAlias

import orjson
from starlette.requests import ClientDisconnect, Request

from app.http.negotiation import parse_media_type

BAD_REQUEST = "BAD_REQUEST"
# A JSON object as the client sent it: its values are checked where they are read.
JSONObject: TypeAlias = dict[str, object]


class Refused(Exception):
    """The request is refused as a whole: an HTTP status and one error, no GraphQL result."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str = BAD_REQUEST,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.headers = headers or {}


@dataclass(frozen=True)
class GraphQLParams:
    # None: the document is named by `extensions.persistedQuery` (app.http.persisted_queries).
    query: str | None
    operation_name: str | None = None
    variables: JSONObject | None = None
    extensions: JSONObject | None = None


async def read_params(request: Request, *, max_body_bytes: int) -> GraphQLParams:
    if request.method != "POST":  # GET, or HEAD
        return _params(_from_query_string(request))
    return _params(await _from_json_body(request, max_body_bytes))


def authorization_of(request: Request) -> str | None:
    """The request's `Authorization` header, None without one.

    Two or more are refused rather than one picked: proxies and frameworks differ on which
    one (or which join of them) counts, so a request carrying two has no one caller.
    """
    values = request.headers.getlist("authorization")
    if len(values) > 1:
        raise Refused(400, f"Send one Authorization header: the request has {len(values)}.")
    return values[0] if values else None


def _from_query_string(request: Request) -> JSONObject:
    data: JSONObject = dict(request.query_params)
    for name in ("variables", "extensions"):
        if text := request.query_params.get(name):
            data[name] = _decode_json(text, f"{name}: not valid JSON")
    if data.get("operationName") == "":
        data["operationName"] = None
    return data


async def _from_json_body(request: Request, max_body_bytes: int) -> JSONObject:
    content_type = request.headers.get("content-type")
    if not content_type:
        raise Refused(
            415,
            "Send the request body as JSON (Content-Type: application/json).",
            code="UNSUPPORTED_MEDIA_TYPE",
        )
    media_type, parameters = parse_media_type(content_type)
    charset = parameters.get("charset", "utf-8").lower()
    if media_type != "application/json" or charset not in ("utf-8", "utf8"):
        raise Refused(
            415,
            f"Content-Type {content_type!r} is not supported: send application/json in UTF-8.",
            code="UNSUPPORTED_MEDIA_TYPE",
        )
    body = await _read_body(request, max_body_bytes)
    if not body.strip():
        raise Refused(400, "The request body is empty: send a JSON object with a query.")
    data = _decode_json(body, "The request body is not valid JSON.")
    if isinstance(data, list):
        raise Refused(
            400,
            "Batching is not supported: send one operation per request.",
            code="BATCHING_NOT_SUPPORTED",
        )
    if not isinstance(data, dict):
        raise Refused(400, "The request body must be a JSON object with a query.")
    return data


async def _read_body(request: Request, max_body_bytes: int) -> bytes:
    """The body, read from the ASGI messages as they come, refused (413) past `max_body_bytes`.

    Read from `request.receive` itself rather than through `request.stream()`: the usual
    body is one message, and the async generator (and an error built in advance) were
    measurable on small requests.
    """
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_body_bytes:
        raise _too_large(max_body_bytes)
    # The declared length may be absent (chunked) or wrong: count what actually arrives.
    chunks: list[bytes] = []
    received = 0
    while True:
        message = await request.receive()
        kind = message["type"]
        if kind == "http.request":
            chunk = message.get("body", b"")
            if chunk:
                received += len(chunk)
                if received > max_body_bytes:
                    raise _too_large(max_body_bytes)
                chunks.append(chunk)
            if not message.get("more_body", False):
                break
        elif kind == "http.disconnect":
            raise ClientDisconnect()
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def _too_large(max_body_bytes: int) -> Refused:
    return Refused(
        413,
        f"The request body is larger than {max_body_bytes} bytes.",
        code="REQUEST_TOO_LARGE",
    )


def _decode_json(text: str | bytes, problem: str) -> object:
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        raise Refused(400, problem) from None


def _params(data: JSONObject) -> GraphQLParams:
    query = data.get("query")
    extensions = data.get("extensions")
    # A persisted query may be named by its hash alone (app.http.persisted_queries).
    by_hash = (
        query is None
        and isinstance(extensions, dict)
        and extensions.get("persistedQuery") is not None
    )
    if not isinstance(query, str) and not by_hash:
        raise Refused(400, "query: a GraphQL document (a string) is required.")
    operation_name = data.get("operationName")
    if operation_name is not None and not isinstance(operation_name, str):
        raise Refused(400, "operationName: must be a string or null.")
    variables = data.get("variables")
    for name, value in (("variables", variables), ("extensions", extensions)):
        if value is not None and not isinstance(value, dict):
            raise Refused(400, f"{name}: must be a JSON object or null.")
    return GraphQLParams(
        query=query if isinstance(query, str) else None,
        operation_name=operation_name,
        variables=variables if isinstance(variables, dict) else None,
        extensions=extensions if isinstance(extensions, dict) else None,
    )
