"""What every mutation resolver does: who is writing, which fields were given, ids to records,
and running a use case (which opens its one transaction) into a payload's userErrors."""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from strawberry.types.maybe import Some

from app.auth.roles import Action
from app.db.handles import Record, Sessions
from app.graphql.access import forbidden
from app.graphql.context import Info
from app.graphql.ids import parse_global_id
from app.graphql.mutations.payloads import UserError, run_use_case
from app.graphql.types.base import R
from app.services.actor import Actor, Rights
from app.services.input_checks import Given, camel
from app.services.problems import NotPermitted, Problem, ProblemCode, Problems

if TYPE_CHECKING:
    from _typeshed import DataclassInstance  # an input object: strawberry makes dataclasses

T = TypeVar("T")
Path = tuple[str, ...]


def given(input_object: DataclassInstance) -> dict[str, Any]:
    """The input's fields that the client gave, by Python name.

    A `Maybe` field left out is absent and one set (even to null) is present with its value, so
    an update can tell "keep" from "clear"; a plain optional field given as null is absent too
    (on a create both mean the default).
    """
    values = {}
    for field in dataclasses.fields(input_object):
        value = getattr(input_object, field.name)
        if isinstance(value, Some):
            values[field.name] = value.value
        elif value is not None:
            values[field.name] = value
    return values


def record_id(value: str, type_name: str, path: Path) -> int:
    """The database id behind a global id of `type_name`; anything else is NOT_FOUND at `path`
    (for a mutation an id that names nothing is a user error, not a failed request)."""
    parsed = parse_global_id(value)
    if parsed is None or parsed[0] != type_name:
        message = f"no {type_name} has this id"
        raise Problems([Problem(path, ProblemCode.NOT_FOUND, message)])
    return parsed[1]


def record_ids(values: Sequence[str], type_name: str) -> tuple[list[int | None], list[Problem]]:
    """Each id decoded (None when it is not one), and the problems under ["ids", index]."""
    ids: list[int | None] = []
    problems: list[Problem] = []
    for index, value in enumerate(values):
        try:
            ids.append(record_id(value, type_name, ("ids", str(index))))
        except Problems as found:
            ids.append(None)
            problems += found.problems
    return ids, problems


def decode_ids(fields: dict[str, Any], types: Mapping[str, str], path: Path = ("input",)) -> None:
    """Replaces the global ids among `fields` (name -> record type) by database ids, in place;
    every id that names nothing is reported at once."""
    problems: list[Problem] = []
    for name, type_name in types.items():
        if fields.get(name) is None:
            continue
        try:
            fields[name] = record_id(fields[name], type_name, (*path, camel(name)))
        except Problems as found:
            problems += found.problems
    if problems:
        raise Problems(problems)


def actor(info: Info, type_name: str, action: Action) -> Actor:
    """The caller, with where they may do each action on `type_name` records, the type a
    CRUD use case writes (an upsert may create some and edit others); refused (FORBIDDEN)
    without `action` anywhere."""
    access = info.context.access
    access.require_scope(type_name, action)
    return Actor(
        subject=info.context.principal.subject,
        rights=Rights({(type_name, each): access.scope(type_name, each) for each in Action}),
        records_history=info.context.principal.is_admin,
    )


async def write(
    info: Info,
    type_name: str,
    action: Action,
    use_case: Callable[[Sessions, Actor], Awaitable[T]],
) -> tuple[T | None, list[UserError]]:
    """Runs `use_case` (which opens its one transaction, rolled back on any user error) for a
    caller who may do `action` on `type_name` records somewhere; where exactly is checked per
    record by the use case (`NotPermitted`, FORBIDDEN here). A caller without the role at all is refused (FORBIDDEN) before
    any input is read."""
    who = actor(info, type_name, action)
    sessions = info.context.services.sessions
    try:
        return await run_use_case(lambda: use_case(sessions, who), info.context.db)
    except NotPermitted as refused:
        raise forbidden(refused) from None


class Update(Protocol):
    """A use case that changes the fields given of one record (`app.services.*.update_*`)."""

    def __call__(
        self, sessions: Sessions, actor: Actor, *, db_id: int, fields: Given
    ) -> Awaitable[Record]: ...


async def update(
    info: Info,
    type_name: str,
    input: DataclassInstance,
    use_case: Update,
    ids: Mapping[str, str] | None = None,
) -> tuple[Record | None, list[UserError]]:
    """An update mutation's write: the record named by the input's `id` (NOT_FOUND at
    input.id unless a `type_name`'s) and the fields given, the global ids among them decoded
    (`ids`: name -> record type), handed to `use_case` for a caller who may edit `type_name`
    records."""

    async def work(sessions: Sessions, actor: Actor) -> Record:
        fields = given(input)
        db_id = record_id(fields.pop("id"), type_name, ("input", "id"))
        if ids:
            decode_ids(fields, ids)
        return await use_case(sessions, actor, db_id=db_id, fields=fields)

    return await write(info, type_name, Action.EDIT, work)


def built(object_type: type[R], row: Record | None) -> R | None:
    """The API object for a written row (None after a user error)."""
    return None if row is None else object_type.from_row(row)
