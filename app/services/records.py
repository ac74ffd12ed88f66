"""What every write shares: loading a record to change it, stamping it, inserting and updating,
and the state changes (delete, restore, disable, enable) of one record or of many at once.

The statements are app.db.row_statements': inserts and updates answer the row as stored, which is
what a use case hands back (the API builds its objects from rows).
"""

from __future__ import annotations

import contextlib
import enum
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from app.auth.roles import Action
from app.clock import utcnow
from app.db import row_statements as stored
from app.db.handles import Record, Session, Sessions, Table
from app.services.actor import Actor
from app.services.problems import Problem, ProblemCode, Problems, problem
from app.services.uniqueness import Conflict, LiveUnique, conflicts_reported, ensure_free

T = TypeVar("T")
Path = tuple[str, ...]

# More ids than this in one bulk call is refused: one transaction holds every row it touches.
MAX_BULK_IDS = 1000


class Owner(enum.Enum):
    """Where a record's permissions are granted."""

    SITE = "site"  # a site's record: on its site or its organisation
    # An organisation's record (a customer): on the organisation or on any of its sites.
    ORGANISATION = "organisation"
    ITSELF = "itself"  # a site (on itself or its organisation), an organisation (on itself)


@dataclass(frozen=True)
class RecordKind:
    """A type of record as the write paths see it."""

    type_name: str  # the API type, which is also what permissions are named after
    label: str  # how messages call it ("discount code")
    table: Table
    # The live-uniqueness rule a row must respect to come back from deletion, and the values
    # of the row it applies to (None from it: this row is under no rule).
    unique: Callable[[Record], tuple[LiveUnique, dict[str, object]] | None] | None = None
    owner: Owner = Owner.SITE


@contextlib.asynccontextmanager
async def transaction(sessions: Sessions) -> AsyncIterator[Session]:
    """The one way a use case opens its transaction (every use case the API calls opens one,
    and only one): committed when the block ends, rolled back when it raises. A use case
    called by another takes the caller's session instead."""
    async with sessions() as session, session.begin():
        yield session


def raise_problems(problems: Sequence[Problem]) -> None:
    if problems:
        raise Problems(problems)


def stamp(actor: Actor, now: datetime) -> dict[str, object]:
    """The columns every write sets (DESIGN: updatedAt and updatedBy change on every write)."""
    return {"updated_at": now, "updated_by": actor.subject}


def new_record(actor: Actor, now: datetime) -> dict[str, object]:
    """The record columns of a new row (the tables have no server-side defaults)."""
    return {"unique_id": uuid.uuid4(), "created_at": now, **stamp(actor, now)}


async def find(
    session: Session, kind: RecordKind, db_id: int, path: Path, *, lock: bool = False
) -> Record:
    """The row, or NOT_FOUND at `path`. `lock` takes a row lock (PostgreSQL) so that a
    read-validate-write cannot interleave with another writer of the same row; SQLite needs
    none because its write transactions begin IMMEDIATE."""
    row_lock = stored.RowLock.UPDATE if lock else None
    row = await stored.stored_row(session, kind.table, db_id, lock=row_lock)
    if row is None:
        raise Problems([Problem(path, ProblemCode.NOT_FOUND, f"no {kind.label} has this id")])
    return row


def require_live(kind: RecordKind, row: Record, path: Path) -> None:
    if row.deleted_at is not None:
        message = f"the {kind.label} is deleted; restore it first"
        raise Problems([Problem(path, ProblemCode.ALREADY_DELETED, message)])


async def find_for_write(
    session: Session,
    kind: RecordKind,
    db_id: int,
    actor: Actor,
    action: Action,
    path: Path,
    *,
    live: bool = True,
) -> Record:
    """The row, locked, once the actor may do `action` on it (and, with `live`, not deleted)."""
    row = await find(session, kind, db_id, path, lock=True)
    await authorize(session, kind, row, actor, action)
    if live:
        require_live(kind, row, path)
    return row


async def authorize(
    session: Session, kind: RecordKind, row: Record, actor: Actor, action: Action
) -> None:
    """Raises unless the actor may do `action` on `row`, by where its kind is granted."""
    name = kind.type_name
    if kind.owner is Owner.SITE:
        actor.require(name, action, site_id=row.site_id, organisation_id=row.organisation_id)
    elif kind.owner is Owner.ORGANISATION:
        sites = await stored.site_ids_of(session, row.organisation_id)
        actor.require_in_organisation(
            name, action, organisation_id=row.organisation_id, site_ids=sites
        )
    elif "organisation_id" in row._mapping:  # a site
        actor.require(name, action, site_id=row.id, organisation_id=row.organisation_id)
    else:  # an organisation
        actor.require_in_organisation(name, action, organisation_id=row.id)


async def insert_row(
    session: Session, kind: RecordKind, values: Mapping[str, Any], actor: Actor, now: datetime
) -> Record:
    return await stored.insert_row(session, kind.table, {**new_record(actor, now), **values})


async def update_row(
    session: Session,
    kind: RecordKind,
    db_id: int,
    values: Mapping[str, Any],
    actor: Actor,
    now: datetime,
) -> Record:
    return await stored.update_row(session, kind.table, db_id, {**values, **stamp(actor, now)})


class StateChange(enum.Enum):
    """Soft deletion and disabling, each with its undo: (action, column, sets it, error if so)."""

    DELETE = (Action.DELETE, "deleted_at", True, ProblemCode.ALREADY_DELETED, "already deleted")
    RESTORE = (Action.DELETE, "deleted_at", False, ProblemCode.NOT_DELETED, "not deleted")
    DISABLE = (Action.EDIT, "disabled_at", True, ProblemCode.ALREADY_DISABLED, "already disabled")
    ENABLE = (Action.EDIT, "disabled_at", False, ProblemCode.NOT_DISABLED, "not disabled")

    def __init__(
        self, action: Action, column: str, sets: bool, code: ProblemCode, state: str
    ) -> None:
        self.action, self.column, self.sets = action, column, sets
        self.code, self.state = code, state


async def change_state(
    sessions: Sessions, kind: RecordKind, change: StateChange, db_id: int, actor: Actor, path: Path
) -> Record:
    """Applies `change` to one record; doing it twice, or undoing what was not done, is a
    user error. Disabling and enabling need a live record; restoring needs the record's
    unique key (its code, its customer and code) to be free among live rows again."""
    async with transaction(sessions) as session:
        return await _change_state(session, kind, change, db_id, actor, utcnow(), path)


async def _change_state(
    session: Session,
    kind: RecordKind,
    change: StateChange,
    db_id: int,
    actor: Actor,
    now: datetime,
    path: Path,
) -> Record:
    live = change.column != "deleted_at"
    row = await find_for_write(session, kind, db_id, actor, change.action, path, live=live)
    if (getattr(row, change.column) is not None) == change.sets:
        message = f"the {kind.label} is {change.state}"
        raise Problems([Problem(path, change.code, message)])
    values = {change.column: now if change.sets else None}
    unique = kind.unique(row) if change is StateChange.RESTORE and kind.unique else None
    if unique is None:
        return await update_row(session, kind, db_id, values, actor, now)
    rule, key = unique
    raise_problems(await ensure_free(session, rule, key, path, exclude_id=db_id))
    with conflicts_reported(rule, path):
        return await update_row(session, kind, db_id, values, actor, now)


async def change_states(
    sessions: Sessions,
    kind: RecordKind,
    change: StateChange,
    ids: Sequence[int | None],
    actor: Actor,
    known: Sequence[Problem] = (),
) -> list[Record]:
    """`change` for every id, all or nothing: every id's problem is reported under
    ["ids", index] (ids given as None are ones the caller could not read: `known` says why)."""
    if len(ids) > MAX_BULK_IDS:
        raise problem("ids", ProblemCode.OUT_OF_RANGE, f"at most {MAX_BULK_IDS} ids per call")
    now = utcnow()
    async with transaction(sessions) as session:
        problems, rows = list(known), []
        # Lock every row up front in id order: two bulk calls over the same rows in different
        # orders would otherwise each hold a lock the other waits for (a deadlock, on PostgreSQL).
        wanted = sorted({db_id for db_id in ids if db_id is not None})
        await stored.lock_ids(session, kind.table, wanted)
        for index, db_id in enumerate(ids):
            if db_id is None:
                continue
            try:
                path = ("ids", str(index))
                rows.append(await _change_state(session, kind, change, db_id, actor, now, path))
            except Conflict as conflict:
                # The transaction cannot run another statement after a failed write (PostgreSQL).
                problems.extend(conflict.problems)
                break
            except Problems as found:
                problems.extend(found.problems)
        raise_problems(sorted(problems, key=lambda p: int(p.field[1]) if len(p.field) > 1 else -1))
        return rows


async def attempt(call: Awaitable[T]) -> tuple[T | None, list[Problem]]:
    """The result of `call`, or its problems, so that several lookups can all be reported."""
    try:
        return await call, []
    except Conflict:
        raise
    except Problems as found:
        return None, list(found.problems)
