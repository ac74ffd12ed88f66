"""One read of the change feed for the subscribers of a process woken together
(app.graphql.subscriptions): each used to read the feed on its own, N reads per event for N
subscribers.

A subscriber's conditions are those of `app.db.events.feed_page` (what it may read, its site
and types, its own position); here each is a column of one statement, so the database says
which subscriber takes which event and the rows are read once. The statement reads the
settled events after the earliest position asked that at least one subscriber takes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa

from app.db.events import feed_conditions, settled
from app.db.handles import Clause, Record
from app.db.session import RequestDatabase
from app.db.tables import EVENT

Position = tuple[int, int]  # an event's (position, seq): the feed's order


@dataclass(frozen=True)
class Wanted:
    """What one subscriber reads: the events `visible` lets it read (app.db.events'
    `feed_condition`), of `site_id` and of `types` when given, after `after` (None: all)."""

    visible: Clause
    site_id: int | None
    types: tuple[str, ...] | None
    after: Position | None


@dataclass(frozen=True)
class SharedPage:
    """Each subscriber's events, in the order asked; `through`: where the read stopped when
    it was full (every event up to there has been read for everyone), None when it read to
    the end of what is settled."""

    rows: list[list[Record]]
    through: Position | None


def _takes(wanted: Wanted) -> Clause:
    return sa.and_(*feed_conditions(wanted.visible, wanted.site_id, wanted.types, wanted.after))


async def shared_page(db: RequestDatabase, wanted: Sequence[Wanted], limit: int) -> SharedPage:
    """Up to `limit` settled events, in feed order, that at least one of `wanted` takes, and
    for each of `wanted` those it takes: one statement."""
    c = EVENT.c
    takes = [_takes(each).label(f"taken_by_{index}") for index, each in enumerate(wanted)]
    statement = (
        sa.select(EVENT, *takes)
        .where(settled(db.dialect_name), sa.or_(*(take.element for take in takes)))
        .order_by(c.position, c.seq)
        .limit(limit)
    )
    found = await db.fetch(None, lambda: statement, {})
    rows = [[row for row in found if row._mapping[take.name]] for take in takes]
    through = (found[-1].position, found[-1].seq) if len(found) == limit else None
    return SharedPage(rows, through)
