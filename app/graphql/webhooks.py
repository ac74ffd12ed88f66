"""Webhooks through the API: endpoints (create, update, delete, restore, enable, list), the
deliveries owed to them with every attempt, and redelivering an event (docs/events.md).

Managing an endpoint takes `Site-Edit` on each of its sites (an endpoint of every site is an
administrator's): a caller without it anywhere is refused (FORBIDDEN), and lists show only
the endpoints, and their deliveries, that the caller may manage. A page is at most three
statements whatever its size: the rows, their sites, their attempts.
"""

from __future__ import annotations

import base64
import binascii
import enum
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Annotated

import strawberry

from app.auth.principal import Scope
from app.auth.roles import Action
from app.clock import utcnow
from app.db import webhooks as stored
from app.db.handles import Clause, Handle, Record, Sessions
from app.delivery.targets import Resolver
from app.graphql import resolvers
from app.graphql.context import Info
from app.graphql.errors import BadInput
from app.graphql.ids import decode_id, to_global_id
from app.graphql.mutations.payloads import UserError, user_errors_field, written
from app.graphql.mutations.support import given, record_id, record_ids, write
from app.graphql.pagination import PageInfo, keyset_first, keyset_page_info
from app.services import webhooks as use_cases
from app.services.actor import Actor
from app.services.problems import Problems

DEFAULT_PAGE = 100
MAX_PAGE = 1000
ENDPOINT = "WebhookEndpoint"
DELIVERY = "WebhookDelivery"


@strawberry.enum(description="Where a delivery stands.")
class WebhookDeliveryState(enum.Enum):
    PENDING = strawberry.enum_value(stored.PENDING, description="Not yet taken: tried again.")
    DELIVERED = strawberry.enum_value(stored.DELIVERED, description="A receiver answered 2xx.")
    FAILED = strawberry.enum_value(
        stored.FAILED, description="Given up: every attempt of its 3 days failed."
    )


@strawberry.type(description="A URL that change events are POSTed to, signed (docs/events.md).")
class WebhookEndpoint:
    id: strawberry.ID = strawberry.field(description="The endpoint's global id.")
    url: str = strawberry.field(description="Where deliveries are POSTed.")
    types: list[str] = strawberry.field(description="The event types it takes (empty: all).")
    site_ids: list[strawberry.ID] = strawberry.field(
        description="The sites whose events it takes (empty: every site)."
    )
    created_at: datetime = strawberry.field(description="When it was created.")
    updated_at: datetime = strawberry.field(description="When it last changed.")
    updated_by: str | None = strawberry.field(description="Who changed it last.")
    deleted_at: datetime | None = strawberry.field(description="Set when deleted (soft).")
    disabled_at: datetime | None = strawberry.field(
        description="Set when it was disabled for failing: nothing is sent until it is enabled."
    )
    disabled_reason: str | None = strawberry.field(description="Why it was disabled.")
    failing_since: datetime | None = strawberry.field(
        description="Since when every attempt has failed (null after a success)."
    )
    previous_secret_expires_at: datetime | None = strawberry.field(
        description="Until when deliveries are also signed with the secret that "
        "rotateWebhookSecret replaced (a second v1 in Discounts-Signature); null: only the "
        "current secret signs."
    )


@strawberry.type(description="One POST of a delivery and what came of it.")
class WebhookAttempt:
    number: int = strawberry.field(description="1 for the first attempt.")
    started_at: datetime = strawberry.field(description="When it was sent.")
    duration_ms: int = strawberry.field(description="How long the receiver took, in ms.")
    status_code: int | None = strawberry.field(
        description="The receiver's HTTP status (null: no answer, or the address was refused)."
    )
    succeeded: bool = strawberry.field(description="The receiver answered 2xx.")
    error: str | None = strawberry.field(description="Why it failed.")


@strawberry.type(description="One event owed to one endpoint, with its attempts.")
class WebhookDelivery:
    id: strawberry.ID = strawberry.field(description="The delivery's global id.")
    endpoint_id: strawberry.ID = strawberry.field(description="The endpoint.")
    event_id: uuid.UUID = strawberry.field(description="The event (its de-duplication key).")
    event_type: str = strawberry.field(description="The event's type.")
    state: WebhookDeliveryState = strawberry.field(description="Pending, delivered or failed.")
    attempt_count: int = strawberry.field(description="Attempts made so far.")
    next_attempt_at: datetime | None = strawberry.field(
        description="When it is tried next (pending only)."
    )
    deadline: datetime = strawberry.field(
        description="It is retried until then (3 days after it was made or redelivered)."
    )
    last_error: str | None = strawberry.field(description="Why the last attempt failed.")
    created_at: datetime = strawberry.field(description="When the event was first owed.")
    delivered_at: datetime | None = strawberry.field(description="When a receiver took it.")
    attempts: list[WebhookAttempt] = strawberry.field(description="Every attempt, first first.")


@strawberry.type(description="A page of webhook endpoints, by id.")
class WebhookEndpointPage:
    nodes: list[WebhookEndpoint] = strawberry.field(description="The endpoints of this page.")
    page_info: PageInfo = strawberry.field(description="endCursor: pass as `after` to read on.")
    # What `totalCount` counts, read only when it is asked for.
    visible: strawberry.Private[Clause]
    deleted: strawberry.Private[bool]

    @resolvers.field(
        description="How many endpoints the list holds (the deleted ones with `deleted`), "
        "over all pages."
    )
    async def total_count(self, info: Info) -> int:
        return await stored.endpoint_count(info.context.db, self.visible, deleted=self.deleted)


# No totalCount, as the event feed has none: deliveries grow with every event and endpoint.
@strawberry.type(description="A page of webhook deliveries, newest first.")
class WebhookDeliveryPage:
    nodes: list[WebhookDelivery] = strawberry.field(description="The deliveries of this page.")
    page_info: PageInfo = strawberry.field(description="endCursor: pass as `after` to read on.")


def _endpoint(row: Record, sites: Sequence[tuple[int, int]]) -> WebhookEndpoint:
    return WebhookEndpoint(
        id=strawberry.ID(to_global_id(ENDPOINT, row.id)),
        url=row.url,
        types=list(row.types),
        site_ids=[strawberry.ID(to_global_id("Site", site)) for site, _ in sites],
        created_at=row.created_at,
        updated_at=row.updated_at,
        updated_by=row.updated_by,
        deleted_at=row.deleted_at,
        disabled_at=row.disabled_at,
        disabled_reason=row.disabled_reason,
        failing_since=row.failing_since,
        previous_secret_expires_at=_still_valid(row.previous_secret_expires_at),
    )


def _still_valid(expires_at: datetime | None) -> datetime | None:
    return expires_at if expires_at is not None and expires_at > utcnow() else None


def _attempt(row: Record) -> WebhookAttempt:
    return WebhookAttempt(
        number=row.number,
        started_at=row.started_at,
        duration_ms=row.duration_ms,
        status_code=row.status_code,
        succeeded=row.succeeded,
        error=row.error,
    )


def _delivery(row: Record, attempts: Sequence[Record]) -> WebhookDelivery:
    return WebhookDelivery(
        id=strawberry.ID(to_global_id(DELIVERY, row.id)),
        endpoint_id=strawberry.ID(to_global_id(ENDPOINT, row.endpoint_id)),
        event_id=row.event_id,
        event_type=row.event_type,
        state=WebhookDeliveryState[row.state.upper()],
        attempt_count=row.attempts,
        next_attempt_at=row.next_attempt_at if row.state == stored.PENDING else None,
        deadline=row.deadline,
        last_error=row.last_error,
        created_at=row.created_at,
        delivered_at=row.delivered_at,
        attempts=[_attempt(a) for a in attempts],
    )


def _cursor(db_id: int) -> str:
    return base64.urlsafe_b64encode(str(db_id).encode()).decode()


def _after(cursor: str | None) -> int | None:
    if cursor is None:
        return None
    try:
        return int(base64.urlsafe_b64decode(cursor.encode()).decode())
    except (binascii.Error, UnicodeError, ValueError):
        raise BadInput("after: not a cursor of this list", field="after") from None


def _page_size(first: int) -> int:
    return keyset_first(first, MAX_PAGE)


def _page_info(ids: Sequence[int], more: bool, after: str | None) -> PageInfo:
    return keyset_page_info([_cursor(db_id) for db_id in ids], more, after)


def _manageable(info: Info) -> Scope:
    """Where the caller may manage endpoints: FORBIDDEN without Site-Edit anywhere."""
    return info.context.access.require_scope("Site", Action.EDIT)


async def _endpoints_of(db: Handle, rows: Sequence[Record]) -> list[WebhookEndpoint]:
    sites = await stored.sites_of(db, [row.id for row in rows]) if rows else {}
    return [_endpoint(row, sites[row.id]) for row in rows]


async def _deliveries_of(db: Handle, rows: Sequence[Record]) -> list[WebhookDelivery]:
    attempts = await stored.attempts_of(db, [row.id for row in rows]) if rows else {}
    return [_delivery(row, attempts[row.id]) for row in rows]


async def webhook_endpoints(
    info: Info,
    deleted: Annotated[
        bool, strawberry.argument(description="The deleted endpoints instead of the live ones.")
    ] = False,
    after: Annotated[str | None, strawberry.argument(description="Cursor to read on from.")] = None,
    first: Annotated[int, strawberry.argument(description=f"At most {MAX_PAGE}.")] = DEFAULT_PAGE,
) -> WebhookEndpointPage:
    visible = stored.visible_endpoints(_manageable(info))
    limit, start = _page_size(first), _after(after)
    db = info.context.db
    rows = await stored.endpoint_page(db, visible, deleted=deleted, after=start, limit=limit + 1)
    page = rows[:limit]
    return WebhookEndpointPage(
        nodes=await _endpoints_of(db, page),
        page_info=_page_info([row.id for row in page], len(rows) > limit, after),
        visible=visible,
        deleted=deleted,
    )


async def webhook_endpoint(
    info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="Its id.")]
) -> WebhookEndpoint | None:
    visible = stored.visible_endpoints(_manageable(info))
    db_id = decode_id(id, ENDPOINT, field="id")
    rows = await stored.endpoints_by_id(info.context.db, visible, [db_id])
    return (await _endpoints_of(info.context.db, rows))[0] if rows else None


async def webhook_deliveries(
    info: Info,
    endpoint_id: Annotated[
        strawberry.ID | None, strawberry.argument(description="Only this endpoint's.")
    ] = None,
    event_id: Annotated[
        uuid.UUID | None, strawberry.argument(description="Only this event's.")
    ] = None,
    state: Annotated[
        WebhookDeliveryState | None, strawberry.argument(description="Only these.")
    ] = None,
    after: Annotated[str | None, strawberry.argument(description="Cursor to read on from.")] = None,
    first: Annotated[int, strawberry.argument(description=f"At most {MAX_PAGE}.")] = DEFAULT_PAGE,
) -> WebhookDeliveryPage:
    visible = stored.visible_endpoints(_manageable(info))
    limit, start = _page_size(first), _after(after)
    endpoint = None if endpoint_id is None else decode_id(endpoint_id, ENDPOINT, field="endpointId")

    db = info.context.db
    rows = await stored.delivery_page(
        db,
        visible,
        endpoint_id=endpoint,
        event_id=event_id,
        state=None if state is None else state.name.lower(),  # the stored state
        after=start,
        limit=limit + 1,
    )
    page = rows[:limit]
    return WebhookDeliveryPage(
        nodes=await _deliveries_of(db, page),
        page_info=_page_info([row.id for row in page], len(rows) > limit, after),
    )


@strawberry.type
class WebhookQuery:
    webhook_endpoints: WebhookEndpointPage = strawberry.field(
        resolver=webhook_endpoints,
        description="The webhook endpoints the caller may manage (Site-Edit on each of their "
        "sites; every endpoint for administrators), by id.",
    )
    webhook_endpoint: WebhookEndpoint | None = strawberry.field(
        resolver=webhook_endpoint,
        description="One webhook endpoint the caller may manage (null: none such).",
    )
    webhook_deliveries: WebhookDeliveryPage = strawberry.field(
        resolver=webhook_deliveries,
        description="Deliveries to the endpoints the caller may manage, newest first, each "
        "with every attempt.",
    )


# -- writes ------------------------------------------------------------------------------


@strawberry.input(description="A new webhook endpoint.")
class CreateWebhookEndpointInput:
    url: str = strawberry.field(
        description="An http(s) URL; its host may not resolve to a private, loopback or "
        "link-local address."
    )
    types: list[str] = strawberry.field(
        default_factory=list, description="The event types to send (empty: all)."
    )
    site_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list,
        description="The sites whose events to send (Site-Edit on each); empty: every site "
        "(administrators only).",
    )


@strawberry.input(description="Changes to an endpoint: an omitted field keeps its value.")
class UpdateWebhookEndpointInput:
    id: strawberry.ID = strawberry.field(description="The endpoint to change.")
    url: strawberry.Maybe[str] = strawberry.field(description="A new URL.")
    types: strawberry.Maybe[list[str]] = strawberry.field(
        description="The event types to send (empty: all)."
    )
    site_ids: strawberry.Maybe[list[strawberry.ID]] = strawberry.field(
        description="The sites whose events to send (empty: every site, administrators only)."
    )


@strawberry.type(description="What createWebhookEndpoint answers.")
class CreateWebhookEndpointPayload:
    endpoint: WebhookEndpoint | None = written("The endpoint created")
    secret: str | None = strawberry.field(
        description="The signing secret (HMAC-SHA256 key of Discounts-Signature): shown this "
        "once, keep it; null when there are userErrors."
    )
    user_errors: list[UserError] = user_errors_field()


@strawberry.type(description="What rotateWebhookSecret answers.")
class RotateWebhookSecretPayload:
    endpoint: WebhookEndpoint | None = written("The endpoint as it now is")
    secret: str | None = strawberry.field(
        description="The new signing secret: shown this once, keep it; null when there are "
        "userErrors."
    )
    user_errors: list[UserError] = user_errors_field()


@strawberry.type(description="What a write of a webhook endpoint answers.")
class WebhookEndpointPayload:
    endpoint: WebhookEndpoint | None = written("The endpoint as it now is")
    user_errors: list[UserError] = user_errors_field()


@strawberry.type(description="What redeliverEvent answers.")
class RedeliverEventPayload:
    delivery: WebhookDelivery | None = written("The delivery, due now")
    user_errors: list[UserError] = user_errors_field()


def _target_check(info: Info) -> use_cases.TargetCheck:
    resolver = Resolver(allow_private=info.context.settings.webhooks_allow_private_targets)

    async def check(url: str) -> str | None:
        return (await resolver.target(url)).refused

    return check


def _site_ids(values: Sequence[str]) -> list[int | None]:
    ids, problems = record_ids(values, "Site")
    if problems:
        renamed = [type(p)(("input", "siteIds", *p.field[1:]), p.code, p.message) for p in problems]
        raise Problems(renamed)
    return ids


async def _with_sites(info: Info, row: Record | None) -> WebhookEndpoint | None:
    if row is None:
        return None
    return (await _endpoints_of(info.context.db, [row]))[0]


async def _state_change(info: Info, id: strawberry.ID, change: str) -> WebhookEndpointPayload:
    async def work(sessions: Sessions, actor: Actor) -> Record:
        db_id = record_id(id, ENDPOINT, ("id",))
        return await use_cases.change_endpoint(sessions, actor, db_id, change)

    row, errors = await write(info, "Site", Action.EDIT, work)
    endpoint = await _with_sites(info, row)
    return WebhookEndpointPayload(endpoint=endpoint, user_errors=errors)


_ID = Annotated[strawberry.ID, strawberry.argument(description="The endpoint's id.")]


@strawberry.type(description="Writing webhook endpoints.")
class WebhookMutation:
    @resolvers.mutation(
        description="Creates a webhook endpoint (Site-Edit on each of its sites; one of every "
        "site: administrators) and answers its signing secret, once."
    )
    async def create_webhook_endpoint(
        self,
        info: Info,
        input: Annotated[
            CreateWebhookEndpointInput, strawberry.argument(description="The endpoint.")
        ],
    ) -> CreateWebhookEndpointPayload:
        created: list[use_cases.CreatedEndpoint] = []

        async def work(sessions: Sessions, actor: Actor) -> Record:
            made = await use_cases.create_endpoint(
                sessions,
                actor,
                _target_check(info),
                url=input.url,
                types=input.types,
                site_ids=_site_ids(input.site_ids),
            )
            created.append(made)
            return made.endpoint

        row, errors = await write(info, "Site", Action.EDIT, work)
        endpoint = await _with_sites(info, row)
        secret = created[0].secret if created else None
        return CreateWebhookEndpointPayload(endpoint=endpoint, secret=secret, user_errors=errors)

    @resolvers.mutation(description="Changes the fields given of a webhook endpoint.")
    async def update_webhook_endpoint(
        self,
        info: Info,
        input: Annotated[
            UpdateWebhookEndpointInput,
            strawberry.argument(description="The endpoint and the fields to change."),
        ],
    ) -> WebhookEndpointPayload:
        async def work(sessions: Sessions, actor: Actor) -> Record:
            fields = given(input)
            db_id = record_id(fields.pop("id"), ENDPOINT, ("input", "id"))
            if "site_ids" in fields:
                fields["site_ids"] = _site_ids(fields["site_ids"] or [])
            if "types" in fields:
                fields["types"] = fields["types"] or []
            return await use_cases.update_endpoint(
                sessions, actor, _target_check(info), db_id=db_id, fields=fields
            )

        row, errors = await write(info, "Site", Action.EDIT, work)
        endpoint = await _with_sites(info, row)
        return WebhookEndpointPayload(endpoint=endpoint, user_errors=errors)

    @resolvers.mutation(
        description="Deletes a webhook endpoint (soft): nothing more is sent to it; restore "
        "brings it back with the deliveries it was owed."
    )
    async def delete_webhook_endpoint(self, info: Info, id: _ID) -> WebhookEndpointPayload:
        return await _state_change(info, id, "delete")

    @resolvers.mutation(description="Restores a deleted webhook endpoint.")
    async def restore_webhook_endpoint(self, info: Info, id: _ID) -> WebhookEndpointPayload:
        return await _state_change(info, id, "restore")

    @resolvers.mutation(
        description="Enables again an endpoint that was disabled for failing: its pending "
        "deliveries are sent at once."
    )
    async def enable_webhook_endpoint(self, info: Info, id: _ID) -> WebhookEndpointPayload:
        return await _state_change(info, id, "enable")

    @resolvers.mutation(
        description="Gives a webhook endpoint a new signing secret and answers it, once. The "
        "secret it replaces can keep signing deliveries beside the new one for a while (each "
        "delivery then carries two v1 signatures), so the receiver can switch without "
        "refusing genuine deliveries."
    )
    async def rotate_webhook_secret(
        self,
        info: Info,
        id: _ID,
        previous_secret_expires_in: Annotated[
            int,
            strawberry.argument(
                description="Seconds during which the replaced secret also signs deliveries "
                f"(0 to {int(use_cases.MAX_PREVIOUS_SECRET.total_seconds()):,}; 0: it stops "
                "at once)."
            ),
        ] = 0,
    ) -> RotateWebhookSecretPayload:
        rotated: list[use_cases.CreatedEndpoint] = []

        async def work(sessions: Sessions, actor: Actor) -> Record:
            db_id = record_id(id, ENDPOINT, ("id",))
            made = await use_cases.rotate_secret(
                sessions, actor, db_id, timedelta(seconds=previous_secret_expires_in)
            )
            rotated.append(made)
            return made.endpoint

        row, errors = await write(info, "Site", Action.EDIT, work)
        endpoint = await _with_sites(info, row)
        secret = rotated[0].secret if rotated else None
        return RotateWebhookSecretPayload(endpoint=endpoint, secret=secret, user_errors=errors)

    @resolvers.mutation(
        description="Sends an event to an endpoint again, from now, retried for 3 days (after "
        "it failed, or to replay it); earlier attempts stay listed."
    )
    async def redeliver_event(
        self,
        info: Info,
        event_id: Annotated[uuid.UUID, strawberry.argument(description="The event's id.")],
        endpoint_id: Annotated[
            strawberry.ID, strawberry.argument(description="The endpoint to send it to.")
        ],
    ) -> RedeliverEventPayload:
        async def work(sessions: Sessions, actor: Actor) -> Record:
            db_id = record_id(endpoint_id, ENDPOINT, ("endpointId",))
            return await use_cases.redeliver_event(
                sessions, actor, event_id=event_id, endpoint_id=db_id
            )

        row, errors = await write(info, "Site", Action.EDIT, work)
        delivery = None
        if row is not None:
            rows = await stored.delivery_page(
                info.context.db,
                stored.visible_endpoints(_manageable(info)),
                endpoint_id=row.endpoint_id,
                event_id=row.event_id,
                state=None,
                after=None,
                limit=1,
            )
            delivery = next(iter(await _deliveries_of(info.context.db, rows)), None)
        return RedeliverEventPayload(delivery=delivery, user_errors=errors)
