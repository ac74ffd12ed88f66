"""Writing an export's document in a worker process, while this one reads the next pages.

A format's writer is a plain function over transfer records (app/transfer/registry.py). For a
big export it runs in a fresh interpreter (`python -m app.transfer.writing`, as the import's
reader does, app/transfer/reading.py): this process sends it the records a page at a time
(orjson: they are plain JSON values), and writes the text it answers to the export's stream.
The two then run on two cores, where a writer thread shared one with the database reads.
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import io
import pickle
import sys
from collections.abc import AsyncIterator, Iterator
from typing import Any, BinaryIO, TextIO

import orjson

from app.transfer.pipes import AHEAD_BYTES, LENGTH, WorkerFailed, worker_environment
from app.transfer.registry import writer
from app.transfer.site_facts import SiteFacts, given_site

# Text read back from the worker at once.
_CHUNK = 1 << 16


class WriterFailed(WorkerFailed):
    """The process writing the document stopped without finishing; its error is on stderr."""


async def write_in_worker(
    format_name: str, site: SiteFacts, pages: AsyncIterator[list[dict[str, Any]]], stream: TextIO
) -> None:
    """Writes the pages' records as `format_name` to `stream`, through a worker process."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", __name__,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        env=worker_environment(), limit=AHEAD_BYTES,
    )  # fmt: skip
    assert process.stdin is not None and process.stdout is not None
    finished = False

    async def copy_out() -> None:
        assert process.stdout is not None
        decoder = codecs.getincrementaldecoder("utf-8")()
        while chunk := await process.stdout.read(_CHUNK):
            stream.write(decoder.decode(chunk))
        stream.write(decoder.decode(b"", final=True))

    copying = asyncio.ensure_future(copy_out())
    try:
        _frame(process.stdin, pickle.dumps((format_name, site)))
        async for page in pages:
            _frame(process.stdin, orjson.dumps(page))
            await _drain(process.stdin, copying)
        _frame(process.stdin, b"")  # the end
        await _drain(process.stdin, copying)
        process.stdin.close()
        await copying
        if await process.wait() != 0:
            raise WriterFailed(f"the process writing the {format_name} document failed")
        finished = True
    finally:
        if not finished:
            copying.cancel()
            if process.returncode is None:
                process.kill()
            with contextlib.suppress(BaseException):
                await copying
            await process.wait()


def _frame(pipe: asyncio.StreamWriter, data: bytes) -> None:
    pipe.write(LENGTH.pack(len(data)))
    pipe.write(data)


async def _drain(pipe: asyncio.StreamWriter, copying: asyncio.Future[None]) -> None:
    try:
        await pipe.drain()
    except (BrokenPipeError, ConnectionResetError):
        # The worker stopped: its failure (or the copy's) says why.
        with contextlib.suppress(BaseException):
            await copying
        raise WriterFailed("the process writing the document stopped without finishing") from None


def _messages(stdin: BinaryIO) -> Iterator[bytes]:
    while header := stdin.read(LENGTH.size):
        (length,) = LENGTH.unpack(header)
        if not length:
            return
        yield stdin.read(length)
    raise WriterFailed("the export stopped sending records")


def _work() -> None:
    """The worker: the format and the site's facts, then pages of records, on stdin; the
    document on stdout."""
    stdin = sys.stdin.buffer
    out = io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8", newline="", write_through=False)
    sys.stdout = sys.stderr  # nothing but the document may reach the pipe
    messages = _messages(stdin)
    format_name, site = pickle.loads(next(messages))

    def records() -> Iterator[dict[str, Any]]:
        for page in messages:
            yield from orjson.loads(page)

    given_site(writer(format_name), site)(records(), out)
    out.flush()


if __name__ == "__main__":
    _work()
