"""The schema: every query and mutation, the scalars, and the extensions every request runs."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.extensions import ParserCache, ValidationCache
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types

import app.graphql.types  # noqa: F401  (registers every record type)
from app.graphql.queries import ReadQuery
from app.graphql.types.base import NODE_TYPES

QUERY_TYPES: tuple[type, ...] = (ReadQuery,)
MUTATION_TYPES: tuple[type, ...] = ()


def build_schema(extra_extensions: tuple[Any, ...] = ()) -> strawberry.Schema:
    query = merge_types("Query", QUERY_TYPES)
    mutation = merge_types("Mutation", MUTATION_TYPES) if MUTATION_TYPES else None
    return strawberry.Schema(
        query=query,
        mutation=mutation,
        types=[cls for cls, _ in NODE_TYPES.values()],
        extensions=[
            lambda: ParserCache(maxsize=1024),
            lambda: ValidationCache(maxsize=1024),
            *extra_extensions,
        ],
        config=StrawberryConfig(auto_camel_case=True),
    )
