"""Process settings for serving: the garbage collector's pace.

A large response allocates a few hundred thousand short-lived container objects (rows,
objects, response dicts). With CPython's default thresholds (a young collection every 700
allocations, an old one every 100 young ones) the collector ran hundreds of times per big
request and walked every long-lived object (the schema, the plans, SQLAlchemy's caches) each
full pass: it was about 40 % of the CPU time of the deep benchmark query. Objects that exist
once the app has started are moved out of the collector's sight (`gc.freeze`), and young
collections run every `YOUNG_THRESHOLD` allocations; cycles are still collected, later.
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 20_000
MIDDLE_THRESHOLD = 50
OLD_THRESHOLD = 100


def tune_garbage_collector() -> None:
    """Call once the app is built (modules imported, schema compiled): what exists then
    lives as long as the process, so it is frozen rather than scanned again and again."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_THRESHOLD, MIDDLE_THRESHOLD, OLD_THRESHOLD)
