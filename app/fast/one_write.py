"""A response's head and body in one socket write, under uvicorn's httptools protocol.

uvicorn writes an ASGI response as its messages come: the status line and headers on
`http.response.start` (one `transport.write`, one `send` system call), the body on
`http.response.body` (another). For a small GraphQL response that is two TCP segments and two
wake-ups of the client where one would do, and the second system call is a measurable part of
the server's CPU for a one-record query (the head's write cost about as much as the body's).

`one_write(send)` returns a `send` that holds the head uvicorn formats for the start message
and writes it with the body, in one `writelines` (one `writev`): uvicorn still does all of
the formatting and checking (status line, header validation, `content-length` accounting,
keep-alive, HEAD), only the transport it writes to is, for the two calls, a stand-in that
holds or prepends the head. It applies only when

- `send` is uvicorn's httptools `RequestResponseCycle.send` (its `transport` attribute is the
  private name relied on; `app.fast.internals` lists it), and
- the start message has a `content-length` header: a response whose body comes at once (every
  response of the GraphQL endpoint and GraphiQL). A streamed one (chunked) keeps uvicorn's
  own writes, so its head is not delayed until its first chunk.

Anything else gets `send` unchanged. A HEAD request (uvicorn writes no body) or a body send
that writes nothing gets its head written after it; a connection the client dropped meanwhile
gets nothing, as uvicorn would do.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol, cast

from starlette.types import Message, Send

try:  # the pinned uvicorn's httptools protocol (constraints.txt)
    from uvicorn.protocols.http.httptools_impl import RequestResponseCycle as HttpToolsCycle
except ImportError:  # pragma: no cover - httptools absent: uvicorn's own writes
    HttpToolsCycle = None  # type: ignore[assignment,misc]


class _Transport(Protocol):
    """What uvicorn's cycle calls on its transport (uvloop's or asyncio's)."""

    def write(self, data: bytes) -> None: ...

    def writelines(self, data: Iterable[bytes]) -> None: ...

    def close(self) -> None: ...

    def is_closing(self) -> bool: ...


class _Cycle(Protocol):
    """What is used of uvicorn's `RequestResponseCycle`: the transport it writes to."""

    transport: _Transport
    disconnected: bool


class _HoldHead:
    """Stands in for the transport while uvicorn writes the head: keeps it."""

    __slots__ = ("head",)

    def __init__(self) -> None:
        self.head = b""

    def write(self, data: bytes) -> None:
        self.head += data

    def writelines(self, data: Iterable[bytes]) -> None:
        self.head += b"".join(data)

    def close(self) -> None:  # pragma: no cover - uvicorn closes after a body, not a head
        raise RuntimeError("a response's head is being held")

    def is_closing(self) -> bool:  # pragma: no cover
        return False


class _HeadFirst:
    """Stands in for the transport while uvicorn writes the body: the head goes first, in the
    same system call."""

    __slots__ = ("head", "real")

    def __init__(self, real: _Transport, head: bytes) -> None:
        self.real = real
        self.head: bytes | None = head

    def write(self, data: bytes) -> None:
        head, self.head = self.head, None
        if head is None:
            self.real.write(data)
        else:
            self.real.write(head + data)

    def writelines(self, data: Iterable[bytes]) -> None:
        head, self.head = self.head, None
        self.real.writelines(data if head is None else (head, *data))

    def flush(self) -> None:
        head, self.head = self.head, None
        if head is not None:
            self.real.write(head)

    def close(self) -> None:
        self.flush()
        self.real.close()

    def is_closing(self) -> bool:
        return self.real.is_closing()


class _OneWrite:
    __slots__ = ("cycle", "head", "send")

    def __init__(self, send: Send, cycle: _Cycle) -> None:
        self.send = send
        self.cycle = cycle
        self.head: bytes | None = None

    async def __call__(self, message: Message) -> None:
        cycle = self.cycle
        if message["type"] == "http.response.start":
            if not _has_length(message):
                await self.send(message)
                return
            real = cycle.transport
            held = _HoldHead()
            cycle.transport = held
            try:
                await self.send(message)
            finally:
                cycle.transport = real
            self.head = held.head or None
            return
        head, self.head = self.head, None
        if head is None:
            await self.send(message)
            return
        real = cycle.transport
        first = _HeadFirst(real, head)
        cycle.transport = first
        try:
            await self.send(message)
        finally:
            cycle.transport = real
            if first.head is not None and not cycle.disconnected:
                first.flush()  # HEAD, or nothing written: the head alone


def _has_length(message: Message) -> bool:
    return any(name.lower() == b"content-length" for name, _value in message.get("headers", ()))


def one_write(send: Send) -> Send:
    """`send` writing a response's head with its body (see the module notes), or `send`."""
    cycle = getattr(send, "__self__", None)
    if HttpToolsCycle is None or type(cycle) is not HttpToolsCycle:
        return send
    return _OneWrite(send, cast(_Cycle, cycle))
