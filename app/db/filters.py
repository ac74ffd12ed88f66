"""Filters as data: what a list can be filtered and sorted by, and how that becomes SQL.

The GraphQL layer builds its filter inputs and order enums from the same `ListSpec`, so a filter
exists in the API exactly when the data layer knows how to run it.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from app.db.paging import SortColumn


class Trashed(str, enum.Enum):
    """Which rows a read sees with respect to soft deletion (nuwebgroup's withTrashed)."""

    WITHOUT = "WITHOUT"
    WITH = "WITH"
    ONLY = "ONLY"


# The parents whose soft deletion takes a record out of the lists with it: (column, table).
_PARENTS = (("site_id", "site"), ("organisation_id", "organisation"))


def _parent_deleted(table: sa.Table) -> ColumnElement[bool] | None:
    """Whether the record's site or organisation is soft-deleted (None for a table with
    neither). Uncorrelated subqueries: the database reads the few deleted parents once per
    statement (a hashed subplan on PostgreSQL), not once per row."""
    metadata = table.metadata
    deleted = [
        table.c[column].in_(
            sa.select(metadata.tables[parent].c.id).where(
                metadata.tables[parent].c.deleted_at.is_not(None)
            )
        )
        for column, parent in _PARENTS
        if column in table.c
    ]
    return sa.or_(*deleted) if deleted else None


@functools.cache
def trashed_condition(table: sa.Table, trashed: Trashed) -> tuple[ColumnElement[bool], ...]:
    """The soft-deletion condition of a read (built once per table and choice: expressions
    are immutable, and every request needs the same few).

    A record is trashed when it is soft-deleted or its site or organisation is: deleting a
    site takes its codes out of every list, and restoring it brings them back unchanged."""
    if trashed is Trashed.WITH or "deleted_at" not in table.c:
        return ()
    column, parent = table.c.deleted_at, _parent_deleted(table)
    if trashed is Trashed.WITHOUT:
        return (column.is_(None),) if parent is None else (column.is_(None), sa.not_(parent))
    return (column.is_not(None),) if parent is None else (sa.or_(column.is_not(None), parent),)


class FieldKind(enum.Enum):
    ID = "ID"
    STRING = "STRING"
    INT = "INT"
    DATETIME = "DATETIME"
    BOOLEAN = "BOOLEAN"
    ENUM = "ENUM"
    UUID = "UUID"


class Op(str, enum.Enum):
    EQ = "eq"
    NE = "ne"
    IN = "in"
    CONTAINS = "contains"
    STARTS_WITH = "starts_with"
    GT = "gt"
    GTE = "gte"
    LT = "lt"
    LTE = "lte"
    IS_NULL = "is_null"


OPS_BY_KIND: dict[FieldKind, tuple[Op, ...]] = {
    FieldKind.ID: (Op.EQ, Op.IN, Op.IS_NULL),
    FieldKind.UUID: (Op.EQ, Op.IN),
    FieldKind.STRING: (Op.EQ, Op.NE, Op.IN, Op.CONTAINS, Op.STARTS_WITH, Op.IS_NULL),
    FieldKind.INT: (Op.EQ, Op.NE, Op.IN, Op.GT, Op.GTE, Op.LT, Op.LTE, Op.IS_NULL),
    FieldKind.DATETIME: (Op.EQ, Op.GT, Op.GTE, Op.LT, Op.LTE, Op.IS_NULL),
    FieldKind.BOOLEAN: (Op.EQ,),
    FieldKind.ENUM: (Op.EQ, Op.NE, Op.IN),
}


@dataclass(frozen=True)
class Via:
    """A filter on a related row: `local` is this table's foreign key to `remote`'s table."""

    local: sa.Column[Any]
    remote: ColumnElement[Any]


@dataclass(frozen=True)
class ListField:
    name: str  # snake_case; the API shows it in camelCase
    kind: FieldKind
    description: str
    column: ColumnElement[Any]
    via: Via | None = None
    enum: type[enum.Enum] | None = None
    id_type: str | None = None  # the Node type whose global ids an ID filter takes
    sortable: bool = False

    def sort_column(self) -> SortColumn:
        assert self.sortable and isinstance(self.column, sa.Column)
        return SortColumn(self.name.upper(), self.column)


@dataclass(frozen=True)
class ListSpec:
    """Everything one list offers: its table, its filters, its orderings."""

    name: str  # the API type name, e.g. "Assignment"
    table: sa.Table
    fields: tuple[ListField, ...]

    def field(self, name: str) -> ListField:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    @functools.cached_property
    def sort_columns(self) -> tuple[SortColumn, ...]:
        # Read on every list request; a spec never changes once the schema is built
        return tuple(f.sort_column() for f in self.fields if f.sortable)


@dataclass(frozen=True)
class Condition:
    field: str
    op: Op
    value: Any


def _compare(column: ColumnElement[Any], op: Op, value: Any) -> ColumnElement[bool]:
    if op is Op.EQ:
        return column.is_(None) if value is None else column == value
    if op is Op.NE:
        return sa.or_(column != value, column.is_(None))
    if op is Op.IN:
        return column.in_(list(value))
    if op is Op.CONTAINS:
        return sa.func.lower(column).contains(str(value).lower(), autoescape=True)
    if op is Op.STARTS_WITH:
        return sa.func.lower(column).startswith(str(value).lower(), autoescape=True)
    if op is Op.IS_NULL:
        return column.is_(None) if value else column.is_not(None)
    comparisons = {Op.GT: "__gt__", Op.GTE: "__ge__", Op.LT: "__lt__", Op.LTE: "__le__"}
    compared: ColumnElement[bool] = getattr(column, comparisons[op])(value)
    return compared


# The rows of a related table the caller may see: a filter on a related record's value (a
# coupon code's coupon name, an assignment's discount code string) must not match records the
# caller cannot read, or it would tell their values one `startsWith` at a time.
RemoteWhere = Callable[[sa.Table], Sequence[ColumnElement[bool]]]


def _referred_table(local: sa.Column[Any], name: str) -> sa.Table:
    """The table whose id `local` holds: its foreign key's, followed on where that key names
    another table's copy of the id (coupon_code.site_id is part of the key (coupon_id, site_id,
    organisation_id) -> coupon, and coupon.site_id names site.id)."""
    column = local
    while not column.primary_key:
        foreign_key = next(iter(column.foreign_keys), None)
        assert foreign_key is not None, f"{name} filters through a column without a foreign key"
        column = foreign_key.column
    assert isinstance(column.table, sa.Table)
    return column.table


def condition_sql(
    spec: ListSpec, condition: Condition, remote_where: RemoteWhere | None = None
) -> ColumnElement[bool]:
    field = spec.field(condition.field)
    if condition.op not in OPS_BY_KIND[field.kind]:
        raise ValueError(f"{condition.op.value} is not a filter of {field.name}")
    if field.via is None:
        return _compare(field.column, condition.op, condition.value)
    remote_table = _referred_table(field.via.local, field.name)
    visible = () if remote_where is None else remote_where(remote_table)
    matching = sa.select(remote_table.c.id).where(
        _compare(field.via.remote, condition.op, condition.value), *visible
    )
    return field.via.local.in_(matching)


def conditions_sql(
    spec: ListSpec, conditions: Iterable[Condition], remote_where: RemoteWhere | None = None
) -> list[ColumnElement[bool]]:
    return [condition_sql(spec, c, remote_where) for c in conditions]


def any_of(groups: Sequence[Sequence[ColumnElement[bool]]]) -> ColumnElement[bool]:
    """OR of AND-groups: how `or: [...]` filters combine."""
    return sa.or_(*(sa.and_(sa.true(), *group) for group in groups))
