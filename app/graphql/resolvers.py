"""`@strawberry.field(...)` and `@strawberry.mutation(...)` over a method resolver, typed.

strawberry types the decorator forms that take arguments as returning Any (0.341's
overloads), so the type checker would read every resolver under them as untyped; its
`resolver=` forms are typed: the class attribute stands for what the resolver returns. These
are the same calls, typed that way.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

import strawberry

T = TypeVar("T")
Resolver = Callable[..., Awaitable[T]]


def field(*, description: str, graphql_type: object = None) -> Callable[[Resolver[T]], T]:
    """`graphql_type`: the field's GraphQL type, where the resolver's Python result is wider
    (a record's object, or the fast path's rendered stand-in for it: app.fast.rendering)."""
    decorate: Callable[[Resolver[T]], T] = strawberry.field(
        description=description, graphql_type=graphql_type
    )
    return decorate


def mutation(*, description: str) -> Callable[[Resolver[T]], T]:
    decorate: Callable[[Resolver[T]], T] = strawberry.mutation(description=description)
    return decorate
