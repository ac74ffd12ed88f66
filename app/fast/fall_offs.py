"""Where a document leaves the fast path: counted every time, logged once per document shape.

The fast path answers what it can and hands the rest to the plain path, which answers the
same, only slower. Without a trace, a client whose documents all fall off would look like a
slow server. Each fall-off is counted (`discounts_fast_path_fall_offs_total`, by stage and
reason: a fixed set of short reasons, so the metric stays bounded), and logged once per
(document, place, reason) with the operation's name and the place in the document, so that
a gap shows up in the logs as one line, not one line per request.

Stages: `executor` (the plan executor does not run the operation), `replay` (it started and
the standard executor finished it), `render` (a list or a lookup whose records PostgreSQL
does not render; the plan executor still runs).
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from typing import Any

from prometheus_client import Counter

logger = logging.getLogger(__name__)

FALL_OFFS = Counter(
    "discounts_fast_path_fall_offs",
    "Documents (or parts of them) the fast path leaves to the plain path, by stage (executor: "
    "not planned; replay: finished by the standard executor; render: records built in Python "
    "rather than rendered in PostgreSQL) and reason.",
    ["stage", "reason"],
)

# Shapes already logged (least recently seen dropped first).
LOGGED_SHAPES = 4096
_logged: OrderedDict[tuple[Any, ...], None] = OrderedDict()


def note(
    stage: str, reason: str, operation: Any, place: tuple[str, ...] = (), detail: str = ""
) -> None:
    """Counts one fall-off; logs it the first time this document falls off there so."""
    FALL_OFFS.labels(stage, reason).inc()
    shape = (stage, reason, _document_key(operation), place)
    if shape in _logged:
        _logged.move_to_end(shape)
        return
    _logged[shape] = None
    if len(_logged) > LOGGED_SHAPES:
        _logged.popitem(last=False)
    name = operation.name.value if getattr(operation, "name", None) else "(anonymous)"
    where = ".".join(place) or "(root)"
    logger.info(
        "fast path: operation %s leaves the %s stage at %s: %s%s",
        name, stage, where, reason, f" ({detail})" if detail else "",
    )  # fmt: skip


def _document_key(operation: Any) -> Any:
    """The text of the document the operation was parsed from (what a client sends again),
    or the operation node itself when it has no location."""
    loc = getattr(operation, "loc", None)
    source = getattr(loc, "source", None)
    body = getattr(source, "body", None)
    return hash(body) if body is not None else id(operation)


def forget() -> None:
    """Forgets the shapes logged (tests)."""
    _logged.clear()
