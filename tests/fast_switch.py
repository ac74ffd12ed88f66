"""Whether this run tests the fast path (`DISCOUNTS_FAST_PATH`, default on), for the tests
that look at what it did. With it off, tests/fast and tests/executor are not collected (so
nothing imports app.fast) and the rest of the suite runs against the service without it."""

from __future__ import annotations

from collections import Counter
from typing import Any

from app.settings import Settings

FAST_PATH = Settings().fast_path


def fast_stats() -> Any:
    """The plan executor's counters (planned, batches, rendered...); with the fast path off,
    zeros."""
    if not FAST_PATH:
        return Counter()
    from app.fast.executor import PlanExecutionContext

    return PlanExecutionContext.stats
