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

import contextvars
import logging
import math
import os
import sys
import threading
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Final

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
    global _last_second
    kept_second, text = _last_second
    if second != kept_second:
        text = datetime.fromtimestamp(second, tz=UTC).isoformat()[:-6]
        _last_second = (second, text)  # one assignment: other threads log too
    if micros:
        return f"{text}.{micros:06d}+00:00"
    return text + "+00:00"


# The last second `utc_isoformat` wrote, and its text without the offset.
_last_second: tuple[int | None, str] = (None, "")


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
    handler = logging.StreamHandler(sys.stderr)
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
