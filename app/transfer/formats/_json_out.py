"""Vendor JSON documents written record by record: a page's records are written as they come
and the envelope's counts after them, so nothing is held back."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any, Literal, Self, TextIO

import orjson

from app.transfer.formats._values import number_out

Envelope = Literal["page", "single", "list", "record"]


def _default(value: object) -> Any:
    if isinstance(value, Decimal):
        return number_out(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


def dumps(value: object) -> str:
    return orjson.dumps(value, default=_default).decode()


class RecordArray:
    """Writes a page `{"<key>": [record, ...], <trailer>}`, a bare list, one bare record, or
    one record in the envelope (`single`: JSON:API's and Laravel's `{"data": {...}}`).

    `trailer(count)` gives the envelope's other keys once the records are counted. `record`
    and `single` are for a document of exactly one record, as a vendor's get-one endpoint
    answers; given another count they raise ValueError.
    """

    def __init__(
        self,
        stream: TextIO,
        envelope: Envelope,
        key: str,
        trailer: Callable[[int], Mapping[str, Any]],
    ) -> None:
        self._stream = stream
        self._envelope = envelope
        self._key = key
        self._trailer = trailer
        self.count = 0

    def __enter__(self) -> Self:
        if self._envelope in ("page", "single"):
            opening = "[" if self._envelope == "page" else ""
            self._stream.write("{" + dumps(self._key) + ":" + opening)
        elif self._envelope == "list":
            self._stream.write("[")
        return self

    def add(self, record: Mapping[str, Any]) -> None:
        single = self._envelope in ("record", "single")
        if single and self.count:
            raise ValueError("a single-record document takes exactly one record")
        if self.count:
            self._stream.write(",\n")
        self._stream.write(dumps(record))
        self.count += 1

    def __exit__(self, *exc: object) -> None:
        if exc[0] is not None:
            return
        if self._envelope in ("record", "single") and self.count != 1:
            raise ValueError(f"a single-record document takes exactly one record, not {self.count}")
        if self._envelope in ("page", "single"):
            self._stream.write("]" if self._envelope == "page" else "")
            for name, value in self._trailer(self.count).items():
                self._stream.write("," + dumps(name) + ":" + dumps(value))
            self._stream.write("}\n")
        elif self._envelope == "list":
            self._stream.write("]\n")
        else:
            self._stream.write("\n")
