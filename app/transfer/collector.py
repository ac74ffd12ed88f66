"""The garbage collector's pace while an import or an export runs.

An import makes a dozen container objects per record (the record's dicts, its checked
columns, its merged Terms, the planned values, the rows looked up), most of them gone a batch
later. With CPython's default thresholds (a young collection every 700 allocations) the
collector ran thousands of times per 20,000 records and its older generations walked every
object still alive (the batch in hand, SQLAlchemy's caches, the app's modules): reading
20,000 nuwebgroup codes took 2.0-2.6 s of CPU with them and 1.5 s at the server's pace
(profiled 2026-12-06; unpickling a batch in the importer 0.39 s against 0.17 s). The pace is
the server's (app.runtime); cycles are still collected, later. Memory stays flat: the
import's RSS growth is measured over 1,000,000 records by `scripts/bench --only transfer
--transfer-million`.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

from app.runtime import MIDDLE_THRESHOLD, OLD_THRESHOLD, YOUNG_THRESHOLD


@contextlib.contextmanager
def paced_collector() -> Iterator[None]:
    """The server's collector thresholds inside the block; the caller's again after it."""
    before = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, MIDDLE_THRESHOLD, OLD_THRESHOLD)
    try:
        yield
    finally:
        gc.set_threshold(*before)
