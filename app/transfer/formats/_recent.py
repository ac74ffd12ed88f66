"""Keys seen lately, to leave out repeats without remembering every key of a big file."""

from __future__ import annotations

from collections import OrderedDict


class RecentKeys:
    """The last `size` keys seen. A reader emits a record (a customer repeated on each of its
    assignments) once per run of nearby repeats: a repeat further back is emitted again, which
    the importer counts as unchanged, and memory stays bounded."""

    def __init__(self, size: int = 10_000) -> None:
        self._keys: OrderedDict[str, None] = OrderedDict()
        self._size = size

    def seen(self, key: str) -> bool:
        """Whether `key` was seen lately; remembers it either way."""
        if key in self._keys:
            self._keys.move_to_end(key)
            return True
        self._keys[key] = None
        if len(self._keys) > self._size:
            self._keys.popitem(last=False)
        return False
