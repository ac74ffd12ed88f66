"""Organisations: the tenants that own sites and customers; written by administrators only.

Deleting one is soft, like every deletion: its sites, their codes and its customers leave
every list (app.db.filters.trashed_condition) and nothing of theirs can be redeemed, until it
is restored. No row is touched but the organisation's own.
"""

from __future__ import annotations

from app.auth.roles import Action
from app.clock import utcnow
from app.db.handles import Record, Sessions
from app.services.actor import Actor
from app.services.input_checks import Given, text_problems
from app.services.kinds import ORGANISATIONS
from app.services.records import find_for_write, insert_row, raise_problems, transaction, update_row

INPUT = ("input",)
TEXTS = {"name": 200, "external_id": 128}


async def create_organisation(sessions: Sessions, actor: Actor, fields: Given) -> Record:
    """`fields`: name, external_id."""
    async with transaction(sessions) as session:
        actor.require_in_organisation("Organisation", Action.CREATE, organisation_id=0)
        values = {name: fields.get(name) for name in TEXTS}
        raise_problems(text_problems(values, TEXTS, INPUT, required=("name",)))
        return await insert_row(session, ORGANISATIONS, values, actor, utcnow())


async def update_organisation(
    sessions: Sessions, actor: Actor, *, db_id: int, fields: Given
) -> Record:
    """Changes the fields given (a given null clears)."""
    async with transaction(sessions) as session:
        row = await find_for_write(
            session, ORGANISATIONS, db_id, actor, Action.EDIT, (*INPUT, "id")
        )
        values = {name: fields[name] for name in TEXTS if name in fields}
        raise_problems(text_problems(values, TEXTS, INPUT, required=("name",)))
        return await update_row(session, ORGANISATIONS, row.id, values, actor, utcnow())
