"""A TCP proxy in front of the database that can cut every connection silently, as a host that
went away does: the server side is closed, the client is told nothing, and is reset the next
time it sends anything."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass


@dataclass(eq=False)
class _Link:
    client: asyncio.StreamWriter
    server: asyncio.StreamWriter
    cut: bool = False


class SilentCutProxy:
    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = 0
        self._links: set[_Link] = set()
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        self.cut()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    def cut(self) -> None:
        for link in self._links:
            link.cut = True
            link.server.transport.abort()
        self._links.clear()

    async def _serve(self, client_in: asyncio.StreamReader, client: asyncio.StreamWriter) -> None:
        server_in, server = await asyncio.open_connection("127.0.0.1", self.target_port)
        link = _Link(client, server)
        self._links.add(link)
        await asyncio.gather(
            self._pipe(client_in, link, up=True), self._pipe(server_in, link, up=False)
        )

    @staticmethod
    async def _pipe(source: asyncio.StreamReader, link: _Link, *, up: bool) -> None:
        target = link.server if up else link.client
        with contextlib.suppress(ConnectionError):
            while data := await source.read(65536):
                if link.cut:
                    break
                target.write(data)
                await target.drain()
        if link.cut:
            if up:  # the client spoke to a server that is gone: reset
                link.client.transport.abort()
            return  # the client is not told when the server side goes
        target.close()
