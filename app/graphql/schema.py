"""The schema: every query and mutation, the scalars, and the extensions every request runs."""

from __future__ import annotations

import uuid
from typing import Any

import strawberry
from strawberry.extensions import ParserCache, ValidationCache
from strawberry.schema.config import StrawberryConfig

import app.graphql.types  # noqa: F401  (registers every record type)
from app.graphql.queries import ReadQuery
from app.graphql.types.base import NODE_TYPES

QUERY_TYPES: tuple[type, ...] = (ReadQuery,)
MUTATION_TYPES: tuple[type, ...] = ()


UUID_SCALAR = strawberry.scalar(
    name="UUID",
    description="A UUID in its canonical text form (8-4-4-4-12 hexadecimal digits).",
    serialize=str,
    parse_value=lambda value: uuid.UUID(str(value)),
)


def _root(name: str, parts: tuple[type, ...], description: str) -> type:
    return strawberry.type(type(name, parts, {}), description=description)


def build_schema(extra_extensions: tuple[Any, ...] = ()) -> strawberry.Schema:
    query = _root(
        "Query",
        QUERY_TYPES,
        "Reads: records by id or code, lists with filters and keyset pages, code checks.",
    )
    mutation = (
        _root("Mutation", MUTATION_TYPES, "Writes: each answers with the record and userErrors.")
        if MUTATION_TYPES
        else None
    )
    return strawberry.Schema(
        query=query,
        mutation=mutation,
        types=[cls for cls, _ in NODE_TYPES.values()],
        extensions=[
            lambda: ParserCache(maxsize=1024),
            lambda: ValidationCache(maxsize=1024),
            *extra_extensions,
        ],
        config=StrawberryConfig(auto_camel_case=True, scalar_map={uuid.UUID: UUID_SCALAR}),
    )


def schema_sdl(schema: strawberry.Schema) -> str:
    """The committed `schema.graphql`: the SDL with a trailing newline."""
    return schema.as_str().rstrip() + "\n"
