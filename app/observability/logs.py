"""Logs: one JSON object per line on stderr (python-json-logger), each line written during a
request carrying its `request_id` (the `x-request-id` of its response), the request's own
line included.

python-json-logger rather than structlog: every module here logs through the standard
library's `logging` (as uvicorn, SQLAlchemy and Alembic do), and a formatter on the root
handler turns all of it into JSON with no change where anything logs; structlog would put a
second logging API beside the first and still need this bridge for the libraries.
`DISCOUNTS_LOG_FORMAT=text` writes the same records as plain lines, for a terminal.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import math
import os
import sys
import threading
import time
import weakref
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Final, TextIO

import orjson
from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.orjson import OrjsonFormatter

# The request being answered in this task (set by app.observability.requests).
REQUEST_ID: Final[contextvars.ContextVar[str | None]] = contextvars.ContextVar(
    "request_id", default=None
)
TEXT_FORMAT: Final = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


class RequestIdFilter(logging.Filter):
    """Adds the current request's id to every record that has none."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = REQUEST_ID.get()
        return True


class JsonFormatter(OrjsonFormatter):
    """python-json-logger's orjson formatter, with a short way for the request lines.

    A record made by `request_record` carries its fields ready (`record.fields`): they are
    written as they are, not found by walking the record's attributes, which is most of the
    general path's ~9 µs; one such line is written per request (app.observability.requests).
    """

    def format(self, record: logging.LogRecord) -> str:
        fields = record.__dict__.get("fields")
        if fields is None:
            return super().format(record)
        line = {
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            **fields,
            "time": utc_isoformat(record.created),
        }
        return orjson.dumps(line).decode()


def utc_isoformat(timestamp: float) -> str:
    """`datetime.fromtimestamp(timestamp, tz=UTC).isoformat()`, with the text up to the
    second made once per second: that call was half of a request line's formatting.

    The microseconds are rounded as `datetime` rounds them (half to even, carried into the
    second at 1,000,000: CPython's `_PyTime_ObjectToTimeval`), and left out when zero, as
    `isoformat` does; a test holds the two texts equal."""
    second = math.floor(timestamp)
    micros = round((timestamp - second) * 1_000_000)
    if micros >= 1_000_000:
        second += 1
        micros -= 1_000_000
    global _second, _second_text
    if second != _second:
        _second_text = datetime.fromtimestamp(second, tz=UTC).isoformat()[:-6]
        _second = second
    if micros:
        return f"{_second_text}.{micros:06d}+00:00"
    return _second_text + "+00:00"


# The last second `utc_isoformat` wrote, and its text without the offset.
_second: int | None = None
_second_text = ""


def request_record(
    logger: logging.Logger, level: int, message: str, fields: Mapping[str, object]
) -> logging.LogRecord:
    """A record for `logger.handle`, without `logger.log`'s walk up the stack for the
    caller's file and line (a request line's place in the code says nothing).

    What `LogRecord.__init__` finds the same for every request line of a process (the file
    name split from an empty path, the process's id and name: `os.getpid` is a system call
    each time) is taken from a record made once per logger and level; the time and the
    thread are the record's own, as `LogRecord` sets them. A process that installed its own
    record factory gets records from it, as `logger.makeRecord` makes them."""
    if logging.getLogRecordFactory() is not logging.LogRecord:
        # no arguments: `()`, as `logger.log` passes them
        record = logger.makeRecord(logger.name, level, "", 0, message, (), None)
    else:
        key = (logger.name, level)
        template = _TEMPLATES.get(key)
        if template is None:
            template = _TEMPLATES[key] = dict(
                vars(logging.LogRecord(logger.name, level, "", 0, "", (), None))
            )
        record = logging.LogRecord.__new__(logging.LogRecord)
        attributes = record.__dict__
        attributes.update(template)
        now = time.time()
        attributes["msg"] = message
        attributes["created"] = now
        attributes["msecs"] = int((now - int(now)) * 1000) + 0.0
        attributes["relativeCreated"] = (now - _STARTED) * 1000
        if logging.logThreads:
            attributes["thread"] = threading.get_ident()
            attributes["threadName"] = threading.current_thread().name
    record.fields = fields
    record.request_id = fields.get("request_id")
    return record


# The per-process attributes of request records, by logger name and level (see above); a
# forked child finds its own.
_TEMPLATES: dict[tuple[str, int], dict[str, object]] = {}
os.register_at_fork(after_in_child=_TEMPLATES.clear)
# `logging`'s own start time, which `relativeCreated` counts from.
_STARTED: Final[float] = logging._startTime  # type: ignore[attr-defined]


class BatchedStreamHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """A `StreamHandler` whose lines logged on a running event loop are written together,
    one `write` per `FLUSH_SECONDS` instead of one per line.

    Every request writes a line (app.observability.requests); when stderr is a pipe, as under
    a container runtime, its `write` system call and the wake-up of the pipe's reader were
    ~15 % of the server's CPU time for a validateCode (py-spy). Nothing is dropped or
    reordered: a line waits at most `FLUSH_SECONDS` (a timer on the loop that logged it), or
    until `MAX_PENDING` characters wait; a WARNING or worse and a line logged off the loop
    (another thread, no loop running) are written at once, after the lines waiting before
    them; a line logged on another loop than the waiting lines' writes those first (their loop
    may never run again); `flush()`, which `logging.shutdown` calls at exit, and a fork write
    what waits.
    """

    FLUSH_SECONDS: Final = 0.005
    MAX_PENDING: Final = 64 * 1024

    def __init__(self, stream: TextIO | None = None) -> None:
        super().__init__(stream)
        self._pending: list[str] = []
        self._pending_size = 0
        # the loop whose timer will write `_pending` (None: no timer set)
        self._timer_loop: asyncio.AbstractEventLoop | None = None
        self._timer_thread = 0  # the thread running `_timer_loop`
        _BATCHED.add(self)

    def emit(self, record: logging.LogRecord) -> None:
        # `Handler.handle` holds `self.lock` around this (other threads log too)
        try:
            line = self.format(record) + self.terminator
            timer_loop = self._timer_loop
            if not (
                # The usual case, without `_get_running_loop` (~0.5 µs): a timer is set on
                # the loop that this thread runs (one thread runs one loop at a time).
                timer_loop is not None
                and self._timer_thread == threading.get_ident()
                and timer_loop.is_running()
                and record.levelno < logging.WARNING
            ):
                loop = asyncio._get_running_loop()
                if loop is None or record.levelno >= logging.WARNING:
                    self._pending.append(line)
                    self._write_pending()
                    return
                if timer_loop is not loop:
                    if timer_loop is not None:
                        self._write_pending()  # the other loop's timer may never run
                    loop.call_later(self.FLUSH_SECONDS, self._flush_from_timer, loop)
                    self._timer_loop = loop
                    self._timer_thread = threading.get_ident()
            self._pending.append(line)
            self._pending_size += len(line)
            if self._pending_size >= self.MAX_PENDING:
                self._write_pending()
        except RecursionError:  # as StreamHandler.emit (Python issue 36272)
            raise
        except Exception:
            self.handleError(record)

    def flush(self) -> None:
        self.acquire()
        try:
            self._write_pending()
        finally:
            self.release()

    def _flush_from_timer(self, loop: asyncio.AbstractEventLoop) -> None:
        self.acquire()
        try:
            if self._timer_loop is loop:  # else written already
                self._write_pending()
        finally:
            self.release()

    def _write_pending(self) -> None:
        """Writes what waits, in one `write` (the caller holds the lock)."""
        self._timer_loop = None
        pending = self._pending
        if pending:
            self._pending = []
            self._pending_size = 0
            self.stream.write(pending[0] if len(pending) == 1 else "".join(pending))
        if hasattr(self.stream, "flush"):
            self.stream.flush()

    def _forget_pending(self) -> None:
        self._pending = []
        self._pending_size = 0
        self._timer_loop = None


# The handlers of the process, for a fork: the parent writes what waits before it, so that
# the child neither loses nor repeats it (the child starts with nothing waiting).
_BATCHED: weakref.WeakSet[BatchedStreamHandler] = weakref.WeakSet()


def _flush_before_fork() -> None:
    for handler in list(_BATCHED):
        handler.flush()


def _forget_after_fork() -> None:
    for handler in list(_BATCHED):
        handler._forget_pending()


os.register_at_fork(before=_flush_before_fork, after_in_child=_forget_after_fork)


def json_formatter() -> logging.Formatter:
    return JsonFormatter(
        "{levelname}{name}{message}",
        style="{",
        rename_fields={"levelname": "level", "name": "logger"},
        timestamp="time",
        # uvicorn's copy of its message with terminal colour codes
        reserved_attrs=[*RESERVED_ATTRS, "color_message"],
    )


def configure_logging(log_format: str, level: str) -> None:
    """The process's logging: one handler on the root logger, uvicorn's loggers sent to it,
    and uvicorn's access log off (the app writes its own line per request, with more in it)."""
    handler = BatchedStreamHandler(sys.stderr)
    handler.addFilter(RequestIdFilter())
    text = logging.Formatter(TEXT_FORMAT)
    handler.setFormatter(json_formatter() if log_format == "json" else text)
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        uvicorn_logger = logging.getLogger(name)
        uvicorn_logger.handlers = []
        uvicorn_logger.propagate = True
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
