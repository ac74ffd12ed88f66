"""Per-request dataloaders: every relationship and every fetch by id goes through one of these.

A loader batches the keys asked for in one tick into one statement, and returns results aligned
with the keys. They are named for what they give by what key: `CustomerByIdLoader` gives the
customer row of an id, `EligibleItemsByCouponIdLoader` the eligible item rows of a coupon.
A request's loaders (`Loaders`) are made on first use and keyed by what changes their SQL (the
soft-deletion choice, the caller's scope, and for pages the list, filter, order and window),
so two fields asking the same thing share one batch.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Hashable, Sequence
from typing import Any, ClassVar, TypeVar

import sqlalchemy as sa
from aiodataloader import DataLoader
from sqlalchemy.engine import Row
from sqlalchemy.sql.elements import ColumnElement

from app.auth.roles import Action
from app.db import tables as t
from app.db.filters import ListSpec, Trashed, trashed_condition
from app.db.keyed_reads import rows_by_column
from app.db.paging import (
    Conditions,
    Ordering,
    Page,
    PageWants,
    ReadColumns,
    Window,
    fetch_pages_by_parent,
)
from app.db.session import RequestDatabase
from app.db.tenancy import scope_condition
from app.graphql import lists
from app.graphql.access import Access

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Loader(DataLoader[K, V]):
    """aiodataloader's loader, with `load_all` for the many keys of one batch resolver.

    A key's future is shared by every field that loads it, and a task cancelled while it
    awaits a future cancels that future: graphql-core cancels the sibling fields of one that
    failed (`gather_with_cancel`), which then cancelled the load of another field elsewhere in
    the response, and the whole request failed with CancelledError. Each waiter therefore
    awaits the shared future through `asyncio.shield` (free once it is done)."""

    def load(self, key: K) -> asyncio.Future[V]:
        return asyncio.shield(super().load(key))

    async def load_all(self, keys: Sequence[K]) -> list[V]:
        """The values of `keys`, in order: `load_many` without its `gather`, whose
        callback per key was a large part of a big page's cost. The keys queued together
        resolve together, so once the first is awaited the others are usually done."""
        futures = [DataLoader.load(self, key) for key in keys]
        try:
            values: list[V] = []
            for future in futures:
                if not future.done():
                    await asyncio.shield(future)
                values.append(future.result())
            return values
        except BaseException:
            for future in futures:  # their shared error is retrieved: asyncio logs no warning
                if future.done() and not future.cancelled():
                    future.exception()
            raise


class RecordByIdLoader(Loader[int, Row[Any] | None]):
    """id -> the `spec` record's row (or None when missing, trashed away, or outside the
    caller's scope); one subclass per record type, below."""

    spec: ClassVar[ListSpec]

    def __init__(self, db: RequestDatabase, where: list[ColumnElement[bool]], shape: Hashable):
        super().__init__()
        self.db, self.where, self.shape = db, where, shape

    async def batch_load_fn(self, keys: Sequence[int]) -> list[Row[Any] | None]:
        table = self.spec.table
        grouped = await rows_by_column(self.db, table, table.c.id, keys, self.where, self.shape)
        return [grouped[k][0] if k in grouped else None for k in keys]


class OrganisationByIdLoader(RecordByIdLoader):
    spec = lists.ORGANISATIONS


class SiteByIdLoader(RecordByIdLoader):
    spec = lists.SITES


class CustomerByIdLoader(RecordByIdLoader):
    spec = lists.CUSTOMERS


class CouponByIdLoader(RecordByIdLoader):
    spec = lists.COUPONS


class CouponCodeByIdLoader(RecordByIdLoader):
    spec = lists.COUPON_CODES


class DiscountCodeByIdLoader(RecordByIdLoader):
    spec = lists.DISCOUNT_CODES


class AssignmentByIdLoader(RecordByIdLoader):
    spec = lists.ASSIGNMENTS


class RedemptionByIdLoader(RecordByIdLoader):
    spec = lists.REDEMPTIONS


# API type name -> its by-id loader
BY_ID_LOADERS: dict[str, type[RecordByIdLoader]] = {
    loader.spec.name: loader for loader in RecordByIdLoader.__subclasses__()
}


class RowsByColumnLoader(Loader[Hashable, list[Row[Any]]]):
    """value -> every row of `table` whose `column` holds that value (a to-many
    relationship, unpaged); one subclass per relationship, below."""

    table: ClassVar[sa.Table]
    column: ClassVar[str]

    def __init__(self, db: RequestDatabase) -> None:
        super().__init__()
        self.db = db

    async def batch_load_fn(self, keys: Sequence[Hashable]) -> list[list[Row[Any]]]:
        grouped = await rows_by_column(self.db, self.table, self.table.c[self.column], keys)
        return [grouped.get(k, []) for k in keys]


class EligibleItemsByCouponIdLoader(RowsByColumnLoader):
    table = t.ELIGIBLE_ITEM
    column = "coupon_id"


class EligibleItemsByDiscountCodeIdLoader(RowsByColumnLoader):
    table = t.ELIGIBLE_ITEM
    column = "discount_code_id"


class PageByParentLoader(Loader[int, Page]):
    """parent id -> the requested page of its children (a to-many relationship, paged)."""

    def __init__(
        self,
        db: RequestDatabase,
        spec: ListSpec,
        parent_column: str,
        where: Conditions,
        ordering: Ordering,
        window: Window,
        wants: PageWants,
        columns: ReadColumns,
        shape: Hashable,
    ):
        super().__init__()
        self.db, self.spec, self.parent_column = db, spec, parent_column
        self.where, self.ordering, self.window, self.wants = where, ordering, window, wants
        self.columns, self.shape = columns, shape

    async def batch_load_fn(self, keys: Sequence[int]) -> list[Page]:
        table = self.spec.table
        pages = await fetch_pages_by_parent(
            self.db,
            table,
            self.columns,
            table.c[self.parent_column],
            keys,
            self.where,
            self.ordering,
            self.window,
            self.wants,
            self.shape,
        )
        return [pages[k] for k in keys]


class Loaders:
    def __init__(self, db: RequestDatabase, access: Access) -> None:
        self.db = db
        self.access = access
        # The loaders made so far, by what changes their SQL (see the module's docstring).
        self._by_id: dict[tuple[type[RecordByIdLoader], Trashed], RecordByIdLoader] = {}
        self._rows: dict[type[RowsByColumnLoader], RowsByColumnLoader] = {}
        self._pages: dict[Hashable, PageByParentLoader] = {}

    def visible(self, spec: ListSpec, trashed: Trashed) -> list[ColumnElement[bool]]:
        """Soft deletion and tenancy for reads of `spec` records."""
        return _visible(self.access, spec, trashed)

    def by_id(self, loader: type[RecordByIdLoader], trashed: Trashed) -> RecordByIdLoader:
        """The request's `loader` for records under the soft-deletion choice `trashed`."""
        key = (loader, trashed)
        made = self._by_id.get(key)
        if made is None:
            spec = loader.spec
            # What the conditions depend on: the statement's shape for every request alike.
            shape = (trashed, self.access.scope(spec.name, Action.READ))
            made = self._by_id[key] = loader(self.db, self.visible(spec, trashed), shape)
        return made

    def record_by_id(self, spec: ListSpec, trashed: Trashed) -> RecordByIdLoader:
        """`by_id` of the loader of `spec`'s records."""
        return self.by_id(BY_ID_LOADERS[spec.name], trashed)

    def rows(self, loader: type[RowsByColumnLoader]) -> RowsByColumnLoader:
        """The request's `loader` (rows by a column, with no conditions of their own)."""
        made = self._rows.get(loader)
        if made is None:
            made = self._rows[loader] = loader(self.db)
        return made

    def page_by_parent(
        self,
        spec: ListSpec,
        parent_column: str,
        trashed: Trashed,
        where: Callable[[], list[ColumnElement[bool]]],
        where_key: Hashable,
        ordering: Ordering,
        window: Window,
        wants: PageWants,
        columns: ReadColumns,
    ) -> PageByParentLoader:
        """`columns`: what is read of each row (all of them, or what rendering needs)."""
        key = (
            spec.name,
            parent_column,
            trashed,
            where_key,
            ordering,
            window,
            wants,
            columns,
        )
        made = self._pages.get(key)
        if made is None:
            made = self._pages[key] = PageByParentLoader(
                self.db,
                spec,
                parent_column,
                _visible_and(self.access, spec, trashed, where),
                ordering,
                window,
                wants,
                columns,
                # what the statement depends on: the caller too, not only its scope here, as
                # filters through relationships read its scope on the related records
                (trashed, self.access.principal, where_key, columns),
            )
        return made


def _visible(access: Access, spec: ListSpec, trashed: Trashed) -> list[ColumnElement[bool]]:
    scope = access.scope(spec.name, Action.READ)
    return [*trashed_condition(spec.table, trashed), *scope_condition(spec.table, scope)]


def _visible_and(
    access: Access,
    spec: ListSpec,
    trashed: Trashed,
    where: Callable[[], list[ColumnElement[bool]]],
) -> Callable[[], list[ColumnElement[bool]]]:
    """What `visible` gives and `where()`, written when a statement is built (not per
    request once the statement is prepared); it holds the access, not the loaders."""
    return lambda: [*_visible(access, spec, trashed), *where()]
