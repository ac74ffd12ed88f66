"""A request id for every HTTP response (`x-request-id`), also written next to logged errors.

An incoming id is kept when it looks like one (a proxy's or a client's, for tracing across
services); anything else is replaced by a fresh random UUID (version 4), since the id is
echoed in a header and written to logs.
"""

from __future__ import annotations

import os
import re

from starlette.requests import HTTPConnection
from starlette.types import Message, Scope

REQUEST_ID_HEADER = "x-request-id"
_REQUEST_ID_HEADER = REQUEST_ID_HEADER.encode("latin-1")
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")
# The variant digit of an RFC 4122 UUID: 8, 9, a or b (its two high bits are 10).
_VARIANT = "89ab" * 4


# Random hex digits for the next ids, drawn from `os.urandom` in batches (one system call per
# `_BATCH` ids rather than one per request).
_BATCH = 64
_digits: list[str] = []
# A forked process draws its own (no two processes may hand out the same ids).
os.register_at_fork(after_in_child=_digits.clear)


def new_request_id() -> str:
    """A random UUID (version 4) in its canonical text form.

    What `str(uuid.uuid4())` gives (122 random bits from `os.urandom`), formatted directly
    from random bytes drawn a batch at a time: a fraction of the cost, and every request
    makes one.
    """
    try:
        digits = _digits.pop()
    except IndexError:
        batch = os.urandom(16 * _BATCH).hex()
        _digits.extend(batch[i : i + 32] for i in range(0, len(batch), 32))
        digits = _digits.pop()
    return (
        f"{digits[:8]}-{digits[8:12]}-4{digits[13:16]}-"
        f"{_VARIANT[int(digits[16], 16)]}{digits[17:20]}-{digits[20:]}"
    )


def request_id_of(connection: HTTPConnection) -> str:
    """The id `assign_request_id` gave this request (a fresh one if it did not run)."""
    # `connection.state` is a view of this dict.
    state = connection.scope.setdefault("state", {})
    request_id: str | None = state.get("request_id")
    if request_id is None:
        request_id = state["request_id"] = new_request_id()
    return request_id


def assign_request_id(scope: Scope) -> tuple[str, tuple[bytes, bytes]]:
    """Gives an HTTP request its id (`scope["state"]["request_id"]`): the incoming
    `x-request-id` when it looks like one, else a fresh one. Returns the id and the response
    header that carries it (set by `app.observability.requests.RequestObservation`, the
    middleware every request passes)."""
    incoming = ""
    for name, value in scope["headers"]:
        if name == _REQUEST_ID_HEADER:  # ASGI header names are lowercase
            incoming = value.decode("latin-1")
            break
    request_id = incoming if incoming and _SANE_REQUEST_ID.fullmatch(incoming) else new_request_id()
    scope.setdefault("state", {})["request_id"] = request_id
    return request_id, (_REQUEST_ID_HEADER, request_id.encode("latin-1"))


def with_request_id(message: Message, header: tuple[bytes, bytes]) -> None:
    """Sets the header on a response's start message, replacing any the app wrote (as
    MutableHeaders would), on the raw ASGI message (no header objects built)."""
    headers = [h for h in message.get("headers", ()) if h[0] != _REQUEST_ID_HEADER]
    headers.append(header)
    message["headers"] = headers
