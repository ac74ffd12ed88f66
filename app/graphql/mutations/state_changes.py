"""Delete, restore, disable and enable: for one record by `id`, and for many by `ids`.

Every record type has the same ones with the same shape, so they are generated from one
description per type rather than written out (22 resolvers that would differ in names only).
The generated resolvers need real annotations, hence no `from __future__ import annotations`;
their payload types are made at run time too, so strawberry is given them as `graphql_type`.
"""

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from types import GenericAlias
from typing import Annotated, Any

import strawberry

from app.db.handles import Record, Sessions
from app.graphql.context import Info
from app.graphql.mutations.payloads import payload_type
from app.graphql.mutations.support import built, record_id, record_ids, write
from app.graphql.types import base
from app.services.actor import Actor
from app.services.records import RecordKind, StateChange, change_state, change_states

Resolver = Callable[..., Awaitable[object]]

_WHAT = {
    StateChange.DELETE: "Soft-deletes {what} (sets deletedAt; rows and history stay).",
    StateChange.RESTORE: "Restores {what}, soft-deleted before (clears deletedAt).",
    StateChange.DISABLE: "Disables {what} (sets disabledAt): still listed, not usable.",
    StateChange.ENABLE: "Enables {what}, disabled before (clears disabledAt).",
}
_BULK = ' All or nothing: a problem with any id is reported under ["ids", index].'


@dataclass(frozen=True)
class Target:
    kind: RecordKind
    object_type: type[base.Record]  # the API type built from the rows
    field: str  # payload field of one record ("discountCode" in Python: discount_code)
    plural: str  # payload field of many ("discount_codes")
    changes: tuple[StateChange, ...]
    bulk: bool


def _pascal(snake: str) -> str:
    return "".join(part.title() for part in snake.split("_"))


def state_change_mutations(target: Target) -> type:
    """A mutation type with `<verb><Type>(id)` and, for bulk targets, `<verb><Types>(ids)`."""
    type_name, label = target.kind.type_name, target.kind.label
    namespace: dict[str, Any] = {}
    article = "an" if label[0] in "aeiou" else "a"
    for change in target.changes:
        verb = change.name.lower()
        payload = payload_type(
            f"{verb.title()}{type_name}Payload",
            target.field,
            target.object_type,
            f"The {label} as it now is",
        )
        namespace[f"{verb}_{target.field}"] = strawberry.mutation(
            resolver=_one(target, change, payload),
            graphql_type=payload,
            description=_WHAT[change].format(what=f"{article} {label}"),
        )
        if target.bulk:
            payload = payload_type(
                f"{verb.title()}{_pascal(target.plural)}Payload",
                target.plural,
                GenericAlias(list, (target.object_type,)),
                f"The {label}s as they now are, in the order of ids",
            )
            namespace[f"{verb}_{target.plural}"] = strawberry.mutation(
                resolver=_many(target, change, payload),
                graphql_type=payload,
                description=_WHAT[change].format(what=f"{label}s by id") + _BULK,
            )
    name = f"{type_name}StateMutation"
    return strawberry.type(type(name, (), namespace), description=f"State changes of {label}s.")


def _one(target: Target, change: StateChange, payload: type) -> Resolver:
    type_name = target.kind.type_name

    async def resolve(
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description=f"The {type_name}'s id.")],
    ) -> object:
        async def work(sessions: Sessions, actor: Actor) -> Record:
            db_id = record_id(id, type_name, ("id",))
            return await change_state(sessions, target.kind, change, db_id, actor, ("id",))

        row, errors = await write(info, type_name, change.action, work)
        return payload(**{target.field: built(target.object_type, row), "user_errors": errors})

    return resolve


def _many(target: Target, change: StateChange, payload: type) -> Resolver:
    type_name = target.kind.type_name

    async def resolve(
        info: Info,
        ids: Annotated[list[strawberry.ID], strawberry.argument(description="The records' ids.")],
    ) -> object:
        async def work(sessions: Sessions, actor: Actor) -> Sequence[Record]:
            decoded, problems = record_ids(ids, type_name)
            return await change_states(sessions, target.kind, change, decoded, actor, problems)

        rows, errors = await write(info, type_name, change.action, work)
        objects = None if rows is None else [built(target.object_type, row) for row in rows]
        return payload(**{target.plural: objects, "user_errors": errors})

    return resolve
