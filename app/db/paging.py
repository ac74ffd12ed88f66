"""Keyset pagination in SQL, for one list or for the children of many parents at once.

A page is defined by an ordering (one sort column, with the primary key as a stable tiebreak)
and a window (`first`/`after`, `last`/`before`). Cursors carry the sort values of a row, so a
page stays correct when rows are inserted or soft-deleted between two requests. Children of
many parents are paged in one statement with window functions (`row_number() OVER (PARTITION BY
parent ...)`), which keeps the statements per request independent of the number of parents.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeAlias

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement, Label, UnaryExpression
from sqlalchemy.sql.selectable import NamedFromClause

from app.db.column_types import UTCDateTime
from app.db.handles import Handle, Record, fetches
from app.db.keyed_reads import one_of

# The conditions of a page: a list, or a function that makes it, called only when the
# statement is built (a prepared shape needs no conditions built, see `app.fast.prepared`).
Conditions = Sequence[ColumnElement[bool]] | Callable[[], Sequence[ColumnElement[bool]]]
# What a list reads of each row: its table's columns, or what rendering needs (app.fast).
ReadColumns: TypeAlias = Sequence[ColumnElement[Any]]
# One ORDER BY key: the expression (a column or the NULLs-last flag) and whether descending.
SortKey: TypeAlias = tuple[ColumnElement[Any], bool]


def conditions_of(where: Conditions) -> Callable[[], Sequence[ColumnElement[bool]]]:
    """`where` as a function that builds the conditions at most once."""
    return functools.cache(where) if callable(where) else lambda: where


@dataclass(frozen=True)
class SortColumn:
    """A column a list can be ordered by (`name` is the API's enum member)."""

    name: str
    column: sa.Column[Any]
    nullable: bool = field(init=False)

    def __post_init__(self) -> None:
        # read for every cursor made: an attribute, not a look at the column each time
        object.__setattr__(self, "nullable", bool(self.column.nullable))


def _python_type(column: sa.Column[Any]) -> type:
    if isinstance(column.type, UTCDateTime):
        return datetime
    kind: type = column.type.python_type
    # SQLModel's strings (a decorator over String) report `object`; their values are text.
    storage = getattr(column.type, "impl", column.type)
    return str if kind is object and isinstance(storage, sa.String) else kind


@dataclass(frozen=True)
class Ordering:
    sort: SortColumn
    descending: bool = False

    def keys(self, table: NamedFromClause) -> list[SortKey]:
        """The ORDER BY keys as (expression, descending); NULLs sort last in both directions."""
        column = table.c[self.sort.column.name]
        keys: list[SortKey] = []
        if self.sort.nullable:
            keys.append((sa.case((column.is_(None), 1), else_=0), False))
        keys.append((column, self.descending))
        if self.sort.column.name != "id":
            keys.append((table.c.id, self.descending))
        return keys

    def value_kinds(self) -> tuple[type, ...]:
        """The Python type of each cursor value (null flag, sort value, id), to check and
        revive them from JSON."""
        kind = _python_type(self.sort.column)
        kinds: tuple[type, ...] = (int, kind) if self.sort.nullable else (kind,)
        return (*kinds, int) if self.sort.column.name != "id" else kinds

    def cursor_values(self, row: Record) -> tuple[object, ...]:
        value = getattr(row, self.sort.column.name)
        values: tuple[object, ...] = (value,)
        if self.sort.nullable:
            values = (1 if value is None else 0, value)
        if self.sort.column.name != "id":
            values = (*values, row.id)
        return values


@dataclass(frozen=True)
class Window:
    """Which slice of the ordered rows a page is: Relay's first/after and last/before."""

    first: int | None = None
    last: int | None = None
    after: tuple[object, ...] | None = None
    before: tuple[object, ...] | None = None

    @property
    def backward(self) -> bool:
        return self.last is not None

    @property
    def size(self) -> int:
        size = self.last if self.backward else self.first
        assert size is not None, "a window has a size: first or last"
        return size


@dataclass(frozen=True)
class PageWants:
    """What of a page its reader shows beyond the rows: work the SQL leaves out otherwise.

    `before` / `after` are the hasPreviousPage / hasNextPage flags: the flag on the side the
    window moves towards comes free with the rows (one row more is read); the other one
    costs a look on the far side of the cursor.
    """

    cursors: bool = True
    edges: bool = True  # every row's cursor (else the page's first and last at most)
    total: bool = True
    before: bool = True
    after: bool = True

    def far_side(self, window: Window) -> bool:
        """Whether the flag of the side away from the cursor is wanted."""
        return self.after if window.backward else self.before


ALL = PageWants()


@dataclass
class Page:
    rows: list[Record] = field(default_factory=list)
    has_next_page: bool = False
    has_previous_page: bool = False
    total_count: int | None = None


def _comes_after(
    keys: Sequence[SortKey], values: Sequence[object], *, reverse: bool
) -> ColumnElement[bool]:
    """Rows strictly after the cursor in the ordering (before it when `reverse`).

    The cursor's values are named parameters (`cursor_parameters` gives them): a statement
    for the next page differs from this one only by them (see `app.fast.prepared`)."""
    if len(keys) != len(values):
        raise ValueError("cursor does not match the ordering")
    side = "before" if reverse else "after"
    if _as_row_value(keys, values):
        # One row-value comparison, `(sort, id) < (:v, :id)`: the same rows as the OR of
        # its prefixes below (no NULL anywhere), but an index on the keys (a site's
        # assignments by instant, say) seeks to the cursor instead of filtering every row
        # before it, so page 50 costs what page 2 does.
        upward = keys[0][1] == reverse
        row = sa.tuple_(*(expression for expression, _descending in keys))
        bounds = sa.tuple_(
            *(
                sa.bindparam(f"cursor_{side}_{index}", value, type_=expression.type)
                for index, ((expression, _descending), value) in enumerate(
                    zip(keys, values, strict=True)
                )
            )
        )
        return row > bounds if upward else row < bounds
    clauses: list[ColumnElement[bool]] = []
    equal_so_far: list[ColumnElement[bool]] = []
    for index, ((expression, descending), value) in enumerate(zip(keys, values, strict=False)):
        if value is None:
            # Only a NULL sort value is None; the null flag key before it already ordered it.
            greater: ColumnElement[bool] = sa.false()
            equal: ColumnElement[bool] = expression.is_(None)
        else:
            upward = descending == reverse
            bound = sa.bindparam(f"cursor_{side}_{index}", value, type_=expression.type)
            greater = expression > bound if upward else expression < bound
            equal = expression == bound
        clauses.append(sa.and_(*equal_so_far, greater))
        equal_so_far.append(equal)
    return sa.or_(*clauses)


def _as_row_value(keys: Sequence[SortKey], values: Sequence[object]) -> bool:
    """Whether the cursor condition can be one row-value comparison: several keys, all
    plain columns (a nullable sort's NULLs-last flag is an expression no index holds) in
    one direction, and no NULL among the values (a NULL makes a row comparison unknown)."""
    return (
        len(keys) > 1
        and all(isinstance(expression, sa.Column) for expression, _descending in keys)
        and len({descending for _expression, descending in keys}) == 1
        and all(value is not None for value in values)
    )


def cursor_parameters(window: Window) -> dict[str, object]:
    """The values of the cursor parameters of a window's statement (see `_comes_after`)."""
    params: dict[str, object] = {}
    for side, values in (("after", window.after), ("before", window.before)):
        for index, value in enumerate(values or ()):
            if value is not None:
                params[f"cursor_{side}_{index}"] = value
    return params


def window_shape(window: Window) -> Hashable:
    """What of a window shapes its statement: sizes, and where its cursors hold NULLs."""

    def nulls(values: tuple[object, ...] | None) -> tuple[bool, ...] | None:
        return None if values is None else tuple(value is None for value in values)

    return (window.first, window.last, nulls(window.after), nulls(window.before))


def _cursor_conditions(keys: Sequence[SortKey], window: Window) -> list[ColumnElement[bool]]:
    conditions = []
    if window.after is not None:
        conditions.append(_comes_after(keys, window.after, reverse=False))
    if window.before is not None:
        conditions.append(_comes_after(keys, window.before, reverse=True))
    return conditions


def _order_by(keys: Sequence[SortKey], *, reverse: bool) -> list[UnaryExpression[Any]]:
    return [e.desc() if (d != reverse) else e.asc() for e, d in keys]


def ascending_order(ordering: Ordering, table: NamedFromClause) -> list[UnaryExpression[Any]]:
    """The ORDER BY of `ordering` on `table` (or an alias of it), first page first."""
    return _order_by(ordering.keys(table), reverse=False)


def _outside_cursor(keys: Sequence[SortKey], window: Window) -> ColumnElement[bool] | None:
    """Rows on the far side of the cursor we page away from: they make the 'other' page flag."""
    if window.backward:
        if window.before is None:
            return None
        return sa.not_(_comes_after(keys, window.before, reverse=True))
    if window.after is None:
        return None
    return sa.not_(_comes_after(keys, window.after, reverse=False))


async def fetch_page(
    connection: Handle,
    table: sa.Table,
    columns: ReadColumns,
    where: Conditions,
    ordering: Ordering,
    window: Window,
    wants: PageWants = ALL,
    shape: Hashable = None,
) -> Page:
    """One page of one list, with its flags and the filtered total, as far as `wants` asks.

    `shape`, when given, stands for `columns` and `where` (the same shape, the same columns
    and conditions): the statement is then compiled once for every page of every request
    (see `app.fast.prepared`)."""
    want_total = wants.total
    has_outside = (
        wants.far_side(window) and (window.before if window.backward else window.after) is not None
    )
    conditions = conditions_of(where)

    def flags() -> list[Label[int] | Label[bool]]:
        """The total and the far-side flag, as columns."""
        extra: list[Label[int] | Label[bool]] = []
        where = conditions()
        if want_total:
            total = sa.select(sa.func.count()).select_from(table).where(*where).scalar_subquery()
            extra.append(total.label("paging_total"))
        outside = _outside_cursor(ordering.keys(table), window) if has_outside else None
        if outside is not None:
            exists = sa.exists(sa.select(table.c.id).where(*where, outside))
            extra.append(exists.label("paging_outside"))
        return extra

    def build() -> sa.Select[Any]:
        keys = ordering.keys(table)
        return (
            sa.select(*columns, *flags())
            .where(*conditions(), *_cursor_conditions(keys, window))
            .order_by(*_order_by(keys, reverse=window.backward))
            .limit(window.size + 1)
        )

    if shape is not None and fetches(connection):
        full = ("page", table.name, shape, ordering, window_shape(window), wants)
        rows = await connection.fetch(full, build, cursor_parameters(window))
    else:
        rows = list((await connection.execute(build())).all())
    # The flags and the total ride on every row; an empty result asks for them alone.
    found = rows[0] if rows else None
    if found is None and (want_total or has_outside):
        found = (await connection.execute(sa.select(*flags()))).one()
    more = len(rows) > window.size
    rows = rows[: window.size]
    if window.backward:
        rows.reverse()
    page = Page(rows=rows)
    _set_flags(page, found, window, want_total, has_outside, more)
    return page


def _set_flags(
    page: Page,
    row: Record | None,
    window: Window,
    want_total: bool,
    has_outside: bool,
    more: bool,
) -> None:
    outside = bool(row.paging_outside) if has_outside and row is not None else False
    if window.backward:
        page.has_previous_page, page.has_next_page = more, outside
    else:
        page.has_next_page, page.has_previous_page = more, outside
    if want_total and row is not None:
        page.total_count = int(row.paging_total)


async def fetch_pages_by_parent(
    connection: Handle,
    table: sa.Table,
    columns: ReadColumns,
    parent_column: sa.Column[Any],
    parent_ids: Sequence[Hashable],
    where: Conditions,
    ordering: Ordering,
    window: Window,
    wants: PageWants = ALL,
    shape: Hashable = None,
) -> dict[Hashable, Page]:
    """The same page for each of many parents, in one statement (window functions).

    `shape`, when given, stands for `columns` and `where`, as for `fetch_page`."""
    partition = table.c[parent_column.name]
    has_outside = (
        wants.far_side(window) and (window.before if window.backward else window.after) is not None
    )
    limit = window.size + 1
    params: dict[str, object] = {**cursor_parameters(window), "parents": list(parent_ids)}
    conditions = conditions_of(where)

    async def rows_of(kind: str, build: Callable[[], sa.Select[Any]]) -> list[Record]:
        if shape is not None and fetches(connection):
            full = (kind, table.name, partition.name, shape, ordering, window_shape(window), wants)
            return await connection.fetch(full, build, params)
        return list((await connection.execute(build(), params)).all())

    if not wants.total and not has_outside:
        # Only the rows: the cursor filters them, each parent keeps its first `limit`.
        def ranked() -> sa.Select[Any]:
            keys = ordering.keys(table)
            order = _order_by(keys, reverse=window.backward)
            inner = (
                sa.select(
                    *columns,
                    partition.label("paging_parent"),
                    sa.func.row_number()
                    .over(partition_by=partition, order_by=order)
                    .label("paging_rank"),
                )
                .where(
                    one_of(connection, partition, parent_ids, name="parents"),
                    *conditions(),
                    *_cursor_conditions(keys, window),
                )
                .subquery()
            )
            return (
                sa.select(inner)
                .where(inner.c.paging_rank <= limit)
                .order_by(inner.c.paging_parent, inner.c.paging_rank)
            )

        grouped: dict[Hashable, list[Record]] = {}
        for row in await rows_of("ranked pages", ranked):
            parent_rows = grouped.get(row.paging_parent)
            if parent_rows is None:
                grouped[row.paging_parent] = [row]
            else:
                parent_rows.append(row)
        return {parent: _page(grouped.get(parent, []), window, None, 0) for parent in parent_ids}

    def counted() -> sa.Select[Any]:
        keys = ordering.keys(table)
        order = _order_by(keys, reverse=window.backward)
        outside = _outside_cursor(keys, window) if has_outside else None
        inside = sa.and_(sa.true(), *_cursor_conditions(keys, window))
        inner_columns: list[ColumnElement[Any]] = [
            *columns,
            partition.label("paging_parent"),
            sa.case((inside, 1), else_=0).label("paging_inside"),
        ]
        if wants.total:
            inner_columns.append(sa.func.count().over(partition_by=partition).label("paging_total"))
        if outside is not None:
            inner_columns.append(
                sa.func.sum(sa.case((outside, 1), else_=0))
                .over(partition_by=partition)
                .label("paging_outside")
            )
        inner_columns.append(
            sa.func.row_number()
            .over(partition_by=[partition, sa.case((inside, 0), else_=1)], order_by=order)
            .label("paging_rank")
        )
        belongs = one_of(connection, partition, parent_ids, name="parents")
        inner = sa.select(*inner_columns).where(belongs, *conditions()).subquery()
        return (
            sa.select(inner)
            # Each parent's first row outside the window comes along too, so that a parent
            # whose page is empty still reports its total and flags.
            .where(
                sa.or_(
                    sa.and_(inner.c.paging_inside == 1, inner.c.paging_rank <= limit),
                    sa.and_(inner.c.paging_inside == 0, inner.c.paging_rank == 1),
                )
            )
            .order_by(inner.c.paging_parent, inner.c.paging_rank)
        )

    grouped = {}
    totals: dict[Hashable, tuple[int | None, int]] = {}
    for row in await rows_of("counted pages", counted):
        parent = row.paging_parent
        if parent not in totals:  # the flags ride on every row of the parent: read them once
            total = int(row.paging_total) if wants.total else None
            outside_rows = int(row.paging_outside or 0) if has_outside else 0
            totals[parent] = (total, outside_rows)
        if row.paging_inside:
            parent_rows = grouped.get(parent)
            if parent_rows is None:
                grouped[parent] = [row]
            else:
                parent_rows.append(row)
    empty = (0 if wants.total else None, 0)
    return {
        parent: _page(grouped.get(parent, []), window, *totals.get(parent, empty))
        for parent in parent_ids
    }


def _page(rows: list[Record], window: Window, total: int | None, outside_rows: int) -> Page:
    """A parent's page from its rows in window order (one more than the page when more follow)."""
    more = len(rows) > window.size
    rows = rows[: window.size]
    page = Page(rows=rows, total_count=total)
    if window.backward:
        rows.reverse()
        page.has_previous_page, page.has_next_page = more, outside_rows > 0
    else:
        page.has_next_page, page.has_previous_page = more, outside_rows > 0
    return page
