"""The fast path: what makes reads fast without changing what they answer.

The app factory (app.main) is the only importer, and only with `DISCOUNTS_FAST_PATH` on
(the default). Off, none of this package is imported and the service answers the same,
only slower: strawberry's own execution, nodes built in Python, every read through
SQLAlchemy, every request through Starlette's router. The contract (what it may assume, how
its equivalence is tested) is docs/architecture.md's; the private strawberry and
graphql-core names it uses are listed in `app.fast.internals`.

- `executor/`: the breadth-first plan executor (`settings.plan_executor`);
- `batches`: the batch of every field whose source is declared (app.graphql.field_sources);
- `selection`: a quicker check of what a list's selection asks for;
- `rendering` + `json_sql`: records rendered as JSON in PostgreSQL (`render_in_database`);
- `prepared_reads`, `prepared`, `readers`: reads compiled once and sent to asyncpg
  (`prepared_reads`); `prepared_writes`: a checkout transaction's statements likewise;
- `lean_schema`: strawberry's `execute` without its extension machinery;
- `planned_requests`: queries of plain variables without strawberry's per-request setup;
- `lookups`: a lookup by id (`coupon(id:)`, `node(id:)`) answered from a remembered
  statement, without graphql-core's execution;
- `checkout_requests`: validateCode and redeemCode documents answered by their resolver
  without graphql-core's execution;
- `router`: `/graphql` handed to the endpoint without Starlette's router;
- `internals`: the private library names all this relies on, with the versions checked.
"""

from __future__ import annotations

from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette
from starlette.types import ASGIApp

from app.fast import prepared_reads, prepared_writes, sqlite_driver, sqlite_writes
from app.fast.checkout_requests import CheckoutSchema
from app.fast.executor import PlanExecutionContext
from app.fast.lean_schema import LeanSchema
from app.fast.lookups import LookupSchema
from app.fast.router import DiscountsApp
from app.graphql.quiet_schema import QuietSchema
from app.graphql.schema import build_schema
from app.settings import Settings


class FastSchema(CheckoutSchema, LookupSchema, LeanSchema, QuietSchema):
    """The service's schema (quiet: app.graphql.masking) with the lean `execute`, the
    checkout's documents answered without graphql-core's execution, lookups by id from
    remembered statements, queries of plain variables without strawberry's per-request
    setup (`LookupSchema` is a `PlannedSchema`)."""


def fast_schema(settings: Settings, **kwargs: Any) -> strawberry.Schema:
    """`build_schema` with the fast path's execution (the plan executor unless
    `settings.plan_executor` is off)."""
    executor = PlanExecutionContext if settings.plan_executor else None
    return build_schema(
        settings, schema_class=FastSchema, execution_context_class=executor, **kwargs
    )


def fast_application(
    settings: Settings, engine: AsyncEngine, *, graphql: ASGIApp, **starlette: Any
) -> Starlette:
    """The app (Starlette's arguments) with the router bypass, and the prepared reads and
    checkout statements installed on `engine` (unless `settings.prepared_reads` is off), and
    SQLite's statements in one hand-off each (app.fast.sqlite_driver)."""
    sqlite_driver.install(engine)
    if settings.prepared_reads:
        prepared_reads.install(engine)
        prepared_writes.install(engine)
        sqlite_writes.install(engine)
    return DiscountsApp(graphql=graphql, **starlette)


__all__ = ["FastSchema", "fast_application", "fast_schema"]
