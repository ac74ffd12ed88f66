"""What every record type shares: the Node and Record interfaces, and building objects from rows.

Scalar fields are plain dataclass attributes filled straight from the row (no resolver per
field); relationships are resolvers that go through the request's dataloaders.
"""

from __future__ import annotations

import dataclasses
import operator
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, Self, TypeVar

import strawberry
from sqlalchemy.engine import Row

from app.db.filters import ListSpec
from app.graphql.context import Info
from app.graphql.field_sources import LoadedRows, RelatedRecord, sourced_field
from app.graphql.ids import to_global_id
from app.graphql.trashed import effective_trashed

if TYPE_CHECKING:
    from app.graphql.loaders import RecordByIdLoader

T = TypeVar("T")

# API type name -> (its class, its list spec): filled as the type modules load.
NODE_TYPES: dict[str, tuple[type[Record], ListSpec]] = {}


@strawberry.interface(description="An object with a global id (Relay); fetch any by `node(id:)`.")
class Node:
    id: strawberry.ID = strawberry.field(
        description="Global id: opaque, stable, unique across types."
    )


@strawberry.interface(description="Fields every stored record has.")
class Record(Node):
    db_id: strawberry.Private[int]
    unique_id: uuid.UUID = strawberry.field(
        description="The record's UUID (stable across systems)."
    )
    created_at: datetime = strawberry.field(description="When the record was created.")
    updated_at: datetime = strawberry.field(description="When the record was last changed.")
    updated_by: str | None = strawberry.field(
        description="Who last changed the record (the token's subject)."
    )
    deleted_at: datetime | None = strawberry.field(
        description="When the record was soft-deleted; null while live."
    )
    external_id: str | None = strawberry.field(
        description="The source system's identifier (Nexudus SystemId...)."
    )
    # Set on each record type by `node_type`: the object for a stored row (`row_builder`),
    # and the attributes it computes rather than copies from a column of the same name.
    from_row: ClassVar[Callable[[Row[Any]], Self]]
    row_computed: ClassVar[frozenset[str]] = frozenset()


R = TypeVar("R", bound=Record)


def row_builder(
    cls: type[R], type_name: str, **computed: Callable[[Row[Any]], object]
) -> Callable[[Row[Any]], R]:
    """A fast `row -> cls` constructor: columns named like init fields are copied as they are;
    `computed` supplies the others (each from the row), defaults the rest.

    The objects are made without calling the dataclass `__init__` (a keyword call per object
    and a dict per row were most of the cost of a large page): which row positions go to
    which attributes is worked out once per result layout (rows of one result share it).
    """
    init_fields = [f for f in dataclasses.fields(cls) if f.init]
    made = {"id", "db_id", *computed}
    last: list[Any] = [None, None]  # [the rows' result metadata, its layout]

    def layout(
        row: Row[Any],
    ) -> tuple[Callable[[Row[Any]], tuple[object, ...]], tuple[str, ...], dict[str, object]] | None:
        """(a getter of the row's id and copied values, their attribute names with `db_id`
        first, the defaults of the fields the row lacks), or None when a field is neither in
        the row nor has a plain default (the dataclass `__init__` then builds the object,
        and raises if it must)."""
        positions = {key: index for index, key in enumerate(row._fields)}
        names = tuple(f.name for f in init_fields if f.name in positions and f.name not in made)
        defaults: dict[str, object] = {}
        for f in init_fields:
            if f.name not in positions and f.name not in made:
                if f.default is dataclasses.MISSING:
                    return None
                defaults[f.name] = f.default
        getter = operator.itemgetter(positions["id"], *(positions[name] for name in names))
        return getter, ("db_id", *names), defaults

    def build(row: Row[Any]) -> R:
        parent = getattr(row, "_parent", row)  # SQLAlchemy's result metadata, shared by its rows
        if last[0] is not parent:
            last[0], last[1] = parent, layout(row)
        plan = last[1]
        if plan is None:
            mapping = row._mapping
            values = {
                f.name: mapping[f.name]
                for f in init_fields
                if f.name in mapping and f.name not in made
            }
            values.update({name: compute(row) for name, compute in computed.items()})
            return cls(**values, id=strawberry.ID(to_global_id(type_name, row.id)), db_id=row.id)
        getter, names, defaults = plan
        values = dict(zip(names, getter(row), strict=False))
        values["id"] = to_global_id(type_name, values["db_id"])
        if defaults:
            values.update(defaults)
        for name, compute in compute_items:
            values[name] = compute(row)
        obj = new(cls)
        obj.__dict__ = values
        return obj

    compute_items = tuple(computed.items())
    new = object.__new__
    return build


def node_type(
    spec: ListSpec, **computed: Callable[[Row[Any]], object]
) -> Callable[[type[R]], type[R]]:
    """Registers a record type for `node(id:)` and gives it `from_row` (see `row_builder`)."""

    def register(cls: type[R]) -> type[R]:
        cls.from_row = staticmethod(row_builder(cls, spec.name, **computed))
        cls.row_computed = frozenset(computed)
        NODE_TYPES[spec.name] = (cls, spec)
        return cls

    return register


def computed_fields(cls: type[Record]) -> frozenset[str]:
    """The attributes `from_row` computes rather than copies from a column of the same name."""
    return cls.row_computed


def build_for(type_name: str) -> Callable[[Row[Any]], Record]:
    cls, _ = NODE_TYPES[type_name]
    return cls.from_row


async def load_related(info: Info, source: RelatedRecord, db_id: int | None) -> object:
    """A to-one relationship: the related record through its by-id loader (or its `column`),
    or None (no id, missing, soft-deleted under the response's choice, or outside the
    caller's scope)."""
    if db_id is None:
        return None
    loader = info.context.loaders.by_id(source.loader, effective_trashed(info, None))
    row = await loader.load(db_id)
    if row is None:
        return None
    return getattr(row, source.column) if source.column else build_for(source.type_name)(row)


def related_field(
    loader: type[RecordByIdLoader],
    attribute: str,
    node: Any,
    *,
    description: str,
    column: str | None = None,
) -> Any:
    """A to-one relationship field: the record `loader` gives for the id the parent holds in
    `attribute`, or null (or only its `column`, of type `node`)."""
    source = RelatedRecord(loader, attribute, column)

    async def related(root: object, info: Info) -> object:
        return await load_related(info, source, getattr(root, attribute))

    return sourced_field(source, related, graphql_type=node | None, description=description)


def loaded_rows_field(source: LoadedRows, node: Any, *, description: str) -> Any:
    """A field built from the rows a loader gives for a key of the parent (see `LoadedRows`)."""

    async def loaded(root: object, info: Info) -> object:
        loader, key = source.key(root)
        return source.build(root, await info.context.loaders.rows(loader).load(key))

    return sourced_field(source, loaded, graphql_type=node, description=description)
