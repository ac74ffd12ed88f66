"""Records as JSON text built by PostgreSQL: the SQL half of rendering nodes in the database.

`app.fast.rendering` decides which part of a response can be built this way and with
which keys; these functions say how each value is spelled in SQL so that PostgreSQL writes
exactly what the API's own serializers would (global ids, ISO instants, UUIDs, enum names).
Objects and arrays are JSON text built with `format()` and `array_to_string()`, the keys
written into the statement in selection order and each value spelled as JSON text for its
type (see `json_object`): `json_build_object` decides each argument's JSON category by a
catalogue lookup on every call, and that was most of PostgreSQL's time on a big page.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Sequence
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, aggregate_order_by
from sqlalchemy.sql.elements import ColumnElement, False_, Label, True_
from sqlalchemy.sql.selectable import NamedFromClause, Subquery
from sqlalchemy.sql.util import ClauseAdapter
from sqlalchemy.types import TypeDecorator
from sqlmodel.sql.sqltypes import AutoString

from app.db.column_types import UTCDateTime

# format() takes at most 100 arguments (PostgreSQL's FUNC_MAX_ARGS), its template one: 50
# keys leave room however many values are written into the template.
MAX_KEYS = 50


class JsonText(TypeDecorator[str]):
    """Text that is JSON already (or NULL): an object, an array or a nested page built here,
    embedded in the enclosing object as it is."""

    impl = sa.Text
    cache_ok = True


class BareString(TypeDecorator[str]):
    """Text that JSON writes without escapes (base64 ids and cursors, UUIDs, instants):
    quoted as it is, without `to_json`."""

    impl = sa.Text
    cache_ok = True


class ConstantString(TypeDecorator[str]):
    """A name written into the statement (`__typename`): written into the enclosing
    object's template, not passed to it."""

    impl = sa.Text
    cache_ok = True

    def __init__(self, value: str) -> None:
        super().__init__()
        self.value = value


# The values known never to be NULL (their JSON needs no `coalesce(..., 'null')`): columns
# declared NOT NULL, and the expressions marked so by `never_null` where they are made.
# Marked on the expression itself: what wraps it (a scalar subquery, a CASE, an array
# element) is another expression, unmarked, and may be NULL.
_NEVER_NULL = "_rendered_never_null"


def never_null(element: ColumnElement[Any]) -> ColumnElement[Any]:
    setattr(element, _NEVER_NULL, True)
    return element


def _null_as(element: ColumnElement[Any], column: ColumnElement[Any]) -> ColumnElement[Any]:
    """`element`, marked never NULL when `column`, of which it is a function, never is."""
    return never_null(element) if is_never_null(column) else element


def is_never_null(element: ColumnElement[Any]) -> bool:
    if isinstance(element, sa.Column):
        return element.nullable is False
    return bool(getattr(element, _NEVER_NULL, False))


class ColumnKind(enum.Enum):
    """What Python value a column gives, as far as its JSON spelling goes."""

    TEXT = "text"
    INT32 = "int32"
    BOOLEAN = "boolean"
    INSTANT = "instant"
    UUID = "uuid"
    ENUM_NAME = "enum_name"  # a Python enum member, stored by its name
    OTHER = "other"


def column_kind(column: ColumnElement[Any]) -> ColumnKind:
    storage = column.type
    if isinstance(storage, sa.Enum):
        enum_class = storage.enum_class
        names = None if enum_class is None else [member.name for member in enum_class]
        return ColumnKind.ENUM_NAME if list(storage.enums) == names else ColumnKind.OTHER
    if isinstance(storage, (AutoString, sa.String)):
        return ColumnKind.TEXT
    if isinstance(storage, sa.Integer) and not isinstance(storage, sa.BigInteger):
        return ColumnKind.INT32
    if isinstance(storage, sa.Boolean):
        return ColumnKind.BOOLEAN
    if isinstance(storage, UTCDateTime):
        return ColumnKind.INSTANT
    if isinstance(storage, sa.Uuid):
        return ColumnKind.UUID
    return ColumnKind.OTHER


def enum_members(column: ColumnElement[Any]) -> list[enum.Enum]:
    # only for a column of ColumnKind.ENUM_NAME, whose type has its enum class
    return list(cast("type[enum.Enum]", cast("sa.Enum", column.type).enum_class))


def text(value: str) -> ColumnElement[str]:
    """A constant string written into the statement rather than sent as a parameter: a
    rendered node has dozens (its keys, type names, formats), and a parameter each cost
    encoding on every execution. Only plain words and the formats below are written in."""
    if not _PLAIN.fullmatch(value):
        raise ValueError(f"not a plain constant: {value!r}")
    return sa.literal_column(f"'{value}'", sa.Text)


# Names (GraphQL names and aliases, type and enum names), the instant formats and the
# brackets and commas of a cursor's JSON.
_PLAIN = re.compile(r'[A-Za-z0-9_:+."\- \[\],]*')


def false() -> ColumnElement[bool]:
    return sa.false()


def alias(table: NamedFromClause, name: str) -> NamedFromClause:
    return table.alias(name)


def on_alias(
    alias: NamedFromClause, conditions: Sequence[ColumnElement[Any]]
) -> list[ColumnElement[Any]]:
    """Conditions written for a table, made to apply to an alias of it."""
    adapt = ClauseAdapter(alias).traverse
    return [adapt(condition) for condition in conditions]


def equals(left: ColumnElement[Any], right: ColumnElement[Any]) -> ColumnElement[bool]:
    return left == right


def cursor_and_document(
    table: NamedFromClause, sort_column: str, document: ColumnElement[Any]
) -> tuple[ColumnElement[Any], ...]:
    """What a list reads when its nodes are rendered: the columns of a cursor (the id and
    the sort column), and the node's JSON as text, labelled `RENDERED`."""
    columns: list[ColumnElement[Any]] = [table.c.id]
    if sort_column != "id":
        columns.append(table.c[sort_column])
    return (*columns, document_column(document))


def document_column(document: ColumnElement[Any]) -> Label[bytes]:
    return as_bytes(document).label(RENDERED)


RENDERED = "rendered_node"


def json_object(pairs: Sequence[tuple[str, ColumnElement[Any]]]) -> ColumnElement[str]:
    """`{"key":value,...}` in the given order (at most `MAX_KEYS` keys), as JSON text:
    `format()` of a template holding the keys (and the constants: `__typename`, `false`),
    with a `%s` for each other value, spelled as JSON text by `_json_value`. Each value is
    written as `json_build_object` writes it; PostgreSQL's spaces after `:` and `,` are
    not (the response is the same JSON, in fewer bytes). An object of the same row (an
    edge's node, a page's info, a coupon's terms) is written into this one's template, its
    values among this one's: one format() for both, its text not copied again."""
    assert len(pairs) <= MAX_KEYS
    template: list[str] = []
    arguments: list[ColumnElement[Any]] = []
    for index, (key, value) in enumerate(pairs):
        if not _NAME.fullmatch(key):
            raise ValueError(f"not a name: {key!r}")
        template.append(f'{"," if index else ""}"{key}":')
        inner: tuple[str, tuple[ColumnElement[Any], ...]] | None = getattr(value, _OBJECT, None)
        # the values left to come need their places too (at most one each)
        room = _MAX_ARGUMENTS - len(arguments) - (len(pairs) - index - 1)
        if inner is not None and len(inner[1]) <= room:
            template.append(inner[0])
            arguments.extend(inner[1])
            continue
        written, argument = _json_value(value)
        template.append(written)
        if argument is not None:
            arguments.append(argument)
    written_in = "{" + "".join(template) + "}"
    made: ColumnElement[str]
    if not arguments:
        made = sa.literal_column(f"'{written_in}'", JsonText)
    else:
        made = sa.func.format(
            sa.literal_column(f"'{written_in}'", sa.Text), *arguments, type_=JsonText
        )
    setattr(made, _OBJECT, (written_in, tuple(arguments)))
    return never_null(made)


# The template and values of an object `json_object` made, on the expression it returned.
_OBJECT = "_rendered_object"
# format()'s values: PostgreSQL's FUNC_MAX_ARGS (100) but the template.
_MAX_ARGUMENTS = 99


# GraphQL names: the keys, type names and enum values written into templates.
_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]*")


def _json_value(value: ColumnElement[Any]) -> tuple[str, ColumnElement[str] | None]:
    """(what the template holds for `value`: JSON written in, or `%s`; the argument for
    `%s` as JSON text, or None). By the value's SQL type, as `to_json` would write it:
    JSON text as it is, strings needing no escapes quoted, booleans and integers by their
    text, anything else through `to_json`; NULL as `null`."""
    if isinstance(value, False_):
        return "false", None
    if isinstance(value, True_):
        return "true", None
    storage = value.type
    if isinstance(storage, ConstantString):
        return f'"{storage.value}"', None
    not_null = is_never_null(value)
    spelled: ColumnElement[str]
    if isinstance(storage, JsonText):
        if not_null:
            return "%s", value
        spelled = value
    elif isinstance(storage, BareString):
        if not_null:
            return '"%s"', value
        spelled = _QUOTE.op("||")(value).op("||")(_QUOTE)
    elif isinstance(storage, sa.JSON):
        spelled = sa.cast(value, sa.Text)
    elif isinstance(storage, sa.Boolean):
        if not_null:
            return "%s", sa.case((value, _TRUE), else_=_FALSE)
        return "%s", sa.case((value, _TRUE), (sa.not_(value), _FALSE), else_=_NULL)
    elif isinstance(storage, sa.Integer):
        spelled = sa.cast(value, sa.Text)
        if not_null:
            return "%s", spelled
    else:
        spelled = sa.cast(sa.func.to_json(value), sa.Text)
        if not_null:
            return "%s", spelled
    return "%s", sa.func.coalesce(spelled, _NULL, type_=sa.Text)


_QUOTE = sa.literal_column("'\"'", sa.Text)
_NULL = sa.literal_column("'null'", sa.Text)
_TRUE = sa.literal_column("'true'", sa.Text)
_FALSE = sa.literal_column("'false'", sa.Text)


def constant_string(value: str) -> ColumnElement[str]:
    """A name as a JSON string value (`__typename`): written into the object's template."""
    if not _NAME.fullmatch(value):
        raise ValueError(f"not a name: {value!r}")
    return sa.literal_column(f"'{value}'", ConstantString(value))


def json_array(elements: ColumnElement[Any]) -> ColumnElement[str]:
    """`[...]` of an array of JSON texts (none NULL), in its order (`[]` when empty)."""
    return _bracketed(sa.func.array_to_string(elements, text(","), type_=sa.Text))


def _aggregated_array(
    element: ColumnElement[str], *order_by: ColumnElement[Any], where: ColumnElement[bool] | None
) -> ColumnElement[str]:
    """`[...]` of the JSON texts `element` of the rows aggregated, in `order_by` (`[]` when
    none, or none meets `where`)."""
    aggregated = sa.func.string_agg(element, aggregate_order_by(text(","), *order_by))
    kept: ColumnElement[str] = aggregated if where is None else aggregated.filter(where)
    return _bracketed(kept)


def _bracketed(joined: ColumnElement[str]) -> ColumnElement[str]:
    """`[joined]` (`[]` when NULL: format() writes NULL as nothing), written into the
    enclosing object's template like an object (see `json_object`)."""
    made = sa.func.format(sa.literal_column("'[%s]'", sa.Text), joined, type_=JsonText)
    setattr(made, _OBJECT, ("[%s]", (joined,)))
    return never_null(made)


def as_bytes(document: ColumnElement[Any]) -> ColumnElement[bytes]:
    """The JSON as UTF-8 bytes: the driver hands them over as they are (not parsed, not even
    decoded into a string), to be embedded in the response."""
    return sa.func.convert_to(sa.cast(document, sa.Text), text("UTF8"), type_=sa.LargeBinary)


def global_id(type_name: str, id_column: ColumnElement[Any]) -> ColumnElement[str]:
    """Base64 of "Type:id", as `app.graphql.ids.to_global_id` spells it (PostgreSQL breaks
    base64 lines only after 76 characters: these are never half as long)."""
    label = text(f"{type_name}:").op("||")(sa.cast(id_column, sa.Text))
    encoded = sa.func.encode(
        sa.func.convert_to(label, text("UTF8")), text("base64"), type_=BareString
    )
    return _null_as(encoded, id_column)


def iso_instant(column: ColumnElement[Any]) -> ColumnElement[str]:
    """A `timestamptz` as Python's `datetime.isoformat()` writes a UTC instant:
    `2024-06-01T12:00:00+00:00`, with `.ffffff` only when there are microseconds."""
    utc = column.op("AT TIME ZONE")(text("UTC"))
    # One to_char with the fraction always written, then the fraction taken out where it is
    # zero: ".000000+" can only be that. A quarter cheaper in PostgreSQL than a second
    # to_char behind a test of the microseconds (NULL stays NULL through both functions).
    written = sa.func.to_char(utc, text('YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"'), type_=sa.Text)
    return _null_as(sa.func.replace(written, text(".000000+"), text("+"), type_=BareString), column)


def uuid_string(column: ColumnElement[Any]) -> ColumnElement[str]:
    """A UUID in its text form: 8-4-4-4-12 lowercase hexadecimal, as `str()` writes it."""
    return _null_as(sa.cast(column, BareString), column)


def mapped(column: ColumnElement[Any], names: dict[str, str]) -> ColumnElement[str]:
    """The stored text of `column` turned into other names (enum members into GraphQL
    values), or itself when every name is the same."""
    if all(stored == name for stored, name in names.items()):
        return sa.cast(column, sa.Text)
    return sa.case(
        *((sa.cast(column, sa.Text) == stored, text(name)) for stored, name in names.items()),
        else_=sa.null(),
    )


def percent(basis_points: ColumnElement[Any]) -> ColumnElement[str]:
    """Basis points as a percentage with 2 decimals, as `str(Decimal)` writes it ("12.50")."""
    value = sa.cast(sa.cast(basis_points, sa.Numeric) / sa.literal_column("100"), sa.Numeric(20, 2))
    return sa.cast(value, sa.Text)


def is_null(column: ColumnElement[Any]) -> ColumnElement[bool]:
    return column.is_(None)


def map_entries(
    mapping: ColumnElement[Any],
    entry: Callable[[ColumnElement[Any], ColumnElement[Any]], ColumnElement[Any]],
) -> ColumnElement[Any]:
    """A JSON array of `entry(key, value)` for the entries of a JSON object column, by key in
    code-point order (`[]` for NULL): a currency -> amount mapping as a list of Money."""
    entries = (
        sa.func.json_each(mapping).table_valued("key", sa.column("value", sa.JSON)).alias("entry")
    )
    key = entries.c.key
    rows = _aggregated_array(entry(key, entries.c.value), key.collate("C"), where=None)
    return sa.select(rows).select_from(entries).scalar_subquery()


def first_rows_array(
    document: ColumnElement[Any],
    where: Sequence[ColumnElement[bool]],
    order_by: Sequence[ColumnElement[Any]],
    limit: int,
) -> ColumnElement[Any]:
    """A JSON array of `document` for the first `limit` rows meeting `where`, in order
    (`[]` when there are none). Correlated to the enclosing row through `where`."""
    rows = sa.select(document).where(*where).order_by(*order_by).limit(limit)
    return json_array(sa.func.array(rows.scalar_subquery()))


def count_of(
    table: NamedFromClause,
    where: Sequence[ColumnElement[bool]],
    parent: NamedFromClause | None = None,
) -> ColumnElement[int]:
    """How many rows meet `where`; `parent`: the enclosing row's table, when the count is
    not directly under a statement that reads it (SQLAlchemy correlates to the nearest)."""
    counted = sa.select(sa.func.count()).select_from(table).where(*where)
    if parent is not None:
        counted = counted.correlate(parent)
    return counted.scalar_subquery()


def related_value(
    table: NamedFromClause,
    value: ColumnElement[Any],
    related_id: ColumnElement[Any],
    where: Sequence[ColumnElement[bool]],
) -> ColumnElement[Any]:
    """`value` of the `table` row whose id the enclosing row holds (null when there is none
    or `where` hides it)."""
    return sa.select(value).where(table.c.id == related_id, *where).scalar_subquery()


# -- cursors (app.graphql.pagination.encode_cursor: base64url of orjson's `["SORT",[values]]`)


def cursor(
    sort_name: str,
    values: Sequence[ColumnElement[str]],
    longest: int | None = None,
    *,
    plain: bool = False,
) -> ColumnElement[str]:
    """The cursor of a row: `values` are the cursor's values as JSON text, in order;
    `longest`: the most characters they can take together (None: no bound); `plain`: their
    JSON is ASCII without `>`, `?` and `~` (numbers, instants, booleans, UUIDs)."""
    parts: list[ColumnElement[str]] = [text(f'["{sort_name}",[')]
    for index, value in enumerate(values):
        if index:
            parts.append(text(","))
        parts.append(value)
    parts.append(text("]]"))
    joined = parts[0]
    for part in parts[1:]:
        joined = joined.op("||")(part)
    encoded = sa.func.encode(sa.func.convert_to(joined, text("UTF8")), text("base64"))
    # base64 -> base64url; PostgreSQL breaks lines every 76 characters: the breaks go too.
    # Three replace() rather than one translate(): translate looks up every character of
    # its input in its lists, multibyte-aware, and cost 1.6 us a cursor against 0.7 us.
    # PostgreSQL writes a break after each 57 bytes of input, even at its end: a shorter
    # cursor (an id, any integers) has none to take out.
    if longest is not None:
        longest += len(f'["{sort_name}",[]]') + len(values) - 1
    unbroken = (
        encoded
        if longest is not None and longest < _BASE64_LINE
        else sa.func.replace(encoded, sa.literal_column("E'\\n'"), text(""))
    )
    if plain and all(_base64_plain(c) for c in f'["{sort_name}",[,]]'):
        # base64 writes `+` (62) and `/` (63) only for a 6-bit group 11111x; in ASCII (top
        # bit 0) that group can only be a byte's low six bits, so only from a byte whose
        # bits 5-1 are set: `>`, `?`, `~`, DEL. Without them there is nothing to replace.
        return sa.type_coerce(unbroken, BareString)
    dashed = sa.func.replace(unbroken, text("+"), text("-"))
    return sa.func.replace(dashed, sa.literal_column("'/'"), text("_"), type_=BareString)


def _base64_plain(character: str) -> bool:
    """Whether `character` never makes base64 write `+` or `/` (see `cursor`)."""
    return ord(character) < 0x80 and ord(character) & 0x3E != 0x3E


# The bytes PostgreSQL's base64 encodes on one line (76 characters).
_BASE64_LINE = 57


def json_number(column: ColumnElement[Any]) -> ColumnElement[str]:
    return sa.cast(column, sa.Text)


def json_instant(column: ColumnElement[Any]) -> ColumnElement[str]:
    """An instant as a JSON string of its `isoformat()` (see `iso_instant`)."""
    return text('"').op("||")(iso_instant(column)).op("||")(text('"'))


def json_text(column: ColumnElement[Any]) -> ColumnElement[str]:
    """Text as a JSON string: PostgreSQL escapes as orjson does (`\\"`, `\\\\`, the short
    escapes of \\b \\f \\n \\r \\t, `\\u00xx` for the other control characters)."""
    return sa.cast(sa.func.to_json(column), sa.Text)


def json_boolean(column: ColumnElement[Any]) -> ColumnElement[str]:
    return sa.case((column, text("true")), else_=text("false"))


def json_uuid(column: ColumnElement[Any]) -> ColumnElement[str]:
    return text('"').op("||")(sa.cast(column, sa.Text)).op("||")(text('"'))


def null_flagged(column: ColumnElement[Any], value: ColumnElement[str]) -> list[ColumnElement[str]]:
    """A nullable sort value as the cursor holds it: (1, null) or (0, the value)."""
    is_null = column.is_(None)
    return [
        sa.case((is_null, text("1")), else_=text("0")),
        sa.case((is_null, text("null")), else_=value),
    ]


def position(order_by: Sequence[ColumnElement[Any]]) -> ColumnElement[int]:
    """A row's position in the order (1, 2, ...)."""
    return sa.func.row_number().over(order_by=list(order_by))


def within(
    position: ColumnElement[int], size: int, value: ColumnElement[Any]
) -> ColumnElement[Any]:
    """`value` for the rows at `position` up to `size`, else null: the extra row a page reads
    to tell whether more follow is not rendered (CASE evaluates its branch only when true)."""
    return sa.case((position <= size, value))


def page_rows(
    columns: Sequence[ColumnElement[Any]], position: ColumnElement[int],
    where: Sequence[ColumnElement[bool]], order_by: Sequence[ColumnElement[Any]], limit: int,
    parent: NamedFromClause,
) -> Subquery:  # fmt: skip
    """The first `limit` rows meeting `where`, as a subquery of `columns` and their position
    `n`. It sits in FROM, which SQLAlchemy correlates only when told: to `parent`, the
    table of the enclosing row that `where` refers to."""
    return (
        sa.select(*columns, position.label("n"))
        .where(*where)
        .order_by(*order_by)
        .limit(limit)
        .correlate(parent)
        .subquery()
    )


def rows_array(rows: Subquery, value: ColumnElement[Any], size: int) -> ColumnElement[Any]:
    """A JSON array of `value` (JSON text) over the page's first `size` rows, in order
    (`[]` if none)."""
    return _aggregated_array(value, rows.c.n, where=rows.c.n <= size)


def row_value(
    rows: Subquery, value: ColumnElement[Any], size: int, *, last: bool
) -> ColumnElement[Any]:
    """`value` of the page's first (or last) of its first `size` rows; null if none."""
    position = rows.c.n.desc() if last else rows.c.n
    values = sa.func.array_agg(aggregate_order_by(value, position)).filter(rows.c.n <= size)
    return values[1]


def edge_rows(
    element: ColumnElement[Any], where: Sequence[ColumnElement[bool]],
    order_by: Sequence[ColumnElement[Any]], limit: int, parent: NamedFromClause,
) -> Subquery:  # fmt: skip
    """One row holding `e`: the array of `element` over the first `limit` rows meeting
    `where`, in order (`{}` when none). A page of edges reads one row more than its size: the
    array's length tells whether more follow, its slice is the edges, its elements' cursors
    the page's first and last. An array keeps its order by construction, where an aggregate
    needs its own ORDER BY (a sort per page) and the rows' position a window function.
    OFFSET 0 keeps PostgreSQL from pulling the subquery up into each use of `e` (it would
    read the rows once per use)."""
    rows = sa.select(element).where(*where).order_by(*order_by).limit(limit).correlate(parent)
    array = sa.func.array(rows.scalar_subquery(), type_=ARRAY(JsonText))
    no_pull_up = sa.literal_column("0", sa.Integer)
    return sa.select(array.label("e")).offset(no_pull_up).correlate(parent).subquery()


def array_json(rows: Subquery, size: int) -> ColumnElement[Any]:
    """The first `size` elements of `rows.e` as a JSON array (`[]` when none)."""
    elements = rows.c.e
    return json_array(elements[1:size])


def has_more_than(rows: Subquery, size: int) -> ColumnElement[bool]:
    """Whether `rows.e` holds more than `size` elements: hasNextPage."""
    return never_null(sa.func.cardinality(rows.c.e) > size)


def _element(rows: Subquery, size: int, *, last: bool) -> ColumnElement[Any]:
    """The first (or the last of the first `size`) element of `rows.e` (null if none)."""
    elements = rows.c.e
    index = (
        sa.func.least(sa.func.cardinality(elements), size)
        if last
        else sa.literal_column(str(min(1, size)), sa.Integer)  # none in a page of 0
    )
    return elements[index]


def leading_string(rows: Subquery, size: int, *, last: bool) -> ColumnElement[str]:
    """The string value of the first key of the first (or the last of the first `size`)
    element of `rows.e`, for elements whose JSON text starts `{"key":"value"` with a value
    without quotes (an edge whose never-NULL cursor is asked first); null when it has none.
    Read off the text: no JSON parsed."""
    fourth = sa.literal_column("4", sa.Integer)  # {, key, :, value
    return sa.func.split_part(_element(rows, size, last=last), text('"'), fourth, type_=BareString)


def element_text(rows: Subquery, key: str, size: int, *, last: bool) -> ColumnElement[str]:
    """The string under `key` of the first (or the last of the first `size`) element of
    `rows.e`; null when it has none (a cursor of the edges, for startCursor / endCursor).
    The element is JSON text: this parses it, one element a page."""
    element = _element(rows, size, last=last)
    return sa.cast(element, sa.JSON).op("->>", return_type=BareString)(text(key))


def more_rows_than(size: int) -> ColumnElement[bool]:
    """Whether the rows read (one more than the page) hold more than the page: hasNextPage."""
    return sa.func.count() > size


def over_row(document: ColumnElement[Any], row: Subquery) -> ColumnElement[Any]:
    """`document` (over the one row of `row`) for the enclosing row."""
    return sa.select(document).select_from(row).scalar_subquery()


def over_rows(document: ColumnElement[Any], rows: Subquery) -> ColumnElement[Any]:
    """`document` (aggregates over `rows`, or constants) for the enclosing row: one row
    however many `rows` there are (HAVING makes the statement one group, also when the
    document holds no aggregate, as `pageInfo { hasPreviousPage }` alone)."""
    return sa.select(document).select_from(rows).having(sa.true()).scalar_subquery()
