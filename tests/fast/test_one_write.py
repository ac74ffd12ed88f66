"""A response's head and body in one socket write (app.fast.one_write), under uvicorn's own
httptools protocol fed bytes by a fake transport: the bytes written are exactly uvicorn's,
only fewer writes carry them."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest
from starlette.types import Message, Receive, Scope, Send
from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from app.fast.one_write import one_write

Responder = Callable[[Send], Awaitable[None]]


class FakeTransport:
    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.closed = False
        self.closed_by_server = False

    def get_extra_info(self, name: str) -> object:
        return {"sockname": ("127.0.0.1", 8000), "peername": ("127.0.0.1", 40000)}.get(name)

    def write(self, data: bytes) -> None:
        assert not self.closed, "written after close"
        self.writes.append(bytes(data))

    def writelines(self, data: list[bytes]) -> None:
        self.write(b"".join(data))

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def pause_reading(self) -> None: ...

    def resume_reading(self) -> None: ...

    def set_protocol(self, protocol: object) -> None: ...


def _app(respond: Responder, *, wrapped: bool) -> Callable[[Scope, Receive, Send], Awaitable[None]]:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        assert scope["type"] == "http"
        while (await receive()).get("more_body"):
            pass
        await respond(one_write(send) if wrapped else send)

    return app


async def _serve(respond: Responder, request: bytes, *, wrapped: bool) -> FakeTransport:
    config = Config(app=_app(respond, wrapped=wrapped), http="httptools", log_level="warning")
    config.load()
    protocol = HttpToolsProtocol(config, ServerState(), app_state={})
    transport = FakeTransport()
    protocol.connection_made(transport)  # type: ignore[arg-type]
    protocol.data_received(request)
    for _ in range(100):
        await asyncio.sleep(0)
        if protocol.cycle is not None and protocol.cycle.response_complete:
            break
    await asyncio.sleep(0)
    transport.closed_by_server = transport.closed
    protocol.connection_lost(None)
    return transport


def _fixed(body: bytes, status: int = 200) -> Responder:
    async def respond(send: Send) -> None:
        headers = [
            (b"content-length", str(len(body)).encode()),
            (b"content-type", b"application/json"),
        ]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    return respond


async def _streamed(send: Send) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    for chunk in (b"one", b"two"):
        await send({"type": "http.response.body", "body": chunk, "more_body": True})
    await send({"type": "http.response.body", "body": b""})


POST = b"POST /graphql HTTP/1.1\r\nhost: test\r\ncontent-length: 2\r\n\r\n{}"
CLOSE = b"POST /graphql HTTP/1.1\r\nhost: test\r\nconnection: close\r\ncontent-length: 2\r\n\r\n{}"
HEAD = b"HEAD /graphql HTTP/1.1\r\nhost: test\r\n\r\n"


@pytest.mark.parametrize("request_bytes", [POST, CLOSE], ids=["keep-alive", "close"])
@pytest.mark.parametrize(
    "body", [b'{"data":{"a":1}}', b"x" * 300_000, b""], ids=["small", "large", "empty"]
)
async def test_head_and_body_in_one_write(request_bytes: bytes, body: bytes) -> None:
    plain = await _serve(_fixed(body), request_bytes, wrapped=False)
    one = await _serve(_fixed(body), request_bytes, wrapped=True)
    assert len(plain.writes) == 2
    assert len(one.writes) == 1
    assert one.writes[0] == b"".join(plain.writes)
    assert one.writes[0].endswith(b"\r\n\r\n" + body)
    assert one.closed_by_server == plain.closed_by_server == (request_bytes == CLOSE)


async def test_head_request_gets_its_head() -> None:
    plain = await _serve(_fixed(b"0123456789"), HEAD, wrapped=False)
    one = await _serve(_fixed(b"0123456789"), HEAD, wrapped=True)
    assert len(plain.writes) == 1
    assert one.writes == plain.writes
    assert b"content-length: 10" in one.writes[0]


async def test_a_streamed_response_keeps_uvicorns_writes() -> None:
    plain = await _serve(_streamed, POST, wrapped=False)
    one = await _serve(_streamed, POST, wrapped=True)
    assert one.writes == plain.writes
    assert len(one.writes) == 4  # head, two chunks, the last chunk


async def test_other_sends_are_left_alone() -> None:
    async def send(message: Message) -> None: ...

    assert one_write(send) is send
