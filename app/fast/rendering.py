"""Nodes rendered in PostgreSQL: a list's records come back as the response's JSON.

Most of a large response is records' own columns, and the records of their relationships.
When every field selected on a list's `nodes` (and below it), or on a record looked up by
id, is one PostgreSQL can spell as the API would, the statement returns each record as JSON:
the executor embeds it as it is (`orjson.Fragment`), and no row, object or response dict is
made in Python. This is how PostGraphile answers everything; here it is an optimisation the
executor may take:
- only on PostgreSQL, only in the plan executor, only for queries (the standard executor
  and mutations always build objects);
- only for fields whose source is known: a column of the record (strings, integers,
  booleans, instants, UUIDs, enums, the global id), `__typename`, a to-one relationship
  (`related_field`), an object made from the same row (a coupon's Terms, `SameRow`), a
  nested list (`connection_field`) asked for its `nodes`, `edges { cursor node }`,
  `totalCount` or `pageInfo` (both flags and both cursors) with `first`, `filter`,
  `orderBy`, `trashed`; anything else (a resolver, `after`/`last`/`before` below the top,
  arguments that fail) leaves the list to the Python path, which answers as it always did,
  errors included, and is counted and logged (`app.fast.fall_offs`);
- however the selection is spelled: named and inline fragments (on the record's type or on
  its interfaces) are merged by graphql-core's own field collection, a top-level list's
  `edges { cursor node }` renders each whole edge, its cursor spelled in SQL as a nested
  page's (the page's first and last cursors are made in Python from the cursor columns
  read alongside), and `node(id:)` renders the selection on the record's own type, as the
  typed root field does;
- with the same rows: soft deletion as the response chose it, the caller's scope, the
  list's filters and order, through the same condition builders the loaders use.
The tests hold the two paths to the same responses: tests/graphql/test_rendering.py (each
query with rendering on and off, keys in order) and the differential tests of tests/executor
(the suite's requests and 2,000 generated queries against graphql-core's standard executor,
which never renders).
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Hashable, Sequence
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar, cast

import sqlalchemy as sa
from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLBoolean,
    GraphQLField,
    GraphQLInt,
    GraphQLList,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLResolveInfo,
    GraphQLString,
    InlineFragmentNode,
    SelectionNode,
    get_nullable_type,
    is_enum_type,
    is_list_type,
    is_non_null_type,
    is_object_type,
    is_scalar_type,
)
from graphql.execution.collect_fields import FieldDetails, FieldDetailsList, collect_subfields
from graphql.execution.values import get_argument_values
from orjson import Fragment
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.selectable import NamedFromClause, Subquery
from strawberry.types.arguments import convert_arguments

from app.auth.roles import Action
from app.db.filters import ListSpec, Trashed, trashed_condition
from app.db.paging import Ordering, ascending_order
from app.db.tenancy import scope_condition
from app.fast import fall_offs, json_sql
from app.fast.executor.plan import variables_in
from app.fast.json_sql import ColumnKind
from app.graphql.connections import ListArguments, prepare_list
from app.graphql.field_sources import ChildPages, RelatedRecord, SameRow, source_of
from app.graphql.trashed import response_path
from app.graphql.types.base import NODE_TYPES, computed_fields

if TYPE_CHECKING:
    from strawberry.types.field import StrawberryField

    from app.auth.principal import Scope
    from app.db.handles import Clause, Record
    from app.db.session import RequestDatabase
    from app.fast.executor.context import PlanExecutionContext
    from app.graphql.context import Context, Info

STRAWBERRY_BACKREF = "strawberry-definition"
CONNECTION_FIELDS = {"nodes", "edges", "totalCount", "pageInfo", "__typename"}
EDGE_FIELDS = {"cursor", "node", "__typename"}
# The render cache of one operation plan: its size is bounded (requests differ by caller and
# by the variables the lists read).
CACHE_SIZE = 256

# A value spelled in SQL: a record's JSON, a column, a cursor (what app.fast.json_sql builds).
Spelled: TypeAlias = ColumnElement[Any]
# How `_object` spells one selected field: `spell(its name, the field, its details)`.
Spell: TypeAlias = Callable[[str, GraphQLField, FieldDetailsList], Spelled]
_Made = TypeVar("_Made")


class NotRendered(Exception):
    """Something in the selection has no SQL spelling: the Python path answers.

    `reason` (one of a few fixed phrases) is counted and logged (app.fast.fall_offs); a
    selection with nothing to render (no nodes asked) has none, and is not a fall-off."""

    def __init__(self, reason: str | None = None, detail: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.detail = detail


class Refused:
    """What the render cache keeps for a selection that does not render, and why."""

    __slots__ = ("detail", "reason")

    def __init__(self, reason: str | None, detail: str) -> None:
        self.reason = reason
        self.detail = detail


class Renderer:
    """Made by the plan executor for one request (see `PlanExecutionContext`)."""

    def __init__(
        self, ex: PlanExecutionContext, context: Context, cache: dict[Hashable, Any]
    ) -> None:
        self.ex = ex
        self.context = context
        self.cache = cache
        self._aliases = itertools.count(1)

    # -- what the list and lookup resolvers ask (app.graphql.connections, queries) -----------

    def list_read(
        self, info: Info, spec: ListSpec, trashed: Trashed, ordering: Ordering
    ) -> tuple[tuple[Spelled, ...], Callable[[Record], Fragment], bool] | None:
        """What a list of `spec` records reads when its nodes are rendered (the columns of
        a cursor and each node's JSON, or each edge's), how a row becomes its node (or its
        edge), and whether it is the edge; None: not rendered."""
        found = self.nodes_json(info, spec, trashed, ordering)
        if found is None:
            return None
        document, whole_edges = found
        self.ex.stats["rendered"] += 1
        columns = self.columns(spec.table, ordering, document)
        return columns, rendered_node_at(len(columns) - 1), whole_edges

    async def lookup(
        self,
        info: Info,
        spec: ListSpec,
        trashed: Trashed,
        db_id: int,
        visible: list[Clause],
        scope: Scope,
    ) -> tuple[Fragment | None] | None:
        """(the rendered record or None), for a lookup by id whose selection renders (the
        record meeting `visible`); None: not rendered."""
        document = self.record_json(info, spec, trashed)
        if document is None:
            return None
        self.ex.stats["rendered"] += 1
        row = await rendered_row(
            self.context.db, spec.table, self.record_columns(document), db_id,
            lambda: visible, (trashed, scope, document),
        )  # fmt: skip
        return (None if row is None else rendered_node(row),)

    def nodes_json(
        self, info: Info, spec: ListSpec, trashed: Trashed, ordering: Ordering
    ) -> tuple[Spelled, bool] | None:
        """(the JSON of one node of the list `info` resolves, for a row of `spec.table`, or
        of its whole edge; whether it is the edge), or None when its selection cannot be
        rendered (or does not ask for nodes). An edge's cursor depends on the sort only."""

        def make(
            raw: GraphQLResolveInfo[Context], spec: ListSpec, trashed: Trashed
        ) -> tuple[Spelled, bool]:
            return self._top_nodes(raw, spec, trashed, ordering)

        return self._cached(("nodes", ordering.sort.name), info, spec, trashed, make)

    def record_json(self, info: Info, spec: ListSpec, trashed: Trashed) -> Spelled | None:
        """The JSON of the record `info` resolves (a lookup by id), for a row of
        `spec.table`, or None when its selection cannot be rendered."""
        return self._cached("record", info, spec, trashed, self._top_record)

    def _cached(
        self,
        kind: Hashable,
        info: Info,
        spec: ListSpec,
        trashed: Trashed,
        make: Callable[[GraphQLResolveInfo[Context], ListSpec, Trashed], _Made],
    ) -> _Made | None:
        raw = info._raw_info
        path = response_path(info)
        key = self._key(kind, path, spec.name, trashed, self._variables_of(raw, path))
        document: _Made | Refused
        try:
            document = self.cache[key]
        except KeyError:
            try:
                document = make(raw, spec, trashed)
            except NotRendered as refused:
                document = Refused(refused.reason, refused.detail)
            except Exception:  # a failing argument or scope: the Python path raises it properly
                document = Refused(None, "")
            if len(self.cache) >= CACHE_SIZE:
                self.cache.clear()
            self.cache[key] = document
        if isinstance(document, Refused):
            if document.reason is not None:
                fall_offs.note("render", document.reason, self.ex.operation, path, document.detail)
            return None
        return document

    def _key(
        self, kind: Hashable, path: tuple[str, ...], record_type: str, trashed: Trashed,
        variables: tuple[tuple[str, str], ...],
    ) -> Hashable:  # fmt: skip
        """What a field's render is kept under: what its statement depends on."""
        return (kind, path, record_type, trashed, self.context.principal, variables)

    def remembered_record(
        self, field: str, record_type: str
    ) -> tuple[Spelled, tuple[Spelled, ...]] | None:
        """(the rendered document, the columns read) of the root lookup `field` of a
        `record_type` record this request rendered, not deleted and with no variable below
        it; None when it did not render (app.fast.lookups runs it again)."""
        key = self._key("record", (field,), record_type, Trashed.WITHOUT, ())
        document = self.cache.get(key)
        if document is None or isinstance(document, Refused):
            return None
        return document, self.record_columns(document)

    def _top_record(
        self, raw: GraphQLResolveInfo[Context], spec: ListSpec, trashed: Trashed
    ) -> Spelled:
        details = [FieldDetails(node, None) for node in raw.field_nodes]
        type_ = get_nullable_type(raw.return_type)
        if is_object_type(type_):
            return self._node(type_, details, spec.table, trashed)
        record = self.ex.schema.get_type(spec.name)  # `node(id:)`: the record's own type
        if not is_object_type(record):
            raise NotRendered("not a record", str(record))
        return self._node(record, details, spec.table, trashed)

    def _top_nodes(
        self, raw: GraphQLResolveInfo[Context], spec: ListSpec, trashed: Trashed, ordering: Ordering
    ) -> tuple[Spelled, bool]:
        """(the node of a top-level list asked as `nodes`, False), or (its whole edge, True)
        when asked as `edges { cursor node }`: the edge and its cursor spelled in SQL as a
        nested page's are. A sort whose cursor has no SQL spelling renders the node only,
        and the edges around it are made in Python."""
        connection = get_nullable_type(raw.return_type)
        if not is_object_type(connection):
            raise NotRendered("not a connection")
        details = [FieldDetails(node, None) for node in raw.field_nodes]
        # (the node's type, its selection, the edge's type and selection if it is in edges)
        found: list[
            tuple[
                GraphQLOutputType,
                FieldDetailsList,
                tuple[GraphQLObjectType, FieldDetailsList] | None,
            ]
        ] = []
        for field_details in self._collect(connection, details).values():
            name = field_details[0].node.name.value
            if name not in CONNECTION_FIELDS:
                raise NotRendered("unknown connection field", name)
            if name == "nodes":
                found.append((_item_type(connection.fields[name].type), field_details, None))
            elif name == "edges":
                edge = _object_type(_item_type(connection.fields[name].type))
                for edge_details in self._collect(edge, field_details).values():
                    edge_name = edge_details[0].node.name.value
                    if edge_name not in EDGE_FIELDS:
                        raise NotRendered("unknown edge field", edge_name)
                    if edge_name == "node":
                        found.append(
                            (edge.fields[edge_name].type, edge_details, (edge, field_details))
                        )
        if not found:
            raise NotRendered  # nothing to render (a count, a page's flags)
        if len(found) > 1:
            raise NotRendered("nodes asked in several places")
        type_, node_details, in_edge = found[0]
        node = self._node(type_, node_details, spec.table, trashed)
        if in_edge is None:  # asked as `nodes` (edges, if any, hold no node)
            return node, False
        edge_type, edge_details = in_edge

        def spell(name: str, _field: GraphQLField, _details: FieldDetailsList) -> Spelled:
            return cursor_sql(ordering, spec.table) if name == "cursor" else node

        try:
            return self._object(edge_type, edge_details, spell), True
        except NotRendered:
            return node, False

    def columns(
        self, table: NamedFromClause, ordering: Ordering, document: Spelled
    ) -> tuple[Spelled, ...]:
        """What a list reads when its nodes are rendered: the columns of a cursor, and the
        JSON; the same objects for the same document (they name a prepared statement)."""
        sort = ordering.sort.column.name
        return self._kept(
            ("columns", table.name, sort, document),
            lambda: json_sql.cursor_and_document(table, sort, document),
        )

    def record_columns(self, document: Spelled) -> tuple[Spelled, ...]:
        """What a lookup reads when its record is rendered: the JSON."""
        return self._kept(("record", document), lambda: (json_sql.document_column(document),))

    def _kept(self, key: Hashable, make: Callable[[], tuple[Spelled, ...]]) -> tuple[Spelled, ...]:
        found: tuple[Spelled, ...] | None = self.cache.get(key)
        if found is None:
            found = make()
            if len(self.cache) >= CACHE_SIZE:
                self.cache.clear()
            self.cache[key] = found
        return found

    # -- records ---------------------------------------------------------------------------

    def _collect(
        self, type_: GraphQLObjectType, details: FieldDetailsList
    ) -> dict[str, FieldDetailsList]:
        ex = self.ex
        return collect_subfields(
            ex.schema, ex.fragments, ex.variable_values, ex.operation, type_, details,
            ex.hide_suggestions,
        ).grouped_field_set  # fmt: skip

    def _node(
        self,
        type_: GraphQLOutputType,
        details: FieldDetailsList,
        table: NamedFromClause,
        trashed: Trashed,
    ) -> Spelled:
        """`{...}` of the selection on a record of `type_` held by `table`'s row."""
        record = get_nullable_type(type_)
        if not is_object_type(record) or record.name not in NODE_TYPES:
            raise NotRendered("not a record", str(record))
        cls, _spec = NODE_TYPES[record.name]

        def spell(_name: str, field_def: GraphQLField, field_details: FieldDetailsList) -> Spelled:
            return self._field(record, cls, field_def, field_details, table, trashed)

        return self._object(record, details, spell)

    def _object(self, type_: GraphQLObjectType, details: FieldDetailsList, spell: Spell) -> Spelled:
        """`{...}` of the selection on an object of `type_`: `__typename`, and
        `spell(its name, the field, its details)` for each other field selected."""
        pairs: list[tuple[str, Spelled]] = []
        for key, field_details in self._collect(type_, details).items():
            name = field_details[0].node.name.value
            if name == "__typename":
                pairs.append((key, json_sql.constant_string(type_.name)))
                continue
            field_def = type_.fields.get(name)
            if field_def is None:  # graphql-core leaves unknown fields out of the response
                continue
            pairs.append((key, spell(name, field_def, field_details)))
        if len(pairs) > json_sql.MAX_KEYS:
            raise NotRendered("too many keys", type_.name)
        return json_sql.json_object(pairs)

    def _field(
        self,
        type_: GraphQLObjectType,
        cls: type,
        field_def: GraphQLField,
        details: FieldDetailsList,
        table: NamedFromClause,
        trashed: Trashed,
    ) -> Spelled:
        definition: StrawberryField | None = (field_def.extensions or {}).get(STRAWBERRY_BACKREF)
        where = f"{type_.name}.{details[0].node.name.value}"
        if definition is None or definition.extensions:
            raise NotRendered("field with extensions", where)
        resolver = definition.base_resolver
        if resolver is None:
            if field_def.args:
                raise NotRendered("field with arguments", where)
            name = definition.python_name
            if name == "id":
                return json_sql.global_id(type_.name, table.c.id)
            if name in computed_fields(cls) or name not in table.c:
                raise NotRendered("computed field", where)
            return _leaf(field_def.type, table.c[name], where)
        source = source_of(definition)
        if isinstance(source, RelatedRecord):
            return self._related(source, field_def, details, table, trashed)
        if isinstance(source, ChildPages) and source.parent_column is not None:
            return self._pages(source, definition, field_def, details, table, trashed)
        if isinstance(source, SameRow) and not field_def.args:
            return self._same_row(source, field_def, details, table)
        raise NotRendered("resolver without a declared source", where)

    def _same_row(
        self,
        source: SameRow,
        field_def: GraphQLField,
        details: FieldDetailsList,
        table: NamedFromClause,
    ) -> Spelled:
        """An object made from the parent's row (see `SameRow`)."""
        type_ = get_nullable_type(field_def.type)
        if not is_object_type(type_):
            raise NotRendered("not an object", str(type_))
        computed = dict(source.computed)

        def spell(name: str, field: GraphQLField, field_details: FieldDetailsList) -> Spelled:
            where = f"{type_.name}.{name}"
            definition: StrawberryField | None = (field.extensions or {}).get(STRAWBERRY_BACKREF)
            if definition is None or definition.base_resolver is not None or field.args:
                raise NotRendered("computed field", where)
            how, column = computed.get(definition.python_name, ("column", definition.python_name))
            if column not in table.c:
                raise NotRendered("computed field", where)
            value = table.c[column]
            named = get_nullable_type(field.type)
            if how == "column":
                return _leaf(field.type, value, where)
            if (
                how == "percent"
                and is_scalar_type(named)
                and named.name == "Decimal"
                and not is_non_null_type(field.type)
            ):
                return json_sql.percent(value)
            if how == "is_null" and named is GraphQLBoolean:
                return json_sql.is_null(value)
            if how == "money":
                return self._money(field, field_details, value)
            raise NotRendered("computed field", where)

        return self._object(type_, details, spell)

    def _money(
        self, field: GraphQLField, details: FieldDetailsList, mapping: ColumnElement[Any]
    ) -> Spelled:
        """A currency -> minor units mapping as the list of Money `money_list` makes."""
        money = _item_type(field.type)
        if not is_object_type(money):
            raise NotRendered("not an object", str(money))

        def entry(currency: Spelled, amount: Spelled) -> Spelled:
            values = {"currency": currency, "amount": amount}

            def spell(name: str, _field: GraphQLField, _details: FieldDetailsList) -> Spelled:
                if name not in values:
                    raise NotRendered("unknown money field", name)
                return values[name]

            return self._object(money, details, spell)

        return json_sql.map_entries(mapping, entry)

    def _related(
        self,
        source: RelatedRecord,
        field_def: GraphQLField,
        details: FieldDetailsList,
        table: NamedFromClause,
        trashed: Trashed,
    ) -> Spelled:
        if field_def.args or is_non_null_type(field_def.type):
            raise NotRendered("relation with arguments or non-null", source.type_name)
        _cls, spec = NODE_TYPES[source.type_name]
        related = self._alias(spec)
        if source.column is None:
            value = self._node(field_def.type, details, related, trashed)
        else:
            value = _leaf(field_def.type, related.c[source.column])
        where = self._visible(spec, trashed, related)
        return json_sql.related_value(related, value, table.c[source.attribute], where)

    def _pages(
        self, source: ChildPages, definition: StrawberryField, field_def: GraphQLField,
        details: FieldDetailsList, table: NamedFromClause, trashed: Trashed,
    ) -> Spelled:  # fmt: skip
        if len(details) != 1:  # the same list merged from several places: arguments per node
            raise NotRendered("list merged from several places")
        arguments = ListArguments(**self._arguments(definition, field_def, details[0].node))
        if (
            arguments.after is not None
            or arguments.before is not None
            or arguments.last is not None
        ):
            raise NotRendered("nested page with after, before or last")
        spec = source.spec
        # prepare_list reads nothing of the field's info but the request's context.
        info = cast("Info", SimpleNamespace(context=self.context))
        ordering, window, written, _ = prepare_list(info, spec, arguments)
        where = written()
        chosen = arguments.trashed if arguments.trashed is not None else trashed
        child = self._alias(spec)
        assert source.parent_column is not None  # see _field
        conditions = [
            json_sql.equals(child.c[source.parent_column], table.c.id),
            *self._visible(spec, chosen, child),
            *json_sql.on_alias(child, where),
        ]
        order = ascending_order(ordering, child)
        size = window.first
        assert size is not None
        connection = _object_type(field_def.type)
        page = _Page(table, child, conditions, order, size, ordering)
        asked = {d[0].node.name.value for d in self._collect(connection, details).values()}
        if asked <= {"nodes", "totalCount", "__typename"}:
            return self._nodes_page(connection, details, page, chosen)
        return self._relay_page(connection, details, page, chosen)

    def _nodes_page(
        self,
        connection: GraphQLObjectType,
        details: FieldDetailsList,
        page: _Page,
        trashed: Trashed,
    ) -> Spelled:
        """A nested page asked for its nodes (and count): an array of the first rows."""

        def spell(name: str, field: GraphQLField, field_details: FieldDetailsList) -> Spelled:
            if name == "nodes":
                document = self._node(_item_type(field.type), field_details, page.child, trashed)
                return json_sql.first_rows_array(document, page.conditions, page.order, page.size)
            if name == "totalCount":
                return json_sql.count_of(page.child, page.conditions)
            raise NotRendered("unknown connection field", name)

        return self._object(connection, details, spell)

    def _relay_page(
        self,
        connection: GraphQLObjectType,
        details: FieldDetailsList,
        page: _Page,
        trashed: Trashed,
    ) -> Spelled:
        """A nested page asked for its edges, cursors or page info: its rows are read once
        (one more than the page, for hasNextPage), each with its nodes' documents and its
        cursor (none for the extra row), and every part of the connection (nodes, edges,
        page info) is an aggregate over them."""
        edges = self._edges_page(connection, details, page, trashed)
        if edges is not None:
            return edges
        rows_columns: list[Spelled] = []
        # (response key, node key or None) -> the label of that node's document among the rows
        labels: dict[tuple[str, str | None], str] = {}
        position = json_sql.position(page.order)

        def column(expression: Spelled) -> str:
            label = f"c{len(rows_columns)}"
            rows_columns.append(json_sql.within(position, page.size, expression).label(label))
            return label

        cursor_label: list[str] = []

        def cursor() -> str:
            if not cursor_label:
                cursor_label.append(column(page.cursor(page.child)))
            return cursor_label[0]

        for key, field_details in self._collect(connection, details).items():
            name = field_details[0].node.name.value
            field = connection.fields.get(name)
            if field is None or name in ("__typename", "totalCount"):
                continue
            if name == "nodes":
                node = self._node(_item_type(field.type), field_details, page.child, trashed)
                labels[(key, None)] = column(node)
            elif name == "edges":
                edge = _object_type(_item_type(field.type))
                for edge_key, edge_details in self._collect(edge, field_details).items():
                    edge_name = edge_details[0].node.name.value
                    if edge_name == "cursor":
                        cursor()
                    elif edge_name == "node":
                        node = self._node(
                            edge.fields[edge_name].type, edge_details, page.child, trashed
                        )
                        labels[(key, edge_key)] = column(node)
                    elif edge_name != "__typename":
                        raise NotRendered("unknown edge field", edge_name)
            elif name == "pageInfo":
                info = self._collect(_object_type(field.type), field_details)
                if {d[0].node.name.value for d in info.values()} & {"startCursor", "endCursor"}:
                    cursor()
            else:
                raise NotRendered("unknown connection field", name)
        rows = json_sql.page_rows(
            rows_columns, position, page.conditions, page.order, page.size + 1, page.parent
        )

        def spell(name: str, field: GraphQLField, field_details: FieldDetailsList) -> Spelled:
            key = _response_key(field_details)
            if name == "nodes":
                return json_sql.rows_array(rows, rows.c[labels[(key, None)]], page.size)
            if name == "edges":

                def edge(
                    edge_name: str, _field: GraphQLField, edge_details: FieldDetailsList
                ) -> Spelled:
                    if edge_name == "cursor":
                        return rows.c[cursor_label[0]]
                    return rows.c[labels[(key, _response_key(edge_details))]]

                document = self._object(_object_type(_item_type(field.type)), field_details, edge)
                return json_sql.rows_array(rows, document, page.size)
            if name == "totalCount":  # under the aggregate of the rows: correlated by name
                return json_sql.count_of(page.child, page.conditions, page.parent)
            if name == "pageInfo":
                return self._page_info(field, field_details, rows, cursor_label, page.size)
            raise NotRendered("unknown connection field", name)

        return json_sql.over_rows(self._object(connection, details, spell), rows)

    def _edges_page(
        self,
        connection: GraphQLObjectType,
        details: FieldDetailsList,
        page: _Page,
        trashed: Trashed,
    ) -> Spelled | None:
        """A nested page asked as Relay asks it: `edges` once (each edge's cursor, node and
        `__typename`), `pageInfo`, `totalCount`, `__typename`; None for any other shape (the
        rows' path above). Its rows' edges are read as one array, one edge more than the
        page (`json_sql.edge_rows`): no window function, no sorted aggregates. The extra
        edge is rendered and dropped (cheaper than numbering the rows to spare it)."""
        edges: tuple[GraphQLField, FieldDetailsList] | None = None
        cursors_asked = False
        for field_details in self._collect(connection, details).values():
            name = field_details[0].node.name.value
            field = connection.fields.get(name)
            if field is None or name in ("__typename", "totalCount"):
                continue
            if name == "edges" and edges is None:
                edges = (field, field_details)
            elif name == "pageInfo":
                info = self._collect(_object_type(field.type), field_details)
                names = {d[0].node.name.value for d in info.values()}
                cursors_asked = cursors_asked or bool(names & {"startCursor", "endCursor"})
            else:
                return None  # nodes, or edges under two keys
        if edges is None:
            return None
        edge_type = _object_type(_item_type(edges[0].type))
        edge_fields = self._collect(edge_type, edges[1])
        cursor_keys = [k for k, d in edge_fields.items() if d[0].node.name.value == "cursor"]
        if cursors_asked and not cursor_keys:
            return None  # the page's cursors without the edges' (the rows' path)

        cursor = page.cursor(page.child)
        # The edges' JSON starts `{"<key>":"<cursor>"` when the cursor is asked first and is
        # never NULL: the page's cursors are then read off the text, not parsed from it.
        cursor_first = bool(cursor_keys) and next(iter(edge_fields)) == cursor_keys[0]
        leading = cursor_first and json_sql.is_never_null(cursor)

        def edge(name: str, field: GraphQLField, edge_details: FieldDetailsList) -> Spelled:
            if name == "cursor":
                return cursor
            if name == "node":
                return self._node(field.type, edge_details, page.child, trashed)
            raise NotRendered("unknown edge field", name)

        element = self._object(edge_type, edges[1], edge)
        rows = json_sql.edge_rows(element, page.conditions, page.order, page.size + 1, page.parent)
        size = page.size

        def page_info(name: str, _flag: GraphQLField, _details: FieldDetailsList) -> Spelled:
            if name == "hasNextPage":
                return json_sql.has_more_than(rows, size)
            if name == "hasPreviousPage":  # no cursor to come after: nothing precedes
                return json_sql.false()
            if name in ("startCursor", "endCursor"):
                last = name == "endCursor"
                if leading:
                    return json_sql.leading_string(rows, size, last=last)
                return json_sql.element_text(rows, cursor_keys[0], size, last=last)
            raise NotRendered("unknown pageInfo field", name)

        def spell(name: str, field: GraphQLField, field_details: FieldDetailsList) -> Spelled:
            if name == "edges":
                return json_sql.array_json(rows, size)
            if name == "totalCount":
                return json_sql.count_of(page.child, page.conditions, page.parent)
            if name == "pageInfo":
                return self._object(_object_type(field.type), field_details, page_info)
            raise NotRendered("unknown connection field", name)

        return json_sql.over_row(self._object(connection, details, spell), rows)

    def _page_info(
        self,
        field: GraphQLField,
        details: FieldDetailsList,
        rows: Subquery,
        cursor: list[str],
        size: int,
    ) -> Spelled:
        def spell(name: str, _flag: GraphQLField, _details: FieldDetailsList) -> Spelled:
            if name == "hasNextPage":
                return json_sql.more_rows_than(size)
            if name == "hasPreviousPage":  # no cursor to come after: nothing precedes
                return json_sql.false()
            if name in ("startCursor", "endCursor"):
                last = name == "endCursor"
                return json_sql.row_value(rows, rows.c[cursor[0]], size, last=last)
            raise NotRendered("unknown pageInfo field", name)

        return self._object(_object_type(field.type), details, spell)

    # -- helpers ---------------------------------------------------------------------------

    def _alias(self, spec: ListSpec) -> NamedFromClause:
        return json_sql.alias(spec.table, f"rendered_{next(self._aliases)}")

    def _visible(
        self, spec: ListSpec, trashed: Trashed, alias: NamedFromClause
    ) -> list[ColumnElement[Any]]:
        """What the loaders show of `spec` records (see `Loaders.visible`), on `alias`."""
        scope = self.context.access.scope(spec.name, Action.READ)
        conditions = [*trashed_condition(spec.table, trashed), *scope_condition(spec.table, scope)]
        return json_sql.on_alias(alias, conditions)

    def _arguments(
        self, definition: StrawberryField, field_def: GraphQLField, node: FieldNode
    ) -> dict[str, Any]:
        ex = self.ex
        values = get_argument_values(field_def, node, ex.variable_values)
        schema = ex.strawberry
        return convert_arguments(
            values,
            definition.arguments,
            scalar_registry=schema.schema_converter.scalar_registry,
            config=schema.config,
        )

    def _variables_of(
        self, raw: GraphQLResolveInfo[Context], path: tuple[str, ...]
    ) -> tuple[tuple[str, str], ...]:
        """The values of the variables the field's subtree reads (its render depends on
        them and on nothing else the request varies, besides the caller)."""
        key = ("variables", path)
        names = self.cache.get(key)
        if names is None:  # the same field nodes at the same path of the same operation
            # below the field only: its own arguments shape the read, not its records' JSON
            below = [
                selection
                for node in raw.field_nodes
                if node.selection_set is not None
                for selection in node.selection_set.selections
            ]
            names = self.cache[key] = tuple(sorted(_variable_names(below, raw.fragments)))
        if not names:
            return ()
        coerced = self.ex.variable_values.coerced
        return tuple((name, repr(coerced.get(name))) for name in names)


async def rendered_row(
    db: RequestDatabase,
    table: NamedFromClause,
    columns: tuple[Spelled, ...],
    db_id: int,
    where: Callable[[], list[Clause]],
    shape: Hashable,
) -> Record | None:
    """`columns` of the row with this id meeting the conditions `where` makes, or None.
    `shape` stands for `columns` and those conditions (a prepared read, see
    `app.fast.prepared`): `where` is called only for a statement not prepared yet."""

    def build() -> sa.Select[Any]:
        return sa.select(*columns).where(table.c.id == sa.bindparam("id", 0), *where())

    rows = await db.fetch(("rendered_row", table.name, shape), build, {"id": db_id})
    return rows[0] if rows else None


class _Page:
    """A nested page being rendered: its rows (`child` meeting `conditions`, in `order`, the
    first `size`, under a row of `parent`) and how their cursors are spelled."""

    __slots__ = ("child", "conditions", "order", "ordering", "parent", "size")

    def __init__(
        self, parent: NamedFromClause, child: NamedFromClause,
        conditions: list[ColumnElement[bool]], order: Sequence[ColumnElement[Any]], size: int,
        ordering: Ordering,
    ) -> None:  # fmt: skip
        self.parent = parent
        self.child = child
        self.conditions = conditions
        self.order = order
        self.size = size
        self.ordering = ordering

    def cursor(self, table: NamedFromClause) -> ColumnElement[str]:
        return cursor_sql(self.ordering, table)


def cursor_sql(ordering: Ordering, table: NamedFromClause) -> ColumnElement[str]:
    """A row's cursor as `app.graphql.pagination.encode_cursor` writes it."""
    sort = ordering.sort
    column = table.c[sort.column.name]
    value, width = _cursor_value(column)
    values, widths = [value], [width]
    if sort.nullable:  # (1, null) or (0, the value)
        values = json_sql.null_flagged(column, value)
        widths = [1, None if width is None else max(width, len("null"))]
    if sort.column.name != "id":
        values.append(json_sql.json_number(table.c.id))
        widths.append(_INTEGER_WIDTH)
    bounded = [w for w in widths if w is not None]
    longest = sum(bounded) if len(bounded) == len(widths) else None
    # the bounded kinds are the plain ones: numbers, instants, booleans, UUIDs (not text)
    spelled = json_sql.cursor(sort.name, values, longest, plain=longest is not None)
    # NULL only where a sort value is NULL and not flagged (nor, by the schema, ever is)
    if (sort.nullable or column.nullable is False) and table.c.id.nullable is False:
        return json_sql.never_null(spelled)
    return spelled


# The longest JSON of a cursor value of each kind (None: no bound): a bigint's 20 characters,
# `"2024-06-01T12:00:00.000000+00:00"`, `false`, a quoted UUID.
_INTEGER_WIDTH = len(str(-(2**63)))
_WIDTHS = {
    ColumnKind.INT32: _INTEGER_WIDTH,
    ColumnKind.INSTANT: 34,
    ColumnKind.BOOLEAN: len("false"),
    ColumnKind.UUID: 38,
}


def _cursor_value(column: ColumnElement[Any]) -> tuple[ColumnElement[str], int | None]:
    """A sort column's value as orjson writes it in a cursor (JSON text), and the longest
    that text can be (None: no bound)."""
    kind = json_sql.column_kind(column)
    if kind is ColumnKind.INT32 or isinstance(column.type, sa.BigInteger):
        return json_sql.json_number(column), _INTEGER_WIDTH
    if kind is ColumnKind.INSTANT:
        return json_sql.json_instant(column), _WIDTHS[kind]
    if kind is ColumnKind.TEXT:
        return json_sql.json_text(column), None
    if kind is ColumnKind.BOOLEAN:
        return json_sql.json_boolean(column), _WIDTHS[kind]
    if kind is ColumnKind.UUID:
        return json_sql.json_uuid(column), _WIDTHS[kind]
    raise NotRendered("cursor of this sort column", column.name)


def rendered_node(row: Record) -> Fragment:
    """A rendered node, for the response as it is."""
    return Fragment(getattr(row, json_sql.RENDERED))


@functools.cache
def rendered_node_at(index: int) -> Callable[[Record], Fragment]:
    """`rendered_node` for rows that hold the node at `index` (a list's columns come first in
    its page's rows): a position read is a fraction of a name's, for every row of the page."""

    def node(row: Record) -> Fragment:
        return Fragment(row[index])

    return node


def _response_key(details: FieldDetailsList) -> str:
    node = details[0].node
    return (node.alias or node.name).value


def _item_type(type_: GraphQLOutputType) -> GraphQLOutputType:
    listed = get_nullable_type(type_)
    if not is_list_type(listed):
        raise NotRendered("not a list", str(listed))
    item: GraphQLOutputType = get_nullable_type(listed.of_type)
    return item


def _object_type(type_: GraphQLOutputType) -> GraphQLObjectType:
    """A connection's, an edge's or a page info's type (objects in this schema)."""
    named = get_nullable_type(type_)
    if not is_object_type(named):
        raise NotRendered("not an object", str(named))
    return named


def _variable_names(
    nodes: list[SelectionNode], fragments: dict[str, FragmentDefinitionNode]
) -> set[str]:
    """The variables read anywhere in these fields' subtrees (arguments and directives)."""
    found: set[str] = set()
    seen: set[str] = set()

    def selections(items: Sequence[SelectionNode]) -> None:
        for node in items:
            for directive in node.directives or ():
                for argument in directive.arguments or ():
                    found.update(variables_in(argument.value))
            if isinstance(node, FieldNode):
                for argument in node.arguments or ():
                    found.update(variables_in(argument.value))
                if node.selection_set is not None:
                    selections(node.selection_set.selections)
            elif isinstance(node, InlineFragmentNode):
                selections(node.selection_set.selections)
            elif isinstance(node, FragmentSpreadNode) and node.name.value not in seen:
                seen.add(node.name.value)
                fragment = fragments.get(node.name.value)
                if fragment is not None:
                    selections(fragment.selection_set.selections)

    selections(nodes)
    return found


def _leaf(type_: GraphQLOutputType, column: ColumnElement[Any], where: str = "") -> Spelled:
    """The SQL spelling of a column as this scalar or enum serializes its Python value."""
    if is_non_null_type(type_) and column.nullable:
        # null would be an error: the Python path reports it
        raise NotRendered("non-null field of a nullable column", where)
    named = get_nullable_type(type_)
    kind = json_sql.column_kind(column)
    if (named, kind) in _AS_STORED:
        return column
    if isinstance(
        named, GraphQLList
    ):  # Terms.combinesWith: the Python path answers, not a fall-off
        raise NotRendered
    if named.name == "DateTime" and kind is ColumnKind.INSTANT:
        return json_sql.iso_instant(column)
    if named.name == "UUID" and kind is ColumnKind.UUID:
        return json_sql.uuid_string(column)
    if is_enum_type(named) and kind is ColumnKind.ENUM_NAME:
        members = json_sql.enum_members(column)
        return json_sql.mapped(column, {m.name: named.serialize(m) for m in members})
    raise NotRendered("scalar without a SQL spelling", where)


# Scalars whose Python value JSON spells as the column holds it.
_AS_STORED = {
    (GraphQLString, ColumnKind.TEXT),
    (GraphQLInt, ColumnKind.INT32),
    (GraphQLBoolean, ColumnKind.BOOLEAN),
}


def enable_rendering(
    ex: PlanExecutionContext, context: Context, cache: dict[Hashable, Any]
) -> None:
    """Lets the lists and lookups of a query render their records (PostgreSQL only, and
    only when `render_in_database` is on)."""
    if renders(context):
        context.renderer = Renderer(ex, context, cache)


def renders(context: Any) -> bool:
    """Whether a request of this app renders records: PostgreSQL, `render_in_database` on."""
    settings = getattr(context, "settings", None)
    return bool(
        settings is not None
        and settings.render_in_database
        and context.db.dialect_name == "postgresql"
    )
