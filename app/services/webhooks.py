"""Webhook endpoints: who may manage them, what a valid one is, and redelivering an event.

An endpoint names the sites whose events it takes: managing it takes `Site-Edit` (a site's
settings) on every one of them; an endpoint of every site (no `siteIds`) is an
administrator's. Its URL is checked as a delivery would be (app.delivery.targets): a host
that resolves to a private, loopback or link-local address is refused (unless the setting
allows it), and checked again on every delivery. The signing secret is made here and shown
once, by the write that made it: creation, or a rotation, after which the secret it replaced
may keep signing deliveries (beside the new one) for up to a day, so that a receiver can
switch without refusing genuine deliveries in between.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

from app.auth.roles import Action
from app.clock import utcnow
from app.db import events as stored_events
from app.db import row_statements
from app.db import webhooks as stored
from app.db.handles import Record, Session, Sessions
from app.db.tables import WEBHOOK_ENDPOINT
from app.domain.webhooks import RETRY_WINDOW, endpoint_filter, new_secret, url_problem
from app.services.actor import ADMINISTRATOR, Actor, refusal
from app.services.input_checks import Given
from app.services.problems import NotPermitted, Problem, ProblemCode, Problems
from app.services.records import raise_problems, transaction

INPUT = ("input",)
MAX_SITES = 1000
MAX_TYPES = 100
# How long a rotated secret may keep signing beside the new one (Stripe allows a day).
MAX_PREVIOUS_SECRET = timedelta(hours=24)
EVERY_SITE = NotPermitted(
    "only administrators may manage an endpoint of every site (give siteIds)", [ADMINISTRATOR]
)


class TargetCheck(Protocol):
    async def __call__(self, url: str) -> str | None:
        """Why a delivery to `url` would be refused now, or None."""


@dataclass(frozen=True)
class CreatedEndpoint:
    endpoint: Record
    secret: str


def _type_problems(types: Sequence[str], path: tuple[str, ...]) -> list[Problem]:
    if len(types) > MAX_TYPES:
        return [Problem(path, ProblemCode.OUT_OF_RANGE, f"at most {MAX_TYPES} types")]
    return [
        Problem(
            (*path, str(index)),
            ProblemCode.INVALID,
            f"no event type is called {name!r} (e.g. redemption.created, coupon.updated)",
        )
        for index, name in enumerate(types)
        if name not in stored_events.EVENT_TYPES
    ]


async def _url_problems(url: str, check: TargetCheck, path: tuple[str, ...]) -> list[Problem]:
    wrong = url_problem(url)
    if wrong is None:
        wrong = await check(url)
    return [] if wrong is None else [Problem(path, ProblemCode.INVALID, wrong)]


async def _sites(
    session: Session, actor: Actor, site_ids: Sequence[int | None], path: tuple[str, ...]
) -> list[tuple[int, int]]:
    """(site, organisation) of each id, once the caller may edit each site's settings."""
    if len(site_ids) > MAX_SITES:
        raise Problems([Problem(path, ProblemCode.OUT_OF_RANGE, f"at most {MAX_SITES} sites")])
    known = await stored.live_sites(session, [i for i in site_ids if i is not None])
    missing = [
        Problem((*path, str(index)), ProblemCode.NOT_FOUND, "no live site has this id")
        for index, site in enumerate(site_ids)
        if site is None or site not in known
    ]
    raise_problems(missing)
    pairs = [(site, known[site]) for site in site_ids if site is not None]
    require_sites(actor, pairs)
    return pairs


def require_sites(actor: Actor, sites: Sequence[tuple[int, int]]) -> None:
    """The caller may manage an endpoint of `sites` (none: every site)."""
    scope = actor.rights.scope("Site", Action.EDIT)
    if not sites:
        if not scope.everything:
            raise EVERY_SITE
        return
    for site, organisation in sites:
        if not scope.covers(site, organisation):
            raise refusal("Site", Action.EDIT, " on this site")


async def create_endpoint(
    sessions: Sessions,
    actor: Actor,
    check: TargetCheck,
    *,
    url: str,
    types: Sequence[str],
    site_ids: Sequence[int | None],
) -> CreatedEndpoint:
    """A new endpoint, live at once: it is owed the events that occur from now on."""
    problems = await _url_problems(url, check, (*INPUT, "url"))
    problems += _type_problems(types, (*INPUT, "types"))
    async with transaction(sessions) as session:
        sites = await _sites(session, actor, site_ids, (*INPUT, "siteIds"))
        raise_problems(problems)
        now = utcnow()
        secret = new_secret()
        values = {
            "unique_id": uuid.uuid4(),
            "created_at": now,
            "updated_at": now,
            "updated_by": actor.subject,
            "url": url,
            "types": sorted(set(types)),
            "secret": secret,
        }
        row = await row_statements.insert_row(session, WEBHOOK_ENDPOINT, values)
        await stored.set_sites(session, row.id, sites)
    return CreatedEndpoint(row, secret)


async def _endpoint_for_write(
    session: Session, actor: Actor, db_id: int, path: tuple[str, ...]
) -> Record:
    row = await row_statements.stored_row(
        session, WEBHOOK_ENDPOINT, db_id, lock=row_statements.RowLock.UPDATE
    )
    if row is None:
        raise Problems([Problem(path, ProblemCode.NOT_FOUND, "no webhook endpoint has this id")])
    sites = (await stored.sites_of(session, [db_id]))[db_id]
    require_sites(actor, sites)
    return row


async def update_endpoint(
    sessions: Sessions,
    actor: Actor,
    check: TargetCheck,
    *,
    db_id: int,
    fields: Given,
) -> Record:
    """Changes the fields given (url, types, site_ids) of a live endpoint."""
    problems: list[Problem] = []
    if "url" in fields:
        problems += await _url_problems(fields["url"], check, (*INPUT, "url"))
    if "types" in fields:
        problems += _type_problems(fields["types"], (*INPUT, "types"))
    async with transaction(sessions) as session:
        row = await _endpoint_for_write(session, actor, db_id, (*INPUT, "id"))
        if row.deleted_at is not None:
            message = "the webhook endpoint is deleted; restore it first"
            problems.append(Problem((*INPUT, "id"), ProblemCode.ALREADY_DELETED, message))
        if "site_ids" in fields:
            sites = await _sites(session, actor, fields["site_ids"], (*INPUT, "siteIds"))
            raise_problems(problems)
            await stored.set_sites(session, db_id, sites)
        raise_problems(problems)
        values: dict[str, Any] = {"updated_at": utcnow(), "updated_by": actor.subject}
        if "url" in fields:
            values["url"] = fields["url"]
        if "types" in fields:
            values["types"] = sorted(set(fields["types"]))
        return await row_statements.update_row(session, WEBHOOK_ENDPOINT, db_id, values)


async def rotate_secret(
    sessions: Sessions, actor: Actor, db_id: int, previous_valid: timedelta
) -> CreatedEndpoint:
    """A new signing secret for a live endpoint; the one it replaces keeps signing deliveries
    beside it for `previous_valid` (none: it stops at once). A secret rotated before and
    still valid stops: only the secret replaced now stays valid."""
    path = ("previousSecretExpiresIn",)
    if not timedelta(0) <= previous_valid <= MAX_PREVIOUS_SECRET:
        seconds = int(MAX_PREVIOUS_SECRET.total_seconds())
        message = f"must be between 0 and {seconds:,} seconds"
        raise Problems([Problem(path, ProblemCode.OUT_OF_RANGE, message)])
    async with transaction(sessions) as session:
        row = await _endpoint_for_write(session, actor, db_id, ("id",))
        if row.deleted_at is not None:
            message = "the webhook endpoint is deleted; restore it first"
            raise Problems([Problem(("id",), ProblemCode.ALREADY_DELETED, message)])
        now, secret = utcnow(), new_secret()
        keeps = previous_valid > timedelta(0)
        values: dict[str, object] = {
            "secret": secret,
            "previous_secret": row.secret if keeps else None,
            "previous_secret_expires_at": now + previous_valid if keeps else None,
            "updated_at": now,
            "updated_by": actor.subject,
        }
        updated = await row_statements.update_row(session, WEBHOOK_ENDPOINT, db_id, values)
    return CreatedEndpoint(updated, secret)


# state change -> (the column, whether it must be set beforehand, the problem when not so)
_CHANGES = {
    "delete": ("deleted_at", False, ProblemCode.ALREADY_DELETED, "already deleted"),
    "restore": ("deleted_at", True, ProblemCode.NOT_DELETED, "not deleted"),
    "enable": ("disabled_at", True, ProblemCode.NOT_DISABLED, "not disabled"),
}


async def change_endpoint(sessions: Sessions, actor: Actor, db_id: int, change: str) -> Record:
    """Deletes (softly: its deliveries and attempts stay, none is sent), restores, or enables
    again (after it was disabled for failing) an endpoint."""
    column, must_be_set, code, message = _CHANGES[change]
    async with transaction(sessions) as session:
        row = await _endpoint_for_write(session, actor, db_id, ("id",))
        if (row._mapping[column] is not None) != must_be_set:
            raise Problems([Problem(("id",), code, f"the webhook endpoint is {message}")])
        now = utcnow()
        values: dict[str, Any] = {
            column: None if must_be_set else now,
            "updated_at": now,
            "updated_by": actor.subject,
        }
        if change == "enable":
            values.update(disabled_reason=None, failing_since=None)
        return await row_statements.update_row(session, WEBHOOK_ENDPOINT, db_id, values)


async def redeliver_event(
    sessions: Sessions, actor: Actor, *, event_id: uuid.UUID, endpoint_id: int
) -> Record:
    """Sends the event to the endpoint again from now, retried for a new window: after it was
    given up, or to replay it (its earlier attempts stay listed)."""
    async with transaction(sessions) as session:
        endpoint = await _endpoint_for_write(session, actor, endpoint_id, ("endpointId",))
        if endpoint.deleted_at is not None:
            message = "the webhook endpoint is deleted; restore it first"
            raise Problems([Problem(("endpointId",), ProblemCode.ALREADY_DELETED, message)])
        event = await stored.event_by_id(session, event_id)
        sites = (await stored.sites_of(session, [endpoint_id]))[endpoint_id]
        # Only the events of the endpoint's sites (of any type): a site's settings role must
        # not reach another site's events through its endpoint.
        if event is None or not endpoint_filter((), sites).takes(
            event.type, event.site_id, event.organisation_id
        ):
            message = "no event of the endpoint's sites has this id"
            raise Problems([Problem(("eventId",), ProblemCode.NOT_FOUND, message)])
        return await stored.redeliver(session, endpoint_id, event, utcnow(), RETRY_WINDOW)
