"""Vendor JSON documents read record by record, whatever their size.

A vendor file is one JSON document: a bare record, a list of records, or a page whose records
sit under one key of an envelope (Nexudus `{"Records": [...], "CurrentPage": ...}`, Laravel
and JSON:API `{"data": [...], "meta": ...}`, where `data` may also hold a single record).
ijson (its C parser) hands over one record at a time, so a file of a million records is never
held whole; numbers that are not whole come as Decimal, so no amount passes through a float.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Iterator
from typing import Any, BinaryIO, Literal

import ijson  # type: ignore[import-untyped]  # no stubs, no py.typed

from app.transfer.registry import FormatError

Shape = Literal["list", "page", "record"]

# A file bigger than this that cannot be read twice (a pipe) is spooled to disk first.
_SPOOL_BYTES = 8 * 1024 * 1024


@contextlib.contextmanager
def rewindable(stream: BinaryIO) -> Iterator[BinaryIO]:
    """The stream itself when it can seek, else a spooled copy of it (memory stays flat)."""
    if stream.seekable():
        yield stream
        return
    with tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES) as copy:
        shutil.copyfileobj(stream, copy)
        copy.seek(0)
        yield copy  # type: ignore[misc]


def shape_of(stream: BinaryIO, name: str, envelope_key: str) -> Shape:
    """Whether the document is a list, a page (records under `envelope_key`) or one record.

    Only the first few parser events are looked at: the first top-level key tells an envelope
    from a record, since a record never has the envelope's key and an envelope has only its
    own (paging, links, meta) besides.
    """
    start = stream.tell()
    try:
        events = ijson.parse(stream)
        for prefix, event, value in events:
            if prefix == "" and event == "start_array":
                return "list"
            if prefix == "" and event == "start_map":
                continue
            if prefix == "" and event == "map_key":
                return "page" if value == envelope_key or value in _ENVELOPE_KEYS else "record"
            if prefix == "" and event == "end_map":
                return "record"
            raise FormatError(f"{name}: a document of records is a JSON object or list")
        raise FormatError(f"{name}: the file is empty")
    except ijson.JSONError as error:
        raise FormatError(f"{name}: not JSON ({error})") from None
    finally:
        stream.seek(start)


# Keys of the envelopes the vendors wrap pages in (besides the records' own key).
_ENVELOPE_KEYS = frozenset({
    "CurrentPage", "CurrentPageSize", "CurrentOrderField", "CurrentSortDirection", "FirstItem",
    "LastItem", "TotalItems", "TotalPages", "HasNextPage", "HasPreviousPage", "PageNumber",
    "PageSize", "links", "meta", "included", "jsonapi",
})  # fmt: skip


def inner_shape(stream: BinaryIO, name: str, envelope_key: str) -> Literal["list", "record"]:
    """Whether a page's `envelope_key` holds a list of records or one record (JSON:API)."""
    start = stream.tell()
    try:
        for prefix, event, _ in ijson.parse(stream):
            if prefix == envelope_key and event in ("start_array", "start_map"):
                return "list" if event == "start_array" else "record"
            if prefix == envelope_key:
                raise FormatError(f"{name}: {envelope_key} holds neither records nor a record")
        raise FormatError(f"{name}: the document has no {envelope_key!r}")
    except ijson.JSONError as error:
        raise FormatError(f"{name}: not JSON ({error})") from None
    finally:
        stream.seek(start)


def records(stream: BinaryIO, name: str, envelope_key: str) -> Iterator[tuple[int, Any]]:
    """(1-based number, vendor record) of every record of the document, in its order."""
    with rewindable(stream) as seekable:
        shape = shape_of(seekable, name, envelope_key)
        if shape == "list":
            prefix = "item"
        elif shape == "record":
            prefix = ""
        elif inner_shape(seekable, name, envelope_key) == "list":
            prefix = f"{envelope_key}.item"
        else:
            prefix = envelope_key
        try:
            yield from enumerate(ijson.items(seekable, prefix), start=1)
        except ijson.JSONError as error:
            raise FormatError(f"{name}: not JSON ({error})") from None


def items_at(stream: BinaryIO, name: str, prefix: str) -> Iterator[Any]:
    """Every value at `prefix` (ijson's dotted path), from the start of the document."""
    stream.seek(0)
    try:
        yield from ijson.items(stream, prefix)
    except ijson.JSONError as error:
        raise FormatError(f"{name}: not JSON ({error})") from None
