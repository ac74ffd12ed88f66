"""The schema: every query and mutation, the scalars, and the extensions every request runs."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.schema.config import StrawberryConfig

import app.graphql.types  # noqa: F401  (registers every record type)
from app.graphql.checkout import EngineMutation, EngineQuery
from app.graphql.checkout.stacking import StackingMutation, StackingQuery
from app.graphql.events import EventQuery
from app.graphql.limits import DocumentCache, query_checks
from app.graphql.mutations import WRITE_MUTATIONS
from app.graphql.queries import ReadQuery
from app.graphql.quiet_schema import QuietSchema
from app.graphql.scalars import SCALARS
from app.graphql.subscriptions import EventSubscription
from app.graphql.types import (  # noqa: F401  (importing them registers every record type)
    assignment,
    coupon,
    coupon_code,
    customer,
    discount_code,
    organisation,
    redemption,
    site,
)
from app.graphql.types.base import NODE_TYPES
from app.graphql.webhooks import WebhookMutation, WebhookQuery
from app.settings import Settings

QUERY_TYPES: tuple[type, ...] = (ReadQuery, EngineQuery, StackingQuery, EventQuery, WebhookQuery)
MUTATION_TYPES: tuple[type, ...] = (
    *WRITE_MUTATIONS,
    EngineMutation,
    StackingMutation,
    WebhookMutation,
)
SUBSCRIPTION_TYPES: tuple[type, ...] = (EventSubscription,)


def _root(name: str, parts: tuple[type, ...], description: str) -> type:
    return strawberry.type(type(name, parts, {}), description=description)


def build_schema(
    settings: Settings | None = None,
    *,
    extra_query_types: tuple[type, ...] = (),
    extra_extensions: tuple[Any, ...] = (),
    schema_class: type[QuietSchema] = QuietSchema,
    execution_context_class: type | None = None,
) -> QuietSchema:
    """The schema with the query limits of `settings` (the SDL does not depend on them).

    `extra_query_types` adds query fields (tests use it for resolvers that fail on purpose).
    `schema_class` and `execution_context_class` are how the fast path (`app.fast.schema`)
    runs operations its own way; the defaults are strawberry's execution.
    """
    settings = settings or Settings()
    query = _root(
        "Query",
        (*QUERY_TYPES, *extra_query_types),
        "Reads: records by id or code, lists with filters and keyset pages, code checks.",
    )
    mutation = (
        _root("Mutation", MUTATION_TYPES, "Writes: each answers with the record and userErrors.")
        if MUTATION_TYPES
        else None
    )
    subscription = _root(
        "Subscription", SUBSCRIPTION_TYPES, "Pushed over WebSocket (graphql-transport-ws)."
    )
    documents = DocumentCache(settings.max_tokens)
    schema = schema_class(
        query=query,
        mutation=mutation,
        subscription=subscription,
        types=[cls for cls, _ in NODE_TYPES.values()],
        # Factories, never instances: strawberry builds them per request. One extension does
        # every check before execution (parse with the token limit, validation with the depth
        # and alias limits, cost, NUL), caching per document what depends on its text alone:
        # strawberry's per-request cost grows with each extension (app.graphql.limits).
        extensions=[query_checks(settings, documents), *extra_extensions],
        execution_context_class=execution_context_class,
        config=StrawberryConfig(
            auto_camel_case=True,
            scalar_map=SCALARS,
        ),
    )
    # The prepared documents of this schema (tests look at its hits and misses).
    schema.document_cache = documents
    return schema


def schema_sdl(schema: strawberry.Schema) -> str:
    """The committed `schema.graphql`: the SDL with a trailing newline."""
    return schema.as_str().rstrip() + "\n"
