"""Connection fields: the one resolver behind every list, top-level or nested.

`connection_field(spec, node, parent_column=...)` makes a strawberry field with the Relay
arguments, the list's filter and order inputs and `trashed`, its source declared
(`ChildPages`). Top-level lists run one keyset query; nested lists batch every parent's page
into one statement through a dataloader (`PageByParentLoader`).
"""

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Protocol, cast

import strawberry
from strawberry.types.nodes import SelectedField, Selection

from app.auth.roles import Action
from app.db.filters import ListSpec, Trashed, any_of, conditions_sql, trashed_condition
from app.db.handles import Clause, Record, Table
from app.db.paging import Ordering, PageWants, ReadColumns, Window, fetch_page
from app.db.tenancy import scope_condition
from app.graphql.access import Access
from app.graphql.context import Info
from app.graphql.field_sources import ChildPages, sourced_field
from app.graphql.filter_inputs import FILTERS, ORDERS, to_conditions
from app.graphql.pagination import (
    After,
    Before,
    Connection,
    First,
    Last,
    ordering_from,
    page_window,
    to_connection,
)
from app.graphql.trashed import effective_trashed, response_path
from app.graphql.types.base import NODE_TYPES, build_for
from app.settings import Settings


class Parent(Protocol):
    """An object of the API a nested list hangs under."""

    @property
    def db_id(self) -> int: ...


def selects(info: Info, *path: str) -> bool:
    """Whether the current field's selection asks for the field at `path` (names, one per
    level, directly or in fragments). `@skip`/`@include` are not looked at: a field they
    leave out may be computed for nothing, never the reverse."""
    faster = info.context.selects  # the fast path's, when on (app.fast.selection)
    if faster is not None:
        return faster(info, path)
    return _selects(info.selected_fields, path)


# Module functions, not closures: a recursive closure is a reference cycle, garbage that only
# the collector frees (several per list field and request).
def _selects(fields: Sequence[Selection], path: tuple[str, ...]) -> bool:
    children = [
        child for field in fields for child in _fields(field.selections) if child.name == path[0]
    ]
    return bool(children) and (len(path) == 1 or _selects(children, path[1:]))


def _fields(selections: Iterable[Selection]) -> Iterator[SelectedField]:
    """strawberry's selections (`info.selected_fields`): fields, fragments' fields."""
    for selection in selections:
        if isinstance(selection, SelectedField):
            yield selection
        else:  # an inline fragment or a fragment spread
            yield from _fields(selection.selections)


def page_wants(info: Info) -> PageWants:
    """What of a page the selection shows beyond its rows."""
    edges = selects(info, "edges")
    return PageWants(
        cursors=edges or selects(info, "pageInfo"),
        edges=edges,
        total=selects(info, "totalCount"),
        # the flag of the side away from the cursor: hasNextPage comes free with the rows
        before=selects(info, "pageInfo", "hasPreviousPage"),
        after=selects(info, "pageInfo", "hasNextPage"),
    )


def _readable(access: Access) -> Callable[[Table], list[Clause]]:
    """The rows of a related table the caller may read (what its nested field would show)."""
    types = {spec.table.name: name for name, (_cls, spec) in NODE_TYPES.items()}

    def where(table: Table) -> list[Clause]:
        return scope_condition(table, access.scope(types[table.name], Action.READ))

    return where


def _where(
    info: Info, spec: ListSpec, filter_input: object
) -> tuple[Callable[[], list[Clause]], str]:
    """The filter's conditions, as a function that writes their SQL (only a statement not
    yet prepared needs it), and the key that stands for them."""
    conditions, or_groups = to_conditions(spec, filter_input)
    access = info.context.access  # not `info`: loaders keep this function (no cycle)

    def where() -> list[Clause]:
        readable = _readable(access)
        written = conditions_sql(spec, conditions, readable)
        for alternatives in or_groups:
            written.append(any_of([conditions_sql(spec, a, readable) for a in alternatives]))
        return written

    return where, repr((conditions, or_groups))


@dataclass(frozen=True)
class ListArguments:
    """The arguments of a list field (see `connection_field`)."""

    first: int | None = None
    after: str | None = None
    last: int | None = None
    before: str | None = None
    # Instances of the list's filter and order inputs (app.graphql.filter_inputs), made for
    # each list at run time; `to_conditions` and `to_ordering` read them.
    filter: object = None
    order_by: object = None
    trashed: Trashed | None = None


async def resolve_list(
    info: Info,
    spec: ListSpec,
    build: Callable[[Record], object],
    arguments: ListArguments,
    *,
    extra_where: tuple[Clause, ...] = (),
    action: Action = Action.LIST,
) -> Connection[Any]:  # of what `build` makes, or of JSON rendered in place (app.fast)
    """A page of a top-level list of `spec` records. `action` is List, or Read for a lookup of
    one record by its key; the page holds only the sites where the caller has it."""
    context = info.context
    if extra_where:
        ordering, window, where, where_key = prepare_list(info, spec, arguments)
        wants = page_wants(info)
    else:
        ordering, window, where, where_key, wants = _planned_list(info, spec, arguments)
    chosen = effective_trashed(info, arguments.trashed)
    scope = context.access.require_scope(spec.name, action)
    columns, build, builds_edges = _read(info, spec, chosen, ordering, build)
    # What the statement's conditions and columns depend on, when nothing else adds to them:
    # the caller too, whose scope on related records shapes filters through relationships.
    shape = None if extra_where else (chosen, context.principal, where_key, columns)
    page = await fetch_page(
        context.db,
        spec.table,
        columns,
        lambda: [
            *trashed_condition(spec.table, chosen),
            *scope_condition(spec.table, scope),
            *where(),
            *extra_where,
        ],
        ordering,
        window,
        wants,
        shape,
    )
    return to_connection(
        page, ordering, build, cursors=wants.cursors, edges=wants.edges, builds_edges=builds_edges
    )


async def resolve_pages(
    parents: Sequence[Parent],
    info: Info,
    spec: ListSpec,
    build: Callable[[Record], object],
    parent_column: str,
    arguments: ListArguments,
) -> list[Connection[object]]:
    """The same page of `spec` records under each parent (their `db_id` in `parent_column`)."""
    context = info.context
    # Every parent at this response path asks the same question (same arguments, same
    # variables): it is prepared once, also when the standard executor asks one parent at a
    # time, and the parents' ids meet in one loader batch.
    key = response_path(info)
    prepared = context.prepared_lists.get(key)
    if prepared is None:
        ordering, window, where, where_key = prepare_list(info, spec, arguments)
        chosen = effective_trashed(info, arguments.trashed)
        wants = page_wants(info)
        columns, build, builds_edges = _read(info, spec, chosen, ordering, build)
        loader = context.loaders.page_by_parent(
            spec, parent_column, chosen, where, where_key, ordering, window, wants, columns
        )
        prepared = context.prepared_lists[key] = (ordering, loader, wants, build, builds_edges)
    ordering, loader, wants, build, builds_edges = prepared
    pages = await loader.load_all([parent.db_id for parent in parents])
    cursors, edges = wants.cursors, wants.edges
    return [
        to_connection(
            page, ordering, build, cursors=cursors, edges=edges, builds_edges=builds_edges
        )
        for page in pages
    ]


def _read(
    info: Info,
    spec: ListSpec,
    trashed: Trashed,
    ordering: Ordering,
    build: Callable[[Record], object],
) -> tuple[ReadColumns, Callable[[Record], object], bool]:
    """The columns a list reads, how its rows become nodes (or, third, whether they become
    whole edges): every column and `build`, or, when the nodes are rendered in the database
    (see `app.fast.rendering`), the columns of the cursor and each node's (or edge's) JSON."""
    renderer = info.context.renderer
    rendered = None if renderer is None else renderer.list_read(info, spec, trashed, ordering)
    return (tuple(spec.table.c), build, False) if rendered is None else rendered


class _ListPlan:
    """What a top-level list's page takes from its document, its caller and its arguments
    other than the cursors: worked out once and kept with the document (`Context.list_plans`).
    The filter and order inputs are matched by identity: the plan executor hands the
    requests that pass the same values the same converted objects (`Run.call_batch`), and
    the plan holds them, so an id is never another object's while it is kept."""

    __slots__ = ("filter", "order_by", "ordering", "wants", "where", "where_key")

    def __init__(
        self, arguments: ListArguments, ordering: Ordering, where: Callable[[], list[Clause]],
        where_key: str, wants: PageWants,
    ) -> None:  # fmt: skip
        self.filter = arguments.filter
        self.order_by = arguments.order_by
        self.ordering = ordering
        self.where = where
        self.where_key = where_key
        self.wants = wants


# Plans kept per document (its lists, callers, filters); past this many they start again.
LIST_PLANS = 64


def _planned_list(
    info: Info, spec: ListSpec, arguments: ListArguments
) -> tuple[Ordering, Window, Callable[[], list[Clause]], str, PageWants]:
    """`prepare_list` and `page_wants` for a top-level list, from its document's plan when
    one was made before: only the window (the cursors) is worked out per request."""
    context = info.context
    plans = context.list_plans
    if plans is None:
        return (*prepare_list(info, spec, arguments), page_wants(info))
    key = (
        response_path(info), spec.name, context.principal, id(arguments.filter),
        id(arguments.order_by),
    )  # fmt: skip
    plan: _ListPlan | None = plans.get(key)
    if (
        plan is None
        or plan.filter is not arguments.filter
        or plan.order_by is not arguments.order_by
    ):
        ordering, window, where, where_key = prepare_list(info, spec, arguments)
        wants = page_wants(info)
        if len(plans) >= LIST_PLANS:
            plans.clear()
        plans[key] = _ListPlan(arguments, ordering, where, where_key, wants)
        return ordering, window, where, where_key, wants
    window = _window(plan.ordering, arguments, context.settings)
    return plan.ordering, window, plan.where, plan.where_key, plan.wants


def _window(ordering: Ordering, arguments: ListArguments, settings: Settings) -> Window:
    return page_window(
        first=arguments.first,
        after=arguments.after,
        last=arguments.last,
        before=arguments.before,
        ordering=ordering,
        default_size=settings.default_page_size,
        max_size=settings.max_page_size,
    )


def prepare_list(
    info: Info, spec: ListSpec, arguments: ListArguments
) -> tuple[Ordering, Window, Callable[[], list[Clause]], str]:
    ordering = ordering_from(arguments.order_by, spec.sort_columns)
    window = _window(ordering, arguments, info.context.settings)
    where, where_key = _where(info, spec, arguments.filter)
    return ordering, window, where, where_key


def connection_field(
    spec: ListSpec,
    node: Any,
    *,
    description: str,
    parent_column: str | None = None,
) -> Any:
    """A strawberry field listing `spec` records as a `Connection[node]`."""
    Filter, Order = FILTERS[spec.name], ORDERS[spec.name]
    trashed_default = Trashed.WITHOUT if parent_column is None else None
    trashed_help = (
        "Soft-deleted records: WITHOUT (default), WITH or ONLY; holds for every nested list."
        if parent_column is None
        else "Soft-deleted records; by default the choice of the enclosing field."
    )

    source = ChildPages(spec, parent_column)

    async def page(
        root: object,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        filter: Annotated[
            object,
            strawberry.argument(
                description="Conditions the records must meet.", graphql_type=Filter | None
            ),
        ] = None,
        order_by: Annotated[
            object,
            strawberry.argument(
                description="Sort order (default: by id, ascending).", graphql_type=Order | None
            ),
        ] = None,
        trashed: Annotated[
            Trashed | None, strawberry.argument(description=trashed_help)
        ] = trashed_default,
    ) -> Any:
        arguments = ListArguments(first, after, last, before, filter, order_by, trashed)
        (connection,) = await resolve_connections([root], info, source, arguments)
        return connection

    return sourced_field(
        source,
        page,
        graphql_type=Connection[node],
        description=description,
    )


def nested_list(spec: ListSpec, *, parent_column: str, description: str) -> Any:
    """`connection_field` for the `spec` records under each parent (those holding its id in
    `parent_column`), of `spec`'s API type, named lazily: the record types' modules
    (app.graphql.types.<snake_case name>) refer to each other."""
    name = spec.name
    module = "app.graphql.types." + re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()
    # The node's name is known at run time only (mypy wants a literal forward reference).
    node = Annotated[name, strawberry.lazy(module)]  # type: ignore[valid-type]
    return connection_field(spec, node, parent_column=parent_column, description=description)


async def resolve_connections(
    parents: Sequence[object], info: Info, source: ChildPages, arguments: ListArguments
) -> list[Connection[object]]:
    """The connection of `source` under each parent (one page request for them all)."""
    build = build_for(source.spec.name)
    if source.parent_column is None:  # a top-level list: its one parent is the query root
        return [await resolve_list(info, source.spec, build, arguments) for _ in parents]
    under = cast("Sequence[Parent]", parents)  # records of the API, under a nested list
    return await resolve_pages(under, info, source.spec, build, source.parent_column, arguments)
