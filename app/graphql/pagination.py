"""Relay connections over keyset pages: the types, the cursors and the page arguments."""

from __future__ import annotations

import base64
import binascii
import enum
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Annotated, Any, Generic, TypeAlias, TypeVar

import orjson
import strawberry
from graphql import GRAPHQL_MAX_INT, GRAPHQL_MIN_INT

from app.db.handles import Record
from app.db.paging import Ordering, Page, SortColumn, Window
from app.graphql.errors import BadInput

# A connection's four paging arguments, as every list field (root or nested) takes them.
First: TypeAlias = Annotated[
    int | None,
    strawberry.argument(description="Page size from the start (default 25, at most 1000)."),
]
After: TypeAlias = Annotated[str | None, strawberry.argument(description="Cursor to start after.")]
Last: TypeAlias = Annotated[int | None, strawberry.argument(description="Page size from the end.")]
Before: TypeAlias = Annotated[str | None, strawberry.argument(description="Cursor to end before.")]

N = TypeVar("N")


@strawberry.enum(description="Sort direction.")
class OrderDirection(enum.Enum):
    ASC = strawberry.enum_value("ASC", description="Smallest first (A to Z, oldest first).")
    DESC = strawberry.enum_value("DESC", description="Largest first (Z to A, newest first).")


@strawberry.type(description="Where a page sits in its list (Relay).")
class PageInfo:
    has_next_page: bool = strawberry.field(description="More rows follow this page.")
    has_previous_page: bool = strawberry.field(description="Rows precede this page.")
    start_cursor: str | None = strawberry.field(description="Cursor of the first row.")
    end_cursor: str | None = strawberry.field(description="Cursor of the last row.")


@strawberry.type(description="A row of a page with its cursor.")
class Edge(Generic[N]):
    cursor: str = strawberry.field(description="Opaque position of this row; pass to after/before.")
    node: N = strawberry.field(description="The record.")


@strawberry.type(description="A page of a list (Relay connection).")
class Connection(Generic[N]):
    edges: list[Edge[N]] = strawberry.field(description="The rows of this page with cursors.")
    nodes: list[N] = strawberry.field(description="The rows of this page.")
    page_info: PageInfo = strawberry.field(description="Position of this page.")
    total_count: int = strawberry.field(
        description="How many rows match the filter, over all pages."
    )


def keyset_first(first: int, maximum: int) -> int:
    """`first` of a list read by its own key (the event feed, the webhook lists), checked."""
    if not 1 <= first <= maximum:
        raise BadInput(f"first: between 1 and {maximum}", field="first")
    return first


def keyset_page_info(cursors: Sequence[str], more: bool, after: str | None) -> PageInfo:
    """The page info of such a list, from its page's cursors in order."""
    return PageInfo(
        has_next_page=more,
        has_previous_page=after is not None,
        start_cursor=cursors[0] if cursors else None,
        end_cursor=cursors[-1] if cursors else None,
    )


def encode_cursor(ordering: Ordering, values: tuple[object, ...]) -> str:
    payload = [
        ordering.sort.name,
        [v.isoformat() if isinstance(v, datetime) else v for v in values],
    ]
    return base64.urlsafe_b64encode(orjson.dumps(payload)).decode()


def decode_cursor(cursor: str, ordering: Ordering, *, field: str) -> tuple[object, ...]:
    problem = BadInput(f"{field}: not a cursor of this list in this order", field=field)
    try:
        name, values = orjson.loads(base64.urlsafe_b64decode(cursor.encode()))
        kinds = ordering.value_kinds()
        if name != ordering.sort.name or len(values) != len(kinds):
            raise problem
        return tuple(_revive(value, kind) for value, kind in zip(values, kinds, strict=False))
    except (binascii.Error, ValueError, TypeError):
        raise problem from None


def _revive(value: Any, kind: type) -> object:
    """A cursor value back in its column's type; anything else is refused (ValueError), so a
    hand-made cursor can never reach the database with a value of the wrong type."""
    if value is None:
        return None
    if kind is datetime:
        revived = datetime.fromisoformat(value)
        if revived.tzinfo is None:
            raise ValueError("cursor instant without offset")
        return revived
    if issubclass(kind, enum.Enum):
        return kind(value)
    if isinstance(value, bool) or not isinstance(value, kind):
        raise ValueError("cursor value of the wrong type")
    # Integer columns are 32 bits on PostgreSQL, as GraphQL's Int is: a larger number was
    # not read from a row, and would overflow the driver rather than match nothing.
    if kind is int and not GRAPHQL_MIN_INT <= value <= GRAPHQL_MAX_INT:
        raise ValueError("cursor number out of range")
    return value


def page_window(
    *,
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
    ordering: Ordering,
    default_size: int,
    max_size: int,
) -> Window:
    if first is not None and last is not None:
        raise BadInput("first and last: pass one of them, not both", field="first")
    for name, value in (("first", first), ("last", last)):
        if value is not None and not 0 <= value <= max_size:
            raise BadInput(f"{name}: must be between 0 and {max_size}, got {value}", field=name)
    if first is None and last is None:
        first = default_size
    return Window(
        first=first,
        last=last,
        after=decode_cursor(after, ordering, field="after") if after is not None else None,
        before=decode_cursor(before, ordering, field="before") if before is not None else None,
    )


def ordering_from(order_by: Any, sorts: tuple[SortColumn, ...]) -> Ordering:
    by_name = {s.name: s for s in sorts}
    if order_by is None:
        return Ordering(by_name["ID"])
    return Ordering(by_name[order_by.field.value], order_by.direction is OrderDirection.DESC)


def to_connection(
    page: Page,
    ordering: Ordering,
    build: Callable[[Record], object],
    *,
    cursors: bool = True,
    edges: bool = True,
    builds_edges: bool = False,
) -> Connection[object]:
    """A Connection of `build(row)` nodes for one page of rows; without `cursors` (nothing
    selected shows them) the edges and the page's cursors are left empty, without `edges`
    the edges (only the page's first and last cursors are made). With `builds_edges`,
    `build(row)` is the row's whole edge (rendered in the database: app.fast.rendering) and
    no nodes are made: the selection asked for edges only."""
    rows = page.rows
    nodes: list[object] = []
    positions: list[str] = []
    made: list[object] = []
    if builds_edges:
        made = [build(row) for row in rows]
        edges = False  # the page's first and last cursors, below
    else:
        nodes = [build(row) for row in rows]
    if cursors and edges:
        positions = [encode_cursor(ordering, ordering.cursor_values(row)) for row in rows]
        made = [Edge(cursor=c, node=n) for c, n in zip(positions, nodes, strict=False)]
    elif cursors and rows:
        first = encode_cursor(ordering, ordering.cursor_values(rows[0]))
        last = encode_cursor(ordering, ordering.cursor_values(rows[-1])) if len(rows) > 1 else first
        positions = [first, last]
    # Made as the dataclass `__init__` would, without its keyword call: a nested list makes
    # one connection per parent (hundreds per response).
    page_info = _new(PageInfo)
    page_info.__dict__ = {
        "has_next_page": page.has_next_page,
        "has_previous_page": page.has_previous_page,
        "start_cursor": positions[0] if positions else None,
        "end_cursor": positions[-1] if positions else None,
    }
    connection = _new(Connection)
    connection.__dict__ = {
        "edges": made, "nodes": nodes, "page_info": page_info, "total_count": page.total_count,
    }  # fmt: skip
    return connection


_new = object.__new__
