"""A minimal webhook receiver over HTTP/1.1 (asyncio streams, keep-alive): verifies each
delivery's signature and keeps what it received. The tests and `scripts/bench --only events`
deliver to it; it is also the shape of a receiver: verify over the raw body, answer 2xx fast,
de-duplicate by the event id.

    python -m app.delivery.receiver --port 8765 --secret whsec_...   # prints a count a second
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from app.domain.webhooks import ATTEMPT_HEADER, EVENT_ID_HEADER, SIGNATURE_HEADER, verify

# What the receiver answers a delivery: a status, or None to never answer (a receiver that
# hangs, for the tests of a worker killed mid-delivery).
Answer = Callable[["Received"], int | None]


@dataclass(frozen=True)
class Received:
    event_id: str
    attempt: int
    verified: bool
    body: bytes
    headers: dict[str, str]

    def document(self) -> dict[str, object]:
        found: dict[str, object] = json.loads(self.body)
        return found


@dataclass
class Receiver:
    secrets: list[str] = field(default_factory=list)
    answer: Answer = lambda _received: 200  # noqa: E731
    received: list[Received] = field(default_factory=list)
    server: asyncio.Server | None = None
    port: int = 0
    connections: set[asyncio.Task[None]] = field(default_factory=set)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    async def start(self, port: int = 0) -> Receiver:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", port)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        for task in list(self.connections):
            task.cancel()
        await asyncio.gather(*self.connections, return_exceptions=True)
        if self.server is not None:
            self.server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.server.wait_closed(), 2)

    def event_ids(self) -> list[str]:
        return [r.event_id for r in self.received]

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self.connections.add(task)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                headers = {}
                for line in lines[1:]:
                    name, _, value = line.partition(":")
                    if name:
                        headers[name.strip().lower()] = value.strip()
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                signature = headers.get(SIGNATURE_HEADER.lower(), "")
                now = time.time()
                received = Received(
                    event_id=headers.get(EVENT_ID_HEADER.lower(), ""),
                    attempt=int(headers.get(ATTEMPT_HEADER.lower(), "0")),
                    verified=any(verify(s, signature, body, now) for s in self.secrets),
                    body=body,
                    headers=headers,
                )
                self.received.append(received)
                status = self.answer(received)
                if status is None:
                    await reader.read()  # no answer: until the sender drops the connection
                    return
                writer.write(f"HTTP/1.1 {status} X\r\ncontent-length: 2\r\n\r\nok".encode())
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()
            if task is not None:
                self.connections.discard(task)


async def _main(port: int, secrets: list[str]) -> None:
    receiver = await Receiver(secrets=secrets).start(port)
    print(json.dumps({"port": receiver.port}), flush=True)
    seen = 0
    while True:
        await asyncio.sleep(1)
        if len(receiver.received) != seen:
            seen = len(receiver.received)
            verified = sum(r.verified for r in receiver.received)
            print(json.dumps({"received": seen, "verified": verified}), flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--secret", action="append", default=[])
    arguments = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_main(arguments.port, arguments.secret))
