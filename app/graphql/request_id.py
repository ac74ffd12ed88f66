"""A request id for every HTTP response (`x-request-id`), also written next to logged errors.

An incoming id is kept when it looks like one (a proxy's or a client's, for tracing across
services); anything else is replaced by a fresh UUID, since the id is echoed in a header and
written to logs.
"""

from __future__ import annotations

import re
import uuid

from starlette.datastructures import MutableHeaders
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUEST_ID_HEADER = "x-request-id"
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")


def request_id_of(connection: HTTPConnection) -> str:
    """The id `RequestIdMiddleware` gave this request (a fresh one if it did not run)."""
    request_id: str | None = getattr(connection.state, "request_id", None)
    if request_id is None:
        request_id = connection.state.request_id = str(uuid.uuid4())
    return request_id


class RequestIdMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = HTTPConnection(scope).headers.get(REQUEST_ID_HEADER, "")
        request_id = incoming if _SANE_REQUEST_ID.fullmatch(incoming) else str(uuid.uuid4())
        scope.setdefault("state", {})["request_id"] = request_id

        async def send_with_request_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = request_id
            await send(message)

        await self.app(scope, receive, send_with_request_id)
