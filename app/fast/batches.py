"""The batch of a field whose source is declared (app.graphql.field_sources): one call for every
parent of a response level.

graphql-core calls a resolver once per parent. The plan executor (`app.fast.executor`) calls
a field's batch once for all the parents of a level instead: the arguments converted once,
one loader request for all the keys. A batch is derived here from the field's declared
source, the same declaration its per-parent resolver was made from, so the two read the same
rows through the same loaders: `batch(parents, info, **arguments)` answers, in order, what
the resolver would answer for each parent.

A batch returns one result per parent; an `Exception` in place of a result is that parent's
error, and an exception the batch raises is the error of every parent.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, cast

from app.graphql.connections import ListArguments, resolve_connections
from app.graphql.field_sources import (
    ChildPages,
    LoadedRows,
    RecordById,
    RelatedRecord,
    SameRow,
    Source,
)
from app.graphql.queries import fetch_by_global_id
from app.graphql.trashed import effective_trashed
from app.graphql.types.base import build_for

if TYPE_CHECKING:
    from collections.abc import Hashable

    from app.db.filters import Trashed
    from app.db.handles import Record
    from app.graphql.context import Info
    from app.graphql.loaders import RowsByColumnLoader

# batch(parents, info, **the field's arguments converted): one result (or Exception) a parent
Batch = Callable[..., Awaitable[list[object]]]


def batch_for(source: Source) -> Batch:
    """The batch of a field whose source is `source`."""
    if isinstance(source, RelatedRecord):
        return _related(source)
    if isinstance(source, ChildPages):
        return _pages(source)
    if isinstance(source, RecordById):
        return _by_id(source)
    if isinstance(source, SameRow):
        return _same_row(source)
    return _loaded_rows(source)


def _related(source: RelatedRecord) -> Batch:
    attribute, column, type_name = source.attribute, source.column, source.type_name

    async def related(parents: list[object], info: Info) -> list[object]:
        db_ids = [getattr(parent, attribute) for parent in parents]
        loader = info.context.loaders.by_id(source.loader, effective_trashed(info, None))
        rows = iter(await loader.load_all([i for i in db_ids if i is not None]))
        build = build_for(type_name)
        related: list[object] = []
        for db_id in db_ids:
            row = None if db_id is None else next(rows)
            if row is None:
                related.append(None)
            else:
                related.append(getattr(row, column) if column else build(row))
        return related

    return related


def _pages(source: ChildPages) -> Batch:
    async def pages(parents: list[object], info: Info, **arguments: Any) -> list[object]:
        found = await resolve_connections(parents, info, source, ListArguments(**arguments))
        return cast("list[object]", found)

    return pages


def _by_id(source: RecordById) -> Batch:
    type_name = source.type_name

    async def by_id(
        roots: list[object], info: Info, id: str, trashed: Trashed | None
    ) -> list[object]:
        return [await fetch_by_global_id(info, type_name, id, trashed) for _ in roots]

    return by_id


def _same_row(source: SameRow) -> Batch:
    make = source.make

    async def same_row(parents: list[object], info: Info) -> list[object]:
        return [make(parent) for parent in parents]

    return same_row


def _loaded_rows(source: LoadedRows) -> Batch:
    async def loaded(parents: list[object], info: Info) -> list[object]:
        keys = [source.key(parent) for parent in parents]
        rows: dict[tuple[type[RowsByColumnLoader], Hashable], list[Record]] = {}
        for loader in {loader for loader, _ in keys}:
            wanted = [key for kind, key in keys if kind is loader]
            found = await info.context.loaders.rows(loader).load_all(wanted)
            rows.update({(loader, key): value for key, value in zip(wanted, found, strict=True)})
        return [source.build(parent, rows[key]) for parent, key in zip(parents, keys, strict=True)]

    return loaded
