"""Where a field's value comes from, declared once, with the field.

A relationship field is declared by its source (`RelatedRecord(CustomerByIdLoader,
"customer_id")`, `ChildPages(REDEMPTIONS, "coupon_id")`, ...), and the field makers
(`related_field`, `connection_field`, `terms_field`, ...) make from that one declaration both
the strawberry field, whose resolver is a plain per-parent loader call, and the field's
metadata (`FIELD_SOURCE`), where the declaration stays. The fast path (app/fast, when on)
reads it there: it loads the field for every parent of a response level at once, and renders
it in SQL where it can, from the same declaration; with it off, nothing reads it.

A field without a declared source is still answered (its resolver runs for each parent); the
fast path only leaves it to the standard way.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import strawberry

from app.db.filters import ListSpec

if TYPE_CHECKING:
    from app.graphql.loaders import RecordByIdLoader, RowsByColumnLoader

# The key of a field's source in its strawberry metadata.
FIELD_SOURCE = "discounts.field_source"


@dataclass(frozen=True)
class RelatedRecord:
    """The record `loader` gives for the id the parent holds in `attribute`, or null; or
    only its `column` (e.g. the referrer's UUID)."""

    loader: type[RecordByIdLoader]
    attribute: str
    column: str | None = None

    @property
    def type_name(self) -> str:
        return self.loader.spec.name


@dataclass(frozen=True)
class ChildPages:
    """A page of `spec` records whose `parent_column` holds the parent's id (None: a
    top-level list, whose parent is the query root)."""

    spec: ListSpec
    parent_column: str | None


@dataclass(frozen=True)
class RecordById:
    """A root field: the `type_name` record of the global id in its `id` argument."""

    type_name: str


@dataclass(frozen=True)
class SameRow:
    """An object `make(parent)` builds from the parent's own row (a coupon's Terms): its
    fields are the row's columns of the same name, except those `computed` names: field ->
    (how, column), `how` one of "percent" (basis points as a 2-decimal Decimal), "is_null"
    (a Boolean) and "money" (a currency -> minor units mapping as a list of Money, by
    currency)."""

    make: Callable[[Any], Any]
    computed: tuple[tuple[str, tuple[str, str]], ...]


@dataclass(frozen=True)
class LoadedRows:
    """`build(parent, rows)` of the rows a loader gives: `key(parent)` says which loader
    (one of `loaders`) and which key (the eligible items of a coupon's or a code's Terms)."""

    loaders: tuple[type[RowsByColumnLoader], ...]
    key: Callable[[Any], tuple[type[RowsByColumnLoader], Hashable]]
    build: Callable[[Any, list[Any]], Any]


Source = RelatedRecord | ChildPages | RecordById | SameRow | LoadedRows


def sourced_field(
    source: Source,
    resolver: Callable[..., Awaitable[object]],
    *,
    graphql_type: object,
    description: str,
) -> Any:
    """The strawberry field of `resolver` (one parent at a time), of type `graphql_type`,
    with `source` in its metadata."""
    return strawberry.field(
        resolver=resolver,
        graphql_type=graphql_type,
        description=description,
        metadata={FIELD_SOURCE: source},
    )


def source_of(field: Any) -> Source | None:
    """The declared source of a strawberry field (its definition), if it has one."""
    metadata = getattr(field, "metadata", None)
    return None if not metadata else metadata.get(FIELD_SOURCE)
