"""The formats `scripts/import` and `scripts/export` know, by name.

A format module (app/transfer/formats/<name>.py) provides either or both of:

    def read(stream: BinaryIO, name: str) -> Iterator[TransferRecord | Refusal]
        Turns one file (opened in binary, so it can be parsed as a stream) into transfer
        records (app/transfer/records.py), in the order that document lists. `name` is the file
        name, for messages. A vendor record that cannot be converted is yielded as a `Refusal`
        (the importer reports it like any other refused record and goes on, so --skip-invalid
        can keep the rest); a file that cannot be read at all raises `FormatError`.
        A record may carry "@record": the 1-based number of the vendor record it came from
        (one vendor record may become several transfer records, e.g. a code and its uses);
        the importer names that number in messages and drops the key.

    def write(records: Iterable[TransferRecord], stream: TextIO) -> None
        Writes the vendor document of the records the exporter yields (every type, in the
        order of records.RECORD_TYPES; a writer skips the types its vendor has no place for).

Modules are imported when first used, so a format's dependencies load only for that format.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from types import ModuleType
from typing import Any, BinaryIO, TextIO

Reader = Callable[[BinaryIO, str], Iterator[Any]]
Writer = Callable[[Iterable[dict[str, Any]], TextIO], None]

# Name on the command line -> module under app.transfer.formats.
FORMATS = {
    "jsonl": "jsonl",
    "csv": "codes_csv",
    "nexudus": "nexudus",
    "trybe": "trybe",
    "nuweb": "nuweb",
}


@dataclass(frozen=True)
class Refusal:
    """A source record a reader could not turn into a transfer record."""

    record: int  # 1-based number of the record in its file
    field: str  # the vendor's field name (or "" for the record as a whole)
    reason: str
    source: Any = None  # the vendor record as read, for the rejects file


class FormatError(Exception):
    """The file as a whole cannot be read in this format (not JSON, wrong document shape...)."""


def _module(name: str) -> ModuleType:
    if name not in FORMATS:
        raise KeyError(f"unknown format {name!r}; one of {', '.join(sorted(FORMATS))}")
    return importlib.import_module(f"app.transfer.formats.{FORMATS[name]}")


def reader(name: str) -> Reader:
    read: Reader | None = getattr(_module(name), "read", None)
    if read is None:
        raise KeyError(f"format {name!r} can be exported but not imported")
    return read


def writer(name: str) -> Writer:
    write: Writer | None = getattr(_module(name), "write", None)
    if write is None:
        raise KeyError(f"format {name!r} can be imported but not exported")
    return write
