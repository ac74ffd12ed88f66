"""JSON Lines of the unified model: one transfer record (app/transfer/records.py) a line.

For backups and for moving a site between two instances: every field, with global ids,
uniqueIds and externalIds, so an import into another instance keeps uniqueIds and recognises
the records again on the next run.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any, BinaryIO, TextIO

from app.transfer.registry import Refusal


def read(stream: BinaryIO, name: str) -> Iterator[Any]:
    count = 0
    for number, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        count += 1
        try:
            record = json.loads(line)
        except (ValueError, UnicodeDecodeError) as error:
            yield Refusal(
                number,
                "",
                f"not a JSON value: {error}",
                line.decode("utf-8", "replace").rstrip("\n"),
            )
            continue
        if count != number and isinstance(record, dict):
            # Blank lines were skipped: messages name the line.
            record["@record"] = number
        yield record


def write(records: Iterable[dict[str, Any]], stream: TextIO) -> None:
    encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    for record in records:
        stream.write(encode(record))
        stream.write("\n")
