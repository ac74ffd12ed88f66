"""Reading an import's files into batches of checked Items, in this process or in another one.

Reading is the import's per-record Python work that needs no database: parsing the document,
turning vendor records into transfer records, checking every field (app/transfer/fields.py)
and merging each record's Terms as the API would for a create (`Item.created`, which the
planner takes for a create and for an update that leaves the Terms as they are). For a big
import it runs in a worker process, a batch ahead of the writer: the writer's Python and the
reader's then run on two cores. Threads were tried first and measured slower (the reader
holds the GIL between the writer's round trips; see importer.py).

The worker is a fresh interpreter (`python -m app.transfer.reading`: nothing of this process'
event loop, connections or threads is copied into it); batches come back pickled through its
stdout, the few read ahead (pipes.AHEAD_BYTES) being all the pipe holds. Small imports (the worker's start costs about
a second) and sources that cannot be sent to another process (an open stream, a lambda) are
read here. Either way every record goes through the same functions, in the same order.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import itertools
import os
import pickle
import resource
import sys
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO

from app.runtime import MIDDLE_THRESHOLD, OLD_THRESHOLD, YOUNG_THRESHOLD
from app.transfer.fields import HAS_TERMS, Item, read_record
from app.transfer.pipes import AHEAD_BYTES, LENGTH, WorkerFailed, worker_environment
from app.transfer.registry import Refusal, reader
from app.transfer.site_facts import SiteFacts, given_site
from app.transfer.terms_cache import TermsCache

# Files smaller than this in total are read in this process.
WORKER_MIN_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True)
class Source:
    """One file to import: its name (for messages) and how to open it in binary; `size` (bytes)
    when known, which decides whether a worker process is worth starting."""

    name: str
    open: Callable[[], BinaryIO]
    size: int | None = None


@dataclass(frozen=True)
class Reading:
    """What reading needs besides the files: the format, the site's facts and what the API's
    Terms merge reads of the site and the clock (fixed for one import)."""

    format_name: str
    site: SiteFacts
    time_zone: str
    currency: str
    now: datetime


def items(reading: Reading, sources: Iterable[Source]) -> Iterator[Item]:
    """Every record of the sources, read and checked, in order."""
    read = given_site(reader(reading.format_name), reading.site)
    terms = TermsCache(time_zone=reading.time_zone, currency=reading.currency, now=reading.now)
    for source in sources:
        with source.open() as stream:
            for number, record in enumerate(read(stream, source.name), start=1):
                if isinstance(record, Refusal):
                    item = Item(source.name, record.record, record.source)
                    item.refuse(record.field, record.reason)
                    yield item
                    continue
                if isinstance(record, dict) and "@record" in record:
                    record = dict(record)
                    number = record.pop("@record")
                item = Item(source.name, number, record)
                read_record(item)
                if item.has_terms and item.type in HAS_TERMS and not item.problems:
                    merged, problems = terms.validated(item.terms or {}, None, {}, ("terms",))
                    # A plain tuple: a dataclass costs five times more to send.
                    item.created = (merged.columns, merged.eligible, problems)
                yield item


def use_worker(sources: list[Source]) -> bool:
    """A worker pays off for big files that can be opened in another process."""
    if any(source.size is None for source in sources):
        return False
    if sum(source.size or 0 for source in sources) < WORKER_MIN_BYTES:
        return False
    try:
        pickle.dumps(sources)
    except (pickle.PicklingError, TypeError, AttributeError):
        return False
    return True


async def batches(
    reading: Reading,
    sources: list[Source],
    size: int,
    *,
    worker: bool | None = None,
    on_worker_rss: Callable[[int], None] = lambda kib: None,
) -> AsyncIterator[list[Item]]:
    """The records in batches of `size`; `worker` None: in a worker process when use_worker().
    A worker's peak RSS (KiB) goes to `on_worker_rss` when it is done."""
    if worker is None:
        worker = use_worker(sources)
    if not worker:
        read = items(reading, sources)
        while batch := list(itertools.islice(read, size)):
            yield batch
        return
    async for batch in _from_worker(reading, sources, size, on_worker_rss):
        yield batch


class ReaderFailed(WorkerFailed):
    """The reading process stopped without finishing (killed, or out of memory)."""


async def _from_worker(
    reading: Reading, sources: list[Source], size: int, on_rss: Callable[[int], None]
) -> AsyncIterator[list[Item]]:
    # A fresh interpreter running this module (not multiprocessing's spawn, which imports the
    # parent's __main__ again: a script without a __main__ guard would run twice).
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", __name__,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        env=worker_environment(), limit=AHEAD_BYTES,
    )  # fmt: skip
    assert process.stdin is not None and process.stdout is not None
    finished = False
    try:
        process.stdin.write(pickle.dumps((reading, sources, size)))
        await process.stdin.drain()
        process.stdin.close()
        while True:
            try:
                (length,) = LENGTH.unpack(await process.stdout.readexactly(LENGTH.size))
                message = pickle.loads(await process.stdout.readexactly(length))
            except (asyncio.IncompleteReadError, ConnectionError):
                raise ReaderFailed(
                    "the process reading the files stopped without finishing"
                ) from None
            if isinstance(message, BaseException):
                raise message
            if isinstance(message, int):  # the end: the worker's peak RSS
                finished = True
                on_rss(message)
                return
            yield message
    finally:
        if not finished and process.returncode is None:
            process.kill()
        await process.wait()


def _send(out: int, message: object) -> None:
    """One message, written straight to the pipe's descriptor (no buffer to hold its tail back
    while the next batch is read)."""
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    view = memoryview(LENGTH.pack(len(data)) + data)
    while view:
        view = view[os.write(out, view) :]


def _forget_parent_peak() -> None:
    """Linux keeps the parent's peak RSS in a process it forked, across the exec of this
    worker (getrusage's ru_maxrss, /proc's VmHWM): reported as the worker's, a bench's
    second import showed the first one's growth (a "reader peak" of 700 MB). Writing 5 to
    clear_refs starts the count again from the worker's own RSS."""
    with contextlib.suppress(OSError), open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")


def _peak_rss_kib() -> int:
    """The worker's peak RSS since _forget_parent_peak (VmHWM), else getrusage's."""
    with contextlib.suppress(OSError), open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _work() -> None:
    """The worker (`python -m app.transfer.reading`): the job pickled on stdin; each batch
    pickled to stdout, then its peak RSS (KiB) as the end; an exception as itself."""
    out = os.dup(sys.stdout.fileno())
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # nothing but messages may reach the pipe
    reading, sources, size = pickle.load(sys.stdin.buffer)
    _forget_parent_peak()
    try:
        # This process only reads: the collector keeps the server's pace for its whole life.
        gc.set_threshold(YOUNG_THRESHOLD, MIDDLE_THRESHOLD, OLD_THRESHOLD)
        read = items(reading, sources)
        while batch := list(itertools.islice(read, size)):
            _send(out, batch)
        _send(out, _peak_rss_kib())
    except Exception as error:  # sent to the importer, which raises it (FormatError, ...)
        try:
            pickle.dumps(error)
        except Exception:
            error = ReaderFailed(f"{type(error).__name__}: {error}")
        _send(out, error)


if __name__ == "__main__":
    # A broken pipe: the importer stopped reading (it failed, or was interrupted).
    with contextlib.suppress(BrokenPipeError):
        _work()
