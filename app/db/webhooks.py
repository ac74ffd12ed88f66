"""The statements of webhooks: endpoints and their sites, the deliveries owed to them (made
from the event feed), claiming due deliveries and recording what came of them.

Deliveries are made by the worker (app.delivery) from the feed, not by the writes: a
redemption costs no more with a hundred endpoints than with none. The worker that holds the
cursor's row lock reads the settled events after it (the feed's own rule, app.db.events: none
can appear before it later), adds a delivery for each live endpoint that takes the event, and
moves the cursor, in one transaction.

A due delivery is claimed by moving its `next_attempt_at` a lease ahead with a new
`lease_token`, committed before the POST: on PostgreSQL rows another worker is claiming are
skipped (`FOR UPDATE SKIP LOCKED`), so workers never share one; a worker that dies leaves the
delivery due again when the lease ends. The result is written only by the lease's holder
(its token): a worker that outlived its lease cannot overwrite the next one's result.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.dml import Insert

from app.db import events
from app.db.handles import Clause, Handle, Record, Session
from app.db.tables import (
    EVENT,
    SITE,
    WEBHOOK_ATTEMPT,
    WEBHOOK_CURSOR,
    WEBHOOK_DELIVERY,
    WEBHOOK_ENDPOINT,
    WEBHOOK_ENDPOINT_SITE,
)
from app.db.tenancy import ScopeLike
from app.domain.webhooks import EndpointFilter, endpoint_filter

CURSOR = "webhooks"
PENDING = "pending"
DELIVERED = "delivered"
FAILED = "failed"
STATES = (PENDING, DELIVERED, FAILED)


def _dialect(db: Session) -> str:
    return db.get_bind().dialect.name


async def sites_of(db: Handle, endpoint_ids: Sequence[int]) -> dict[int, list[tuple[int, int]]]:
    """Each endpoint's (site, organisation) pairs."""
    s = WEBHOOK_ENDPOINT_SITE.c
    statement = (
        sa.select(s.endpoint_id, s.site_id, s.organisation_id)
        .where(s.endpoint_id.in_(list(endpoint_ids)))
        .order_by(s.endpoint_id, s.site_id)
    )
    found: dict[int, list[tuple[int, int]]] = {db_id: [] for db_id in endpoint_ids}
    for row in (await db.execute(statement)).all():
        found[row.endpoint_id].append((row.site_id, row.organisation_id))
    return found


async def live_sites(db: Handle, site_ids: Sequence[int]) -> dict[int, int]:
    """The organisation of each of `site_ids` that names a live site."""
    statement = sa.select(SITE.c.id, SITE.c.organisation_id).where(
        SITE.c.id.in_(list(site_ids)), SITE.c.deleted_at.is_(None)
    )
    return {row.id: row.organisation_id for row in (await db.execute(statement)).all()}


async def set_sites(db: Handle, endpoint_id: int, sites: Iterable[tuple[int, int]]) -> None:
    """Makes `sites` ((site, organisation) pairs) the endpoint's sites."""
    s = WEBHOOK_ENDPOINT_SITE.c
    await db.execute(sa.delete(WEBHOOK_ENDPOINT_SITE).where(s.endpoint_id == endpoint_id))
    rows = [
        {"endpoint_id": endpoint_id, "site_id": site, "organisation_id": organisation}
        for site, organisation in sorted(set(sites))
    ]
    if rows:
        await db.execute(sa.insert(WEBHOOK_ENDPOINT_SITE), rows)


def visible_endpoints(scope: ScopeLike) -> Clause:
    """The endpoints a caller whose Site-Edit scope is `scope` may manage: every one for
    `everything`, else those with sites, all of them in the scope."""
    if scope.everything:
        return sa.true()
    s = WEBHOOK_ENDPOINT_SITE.c
    own = s.endpoint_id == WEBHOOK_ENDPOINT.c.id
    inside = sa.or_(
        s.site_id.in_(sorted(scope.site_ids)), s.organisation_id.in_(sorted(scope.organisation_ids))
    )
    return sa.and_(
        sa.exists(sa.select(s.site_id).where(own)),
        ~sa.exists(sa.select(s.site_id).where(own, ~inside)),
    )


def _listed(visible: Clause, deleted: bool) -> list[Clause]:
    deleted_at = WEBHOOK_ENDPOINT.c.deleted_at
    return [visible, deleted_at.is_not(None) if deleted else deleted_at.is_(None)]


async def endpoint_page(
    db: Handle, visible: Clause, *, deleted: bool, after: int | None, limit: int
) -> list[Record]:
    """Endpoints by id after `after`: live ones, or (with `deleted`) the deleted ones."""
    c = WEBHOOK_ENDPOINT.c
    conditions = _listed(visible, deleted)
    if after is not None:
        conditions.append(c.id > after)
    statement = sa.select(WEBHOOK_ENDPOINT).where(*conditions).order_by(c.id).limit(limit)
    return list((await db.execute(statement)).all())


async def endpoint_count(db: Handle, visible: Clause, *, deleted: bool) -> int:
    """How many endpoints `endpoint_page` pages through."""
    statement = (
        sa.select(sa.func.count()).select_from(WEBHOOK_ENDPOINT).where(*_listed(visible, deleted))
    )
    return int((await db.execute(statement)).scalar_one())


async def endpoints_by_id(db: Handle, visible: Clause, ids: Sequence[int]) -> list[Record]:
    c = WEBHOOK_ENDPOINT.c
    statement = sa.select(WEBHOOK_ENDPOINT).where(visible, c.id.in_(list(ids)))
    return list((await db.execute(statement)).all())


async def event_by_id(db: Handle, event_id: uuid.UUID) -> Record | None:
    return (await db.execute(sa.select(EVENT).where(EVENT.c.id == event_id))).first()


# -- making deliveries from the feed -------------------------------------------------------


@dataclass(frozen=True)
class LiveEndpoint:
    id: int
    created_at: datetime
    takes: EndpointFilter


async def _live_endpoints(db: Handle) -> list[LiveEndpoint]:
    c = WEBHOOK_ENDPOINT.c
    statement = sa.select(c.id, c.created_at, c.types).where(
        c.deleted_at.is_(None), c.disabled_at.is_(None)
    )
    rows = (await db.execute(statement)).all()
    sites = await sites_of(db, [row.id for row in rows]) if rows else {}
    return [
        LiveEndpoint(row.id, row.created_at, endpoint_filter(row.types, sites[row.id]))
        for row in rows
    ]


def _insert_ignoring_duplicates(dialect: str, table: sa.Table, *keys: str) -> Insert:
    """`INSERT ... ON CONFLICT (keys) DO NOTHING` into `table`, in `dialect`'s spelling."""
    if dialect == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing(index_elements=list(keys))
    return sqlite.insert(table).on_conflict_do_nothing(index_elements=list(keys))


async def make_deliveries(
    db: Session,
    now: datetime,
    window: timedelta,
    limit: int,
    also: Callable[[Sequence[Record]], Awaitable[None]] | None = None,
) -> int | None:
    """Reads up to `limit` settled events after the cursor and adds the deliveries they owe
    (an endpoint is owed the events that occurred since it was created); `also` is given the
    events before the cursor moves past them (a failure there leaves it, to be tried again).
    The events read, or None when another worker holds the cursor. Run in a transaction."""
    dialect = _dialect(db)
    k = WEBHOOK_CURSOR.c
    locked = sa.select(k.position, k.seq).where(k.name == CURSOR)
    cursor = (await db.execute(locked.with_for_update(skip_locked=True))).first()
    if cursor is None:
        held = (await db.execute(sa.select(k.name).where(k.name == CURSOR))).first()
        if held is not None:
            return None
        first = _insert_ignoring_duplicates(dialect, WEBHOOK_CURSOR, "name")
        await db.execute(first.values(name=CURSOR, position=0, seq=0))
        cursor = (await db.execute(locked.with_for_update(skip_locked=True))).first()
        if cursor is None:
            return None
    e = EVENT.c
    statement = (
        sa.select(EVENT)
        .where(
            events.settled(dialect),
            sa.tuple_(e.position, e.seq) > sa.tuple_(cursor.position, cursor.seq),
        )
        .order_by(e.position, e.seq)
        .limit(limit)
    )
    rows = (await db.execute(statement)).all()
    if not rows:
        return 0
    endpoints = await _live_endpoints(db)
    owed = [
        {
            "endpoint_id": endpoint.id,
            "event_seq": row.seq,
            "event_id": row.id,
            "state": PENDING,
            "attempts": 0,
            "next_attempt_at": now,
            "deadline": now + window,
            "created_at": now,
            "updated_at": now,
        }
        for row in rows
        for endpoint in endpoints
        if row.occurred_at >= endpoint.created_at
        and endpoint.takes.takes(row.type, row.site_id, row.organisation_id)
    ]
    if owed:
        await db.execute(
            _insert_ignoring_duplicates(dialect, WEBHOOK_DELIVERY, "endpoint_id", "event_seq"),
            owed,
        )
    if also is not None:
        await also(rows)
    last = rows[-1]
    await db.execute(
        sa.update(WEBHOOK_CURSOR)
        .where(k.name == CURSOR)
        .values(position=last.position, seq=last.seq)
    )
    return len(rows)


# -- claiming and recording ------------------------------------------------------------------


@dataclass(frozen=True)
class Claimed:
    """A delivery a worker holds until `lease_token`'s lease ends, with what it sends."""

    delivery_id: int
    lease_token: uuid.UUID
    attempt: int  # this attempt's number (1 for the first)
    deadline: datetime
    endpoint_id: int
    url: str
    secret: str
    previous_secret: str | None  # a rotated secret not yet expired: it signs too
    event: Record


async def claim_due(db: Handle, now: datetime, lease: timedelta, limit: int) -> list[Claimed]:
    """Up to `limit` due deliveries of live endpoints, leased to the caller (committed by the
    caller before it sends: the lease is what another worker sees). Run in a transaction."""
    d, p = WEBHOOK_DELIVERY.c, WEBHOOK_ENDPOINT.c
    due = (
        sa.select(d.id)
        .join(WEBHOOK_ENDPOINT, p.id == d.endpoint_id)
        .where(
            d.state == PENDING,
            d.next_attempt_at <= now,
            p.deleted_at.is_(None),
            p.disabled_at.is_(None),
        )
        .order_by(d.next_attempt_at)
        .limit(limit)
        .with_for_update(of=WEBHOOK_DELIVERY, skip_locked=True)
    )
    ids = list((await db.execute(due)).scalars().all())
    if not ids:
        return []
    tokens = {db_id: uuid.uuid4() for db_id in ids}
    await db.execute(
        sa.update(WEBHOOK_DELIVERY)
        .where(d.id == sa.bindparam("b_id"))
        .values(
            lease_token=sa.bindparam("b_token"),
            next_attempt_at=now + lease,
            attempts=d.attempts + 1,
        )
        .execution_options(synchronize_session=False),
        [{"b_id": db_id, "b_token": token} for db_id, token in tokens.items()],
    )
    statement = (
        sa.select(
            d.id.label("delivery_id"),
            d.attempts,
            d.deadline,
            p.id.label("endpoint_id"),
            p.url,
            p.secret,
            sa.case((p.previous_secret_expires_at > now, p.previous_secret), else_=None).label(
                "previous_secret"
            ),
            EVENT,
        )
        .join(WEBHOOK_ENDPOINT, p.id == d.endpoint_id)
        .join(EVENT, EVENT.c.seq == d.event_seq)
        .where(d.id.in_(ids))
        .order_by(d.id)
    )
    rows = (await db.execute(statement)).all()
    return [
        Claimed(
            row.delivery_id,
            tokens[row.delivery_id],
            row.attempts,
            row.deadline,
            row.endpoint_id,
            row.url,
            row.secret,
            row.previous_secret,
            row,
        )
        for row in rows
    ]


@dataclass(frozen=True)
class Outcome:
    """What one attempt of a claimed delivery came to."""

    claimed: Claimed
    started_at: datetime
    duration_ms: int
    status_code: int | None
    error: str | None  # None: delivered
    retry_at: datetime | None  # when failed: the next attempt, None when the window is over


async def record_outcomes(db: Handle, outcomes: Sequence[Outcome], now: datetime) -> None:
    """Writes the attempts and each delivery's new state (only where the lease is still the
    worker's), and the endpoints' health. Run in a transaction."""
    if not outcomes:
        return
    await db.execute(
        sa.insert(WEBHOOK_ATTEMPT),
        [
            {
                "delivery_id": o.claimed.delivery_id,
                "number": o.claimed.attempt,
                "started_at": o.started_at,
                "duration_ms": o.duration_ms,
                "status_code": o.status_code,
                "succeeded": o.error is None,
                "error": None if o.error is None else o.error[:1000],
            }
            for o in outcomes
        ],
    )
    d = WEBHOOK_DELIVERY.c
    await db.execute(
        sa.update(WEBHOOK_DELIVERY)
        .where(d.id == sa.bindparam("b_id"), d.lease_token == sa.bindparam("b_token"))
        .values(
            state=sa.bindparam("b_state"),
            next_attempt_at=sa.bindparam("b_next", type_=d.next_attempt_at.type),
            delivered_at=sa.bindparam("b_delivered", type_=d.delivered_at.type),
            last_error=sa.bindparam("b_error", type_=d.last_error.type),
            lease_token=None,
            updated_at=now,
        )
        .execution_options(synchronize_session=False),
        [_delivery_values(o) for o in outcomes],
    )
    p = WEBHOOK_ENDPOINT.c
    succeeded = sorted({o.claimed.endpoint_id for o in outcomes if o.error is None})
    failed = sorted(
        {o.claimed.endpoint_id for o in outcomes if o.error is not None} - set(succeeded)
    )
    if succeeded:
        await db.execute(
            sa.update(WEBHOOK_ENDPOINT)
            .where(p.id.in_(succeeded), p.failing_since.is_not(None))
            .values(failing_since=None)
        )
    if failed:
        await db.execute(
            sa.update(WEBHOOK_ENDPOINT)
            .where(p.id.in_(failed), p.failing_since.is_(None))
            .values(failing_since=now)
        )


def _delivery_values(o: Outcome) -> dict[str, object]:
    if o.error is None:
        state, next_at, delivered = DELIVERED, o.started_at, o.started_at
    elif o.retry_at is None:
        state, next_at, delivered = FAILED, o.started_at, None
    else:
        state, next_at, delivered = PENDING, o.retry_at, None
    return {
        "b_id": o.claimed.delivery_id,
        "b_token": o.claimed.lease_token,
        "b_state": state,
        "b_next": next_at,
        "b_delivered": delivered,
        "b_error": None if o.error is None else o.error[:1000],
    }


async def disable_failing(db: Handle, now: datetime, window: timedelta) -> list[Record]:
    """Disables the live endpoints every attempt of which has failed for `window` (the
    deliveries' retry window: the receiver has missed everything it could have retried),
    with the reason; answers them."""
    p = WEBHOOK_ENDPOINT.c
    since = sa.func.coalesce(p.failing_since, now)
    last_error = (
        sa.select(WEBHOOK_DELIVERY.c.last_error)
        .where(WEBHOOK_DELIVERY.c.endpoint_id == p.id, WEBHOOK_DELIVERY.c.last_error.is_not(None))
        .order_by(WEBHOOK_DELIVERY.c.updated_at.desc())
        .limit(1)
        .scalar_subquery()
    )
    days = window.total_seconds() / 86400
    reason = sa.literal(
        f"every delivery failed for {days:g} days (the retry window); last error: "
    ) + sa.func.coalesce(last_error, "none recorded")
    statement = (
        sa.update(WEBHOOK_ENDPOINT)
        .where(
            p.deleted_at.is_(None),
            p.disabled_at.is_(None),
            p.failing_since.is_not(None),
            since <= now - window,
        )
        .values(disabled_at=now, disabled_reason=sa.func.substr(reason, 1, 1000), updated_at=now)
        .returning(*WEBHOOK_ENDPOINT.c)
    )
    return list((await db.execute(statement)).all())


# -- what the API shows ----------------------------------------------------------------------


async def delivery_page(
    db: Handle,
    visible: Clause,
    *,
    endpoint_id: int | None,
    event_id: uuid.UUID | None,
    state: str | None,
    after: int | None,
    limit: int,
) -> list[Record]:
    """Deliveries, newest first (by id, below `after`), of endpoints `visible` lets the caller
    manage."""
    d, p = WEBHOOK_DELIVERY.c, WEBHOOK_ENDPOINT.c
    conditions = [visible]
    if endpoint_id is not None:
        conditions.append(d.endpoint_id == endpoint_id)
    if event_id is not None:
        conditions.append(d.event_id == event_id)
    if state is not None:
        conditions.append(d.state == state)
    if after is not None:
        conditions.append(d.id < after)
    statement = (
        sa.select(WEBHOOK_DELIVERY, EVENT.c.type.label("event_type"))
        .join(WEBHOOK_ENDPOINT, p.id == d.endpoint_id)
        .join(EVENT, EVENT.c.seq == d.event_seq)
        .where(*conditions)
        .order_by(d.id.desc())
        .limit(limit)
    )
    return list((await db.execute(statement)).all())


async def attempts_of(db: Handle, delivery_ids: Sequence[int]) -> dict[int, list[Record]]:
    """Each delivery's attempts, first first."""
    a = WEBHOOK_ATTEMPT.c
    statement = (
        sa.select(WEBHOOK_ATTEMPT)
        .where(a.delivery_id.in_(list(delivery_ids)))
        .order_by(a.delivery_id, a.number, a.id)
    )
    found: dict[int, list[Record]] = {db_id: [] for db_id in delivery_ids}
    for row in (await db.execute(statement)).all():
        found[row.delivery_id].append(row)
    return found


async def redeliver(
    db: Handle, endpoint_id: int, event: Record, now: datetime, window: timedelta
) -> Record:
    """Makes the event due to the endpoint now, with a new retry window: its delivery starts
    over (its attempts are kept), or one is added when the endpoint was never owed it."""
    d = WEBHOOK_DELIVERY.c
    values: Mapping[str, object] = {
        "state": PENDING,
        "next_attempt_at": now,
        "deadline": now + window,
        "lease_token": None,
        "updated_at": now,
    }
    statement = (
        sa.update(WEBHOOK_DELIVERY)
        .where(d.endpoint_id == endpoint_id, d.event_seq == event.seq)
        .values(**values)
        .returning(*WEBHOOK_DELIVERY.c)
    )
    row = (await db.execute(statement)).first()
    if row is not None:
        return row
    inserted = (
        sa.insert(WEBHOOK_DELIVERY)
        .values(
            endpoint_id=endpoint_id,
            event_seq=event.seq,
            event_id=event.id,
            attempts=0,
            created_at=now,
            **values,
        )
        .returning(*WEBHOOK_DELIVERY.c)
    )
    return (await db.execute(inserted)).one()
