"""The ASGI application: `create_app(settings)` wires routes, the schema, the engine and lifespan."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import strawberry
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.responses import RedirectResponse
from starlette.routing import Route

from app.auth import TokenVerifier
from app.db.engine import create_engine
from app.db.migrate import upgrade
from app.graphql.http import GraphQLEndpoint, health
from app.graphql.rate_limit import FailedAttemptLimiter
from app.graphql.request_id import RequestIdMiddleware
from app.graphql.schema import build_schema
from app.services import Services
from app.settings import Settings


def create_app(
    settings: Settings | None = None, *, schema: strawberry.Schema | None = None
) -> Starlette:
    """The app; `schema` replaces `build_schema(settings)` (tests add failing fields)."""
    settings = settings or Settings()
    # Built first: in production this refuses to start without a proper key.
    verifier = TokenVerifier.from_settings(settings)
    engine = create_engine(settings)
    services = Services(engine)
    schema = schema or build_schema(settings, plan_executor=settings.plan_executor)
    graphql = GraphQLEndpoint(
        schema, settings=settings, engine=engine, verifier=verifier, services=services
    )

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        if settings.migrate_on_start:
            await upgrade(engine)
        yield
        await engine.dispose()

    app = Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            Route("/healthz", health),
            Route("/", lambda _request: RedirectResponse("/graphql")),
        ],
        middleware=[Middleware(RequestIdMiddleware)],
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.schema = schema
    # Failed code lookups per caller (validateCode, redeemCode): see app.graphql.rate_limit.
    app.state.failed_code_attempts = FailedAttemptLimiter.from_settings(settings)
    return app
