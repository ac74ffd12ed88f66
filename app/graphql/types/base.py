"""What every record type shares: the Node and Record interfaces, and building objects from rows.

Scalar fields are plain dataclass attributes filled straight from the row (no resolver per
field); relationships are resolvers that go through the request's dataloaders.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

import strawberry
from sqlalchemy.engine import Row

from app.db.filters import ListSpec
from app.graphql.ids import to_global_id
from app.graphql.trashed import effective_trashed

T = TypeVar("T")

# API type name -> (its class, its list spec): filled as the type modules load.
NODE_TYPES: dict[str, tuple[type, ListSpec]] = {}


@strawberry.interface(description="An object with a global id (Relay); fetch any by `node(id:)`.")
class Node:
    id: strawberry.ID = strawberry.field(description="Global id: opaque, stable, unique across types.")


@strawberry.interface(description="Fields every stored record has.")
class Record(Node):
    db_id: strawberry.Private[int]
    unique_id: uuid.UUID = strawberry.field(description="The record's UUID (stable across systems).")
    created_at: datetime = strawberry.field(description="When the record was created.")
    updated_at: datetime = strawberry.field(description="When the record was last changed.")
    updated_by: str | None = strawberry.field(description="Who last changed the record (the token's subject).")
    deleted_at: datetime | None = strawberry.field(description="When the record was soft-deleted; null while live.")
    external_id: str | None = strawberry.field(description="The source system's identifier (Nexudus SystemId...).")


def row_builder(cls: type[T], type_name: str, **computed: Callable[[Row[Any]], Any]) -> Callable[[Row[Any]], T]:
    """A fast `row -> cls` constructor: columns named like init fields are copied as they are;
    `computed` supplies the others (each from the row)."""
    init_fields = [f.name for f in dataclasses.fields(cls) if f.init]  # type: ignore[arg-type]
    plain: list[str] | None = None

    def build(row: Row[Any]) -> T:
        nonlocal plain
        mapping = row._mapping
        if plain is None:
            plain = [n for n in init_fields if n in mapping and n not in computed]
        values = {n: mapping[n] for n in plain}
        for name, compute in computed.items():
            values[name] = compute(row)
        values["id"] = to_global_id(type_name, row.id)
        values["db_id"] = row.id
        return cls(**values)

    return build


def node_type(
    spec: ListSpec, **computed: Callable[[Row[Any]], Any]
) -> Callable[[type[T]], type[T]]:
    """Registers a record type for `node(id:)` and gives it `from_row` (see `row_builder`)."""

    def register(cls: type[T]) -> type[T]:
        cls.from_row = staticmethod(row_builder(cls, spec.name, **computed))  # type: ignore[attr-defined]
        NODE_TYPES[spec.name] = (cls, spec)
        return cls

    return register


def build_for(type_name: str) -> Callable[[Row[Any]], Any]:
    cls, _ = NODE_TYPES[type_name]
    return cls.from_row  # type: ignore[attr-defined,no-any-return]


async def load_related(info: Any, type_name: str, db_id: int | None) -> Any:
    """A to-one relationship: the related record through its by-id loader, or None (missing,
    soft-deleted under the response's choice, or outside the caller's scope)."""
    if db_id is None:
        return None
    cls, spec = NODE_TYPES[type_name]
    loader = info.context.loaders.record_by_id(spec, effective_trashed(info, None))
    row = await loader.load(db_id)
    return None if row is None else cls.from_row(row)  # type: ignore[attr-defined]
