"""The change feed: `events(siteId, types, after, first)`, every committed write in commit order
(app.db.events, docs/events.md), resumable from any cursor it handed out."""

import base64
import binascii
import uuid
from datetime import datetime
from typing import Annotated, cast

import strawberry

from app.auth.roles import Action
from app.db import events as stored
from app.db.handles import Clause, Record
from app.domain.global_ids import TYPE_NAMES
from app.graphql.context import Info
from app.graphql.errors import BadInput
from app.graphql.ids import decode_id, to_global_id
from app.graphql.pagination import PageInfo, keyset_first, keyset_page_info
from app.graphql.scalars import EventPayload

DEFAULT_PAGE = 100
MAX_PAGE = 1000


@strawberry.type(description="One committed change of one object (docs/events.md).")
class Event:
    id: uuid.UUID = strawberry.field(description="The event's UUID: the de-duplication key.")
    type: str = strawberry.field(
        description="What happened: `<object type>.<verb>`, e.g. couponCode.created, redemption.voided."
    )
    site_id: strawberry.ID | None = strawberry.field(
        description="The object's site (null for customers and organisations)."
    )
    object_type: str = strawberry.field(description="The API type of the object.")
    object_id: strawberry.ID = strawberry.field(description="The object's global id.")
    object_updated_at: datetime = strawberry.field(
        description="The object's updatedAt after the write."
    )
    occurred_at: datetime = strawberry.field(description="When the write recorded the event.")
    payload: EventPayload = strawberry.field(
        description="The object after the write, in the versioned shape of docs/events.md."
    )


@strawberry.type(description="A row of the change feed with its cursor.")
class EventEdge:
    cursor: str = strawberry.field(description="Pass as `after` to read on from this event.")
    node: Event = strawberry.field(description="The event.")


# Not a `...Connection`: those count every row that matches (totalCount), which a feed that
# grows with every write is not asked to do.
@strawberry.type(description="A page of the change feed, in commit order (Relay-style edges).")
class EventFeedPage:
    edges: list[EventEdge] = strawberry.field(description="The events of this page with cursors.")
    nodes: list[Event] = strawberry.field(description="The events of this page.")
    page_info: PageInfo = strawberry.field(
        description="endCursor: where to resume (null on an empty page: resume from `after`)."
    )


def _cursor(row: Record) -> str:
    return base64.urlsafe_b64encode(f"{row.position}.{row.seq}".encode()).decode()


def cursor_position(cursor: str) -> tuple[int, int]:
    try:
        position, seq = base64.urlsafe_b64decode(cursor.encode()).decode().split(".")
        return int(position), int(seq)
    except (binascii.Error, UnicodeError, ValueError):
        raise BadInput("after: not a cursor of the event feed", field="after") from None


def event_of(row: Record) -> Event:
    object_id = to_global_id(row.object_type, row.object_id)
    return Event(
        id=row.id,
        type=row.type,
        site_id=None if row.site_id is None else strawberry.ID(to_global_id("Site", row.site_id)),
        object_type=row.object_type,
        object_id=strawberry.ID(object_id),
        object_updated_at=row.object_updated_at,
        occurred_at=row.occurred_at,
        payload=cast(EventPayload, {"id": object_id, **row.payload}),
    )


def feed_arguments(
    info: Info, site_id: strawberry.ID | None, types: list[str] | None
) -> tuple[Clause, int | None]:
    """The events the caller may read (a condition), and the site asked for: the arguments
    the feed and the subscription share, checked."""
    access = info.context.access
    scopes = {name: access.scope(name, Action.READ) for name in TYPE_NAMES.values()}
    unknown = sorted(set(types or ()) - stored.EVENT_TYPES)
    if unknown:
        raise BadInput(f"types: no event type is called {unknown[0]!r}", field="types")
    site = None if site_id is None else decode_id(site_id, "Site", field="siteId")
    return stored.feed_condition(scopes), site


# The arguments the feed and the subscription share.
SiteIdArgument = Annotated[
    strawberry.ID | None, strawberry.argument(description="Only this site's events.")
]
TypesArgument = Annotated[
    list[str] | None,
    strawberry.argument(description="Only these event types (e.g. redemption.created)."),
]


async def events(
    info: Info,
    site_id: SiteIdArgument = None,
    types: TypesArgument = None,
    after: Annotated[str | None, strawberry.argument(description="Cursor to read on from.")] = None,
    first: Annotated[
        int, strawberry.argument(description=f"Page size (at most {MAX_PAGE}).")
    ] = DEFAULT_PAGE,
) -> EventFeedPage:
    visible, site = feed_arguments(info, site_id, types)
    keyset_first(first, MAX_PAGE)
    rows = await stored.feed_page(
        info.context.db,
        visible,
        site_id=site,
        types=types,
        after=None if after is None else cursor_position(after),
        limit=first + 1,
    )
    page = rows[:first]
    nodes = [event_of(row) for row in page]
    cursors = [_cursor(row) for row in page]
    page_info = keyset_page_info(cursors, len(rows) > first, after)
    edges = [EventEdge(cursor=c, node=n) for c, n in zip(cursors, nodes, strict=True)]
    return EventFeedPage(edges=edges, nodes=nodes, page_info=page_info)


@strawberry.type
class EventQuery:
    events: EventFeedPage = strawberry.field(
        resolver=events,
        description="The change feed: events of the objects the caller may read, in commit "
        "order, after `after` (a cursor this field handed out). Poll with the last endCursor.",
    )
