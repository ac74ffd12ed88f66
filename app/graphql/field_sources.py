"""What a relationship resolver reads, declared beside it, for rendering nodes in SQL.

A resolver is code: `app.fast.rendering` cannot look inside it. The field makers
(`related_field`, `connection_field`, ...) declare here, for the resolver they make, the
rows it reads, so that the renderer can read the same rows in SQL. A resolver declared
nowhere keeps its subtree out of SQL rendering.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from app.db.filters import ListSpec


@dataclass(frozen=True)
class RelatedRecord:
    """The `type_name` record whose id the parent holds in `attribute` (or null)."""

    type_name: str
    attribute: str
    # A column of that record instead of the record itself (e.g. the referrer's UUID).
    column: str | None = None


@dataclass(frozen=True)
class ChildPages:
    """A page of `spec` records whose `parent_column` holds the parent's id (None: a
    top-level list, whose parent is the query root)."""

    spec: ListSpec
    parent_column: str | None


@dataclass(frozen=True)
class SameRow:
    """An object made from the parent's own row (a coupon's Terms): its fields are the row's
    columns of the same name, except those `computed` names: field -> (how, column), `how`
    one of "percent" (basis points as a 2-decimal Decimal), "is_null" (a Boolean) and
    "money" (a currency -> minor units mapping as a list of Money, by currency)."""

    computed: tuple[tuple[str, tuple[str, str]], ...]


Source = RelatedRecord | ChildPages | SameRow

SOURCES: dict[Callable[..., Any], Source] = {}


def declare(resolver: Callable[..., Any], source: Source) -> Callable[..., Any]:
    SOURCES[resolver] = source
    return resolver


def source_of(resolver: Callable[..., Any] | None) -> Source | None:
    return None if resolver is None else SOURCES.get(resolver)
