"""The ASGI application: `create_app(settings)` wires routes, the schema, the engine and lifespan."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from types import ModuleType
from typing import Any

import strawberry
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.responses import RedirectResponse
from starlette.routing import BaseRoute, Route, WebSocketRoute

from app.auth import TokenVerifier
from app.db.engine import create_engine
from app.db.event_notify import settle as settle_notifications
from app.db.migrate import upgrade
from app.graphql.schema import build_schema
from app.http.endpoint import GraphQLEndpoint
from app.http.graphiql import graphiql_assets
from app.http.shared_rate_limit import failed_attempt_limiter
from app.http.websocket import SubscriptionEndpoint
from app.observability.logs import configure_logging
from app.observability.probes import healthz, metrics, readyz
from app.observability.requests import RequestObservation
from app.observability.tracing import instrument
from app.runtime import tune_garbage_collector
from app.services import Services
from app.settings import Settings, settings_from_environment
from app.startup import check_database, refuse_to_start

GRAPHQL_PATH = "/graphql"


def create_app(
    settings: Settings | None = None,
    *,
    schema: strawberry.Schema | None = None,
    extra_query_types: tuple[type, ...] = (),
    extra_extensions: tuple[Any, ...] = (),
) -> Starlette:
    """The app; `schema` replaces the one built from `settings`, and `extra_query_types`
    and `extra_extensions` add to that one (tests add failing fields and extensions).

    Without `settings` (uvicorn's call, `--factory`), they come from the environment, and the
    process refuses to start, in two lines, on a bad value, a missing key or a database it
    cannot reach (`app.startup`).
    """
    if settings is None:
        with refuse_to_start("discounts"):
            settings = settings_from_environment()
            configure_logging(settings.log_format, settings.log_level)
            app = create_app(
                settings,
                schema=schema,
                extra_query_types=extra_query_types,
                extra_extensions=extra_extensions,
            )
            check_database(settings)
        return app
    # Built first: in production this refuses to start without a proper key.
    verifier = TokenVerifier.from_settings(settings)
    engine = create_engine(settings, notifies_events=True)
    services = Services(engine, events=settings.events)
    fast: ModuleType | None = None
    if settings.fast_path:
        # The fast path (app.fast, docs/architecture.md): imported here only, and only on.
        import app.fast as fast
    if schema is None:
        make_schema = build_schema if fast is None else fast.fast_schema
        schema = make_schema(
            settings, extra_query_types=extra_query_types, extra_extensions=extra_extensions
        )
    # Failed code lookups per caller (validateCode, redeemCode): see app.http.rate_limit.
    # Each request's context carries it to the engine's resolvers.
    failed_code_attempts = failed_attempt_limiter(settings)
    graphql = GraphQLEndpoint(
        schema,
        settings=settings,
        engine=engine,
        verifier=verifier,
        services=services,
        failed_code_attempts=failed_code_attempts,
    )

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        if settings.migrate_on_start:
            await upgrade(engine)
        tune_garbage_collector()
        yield
        await failed_code_attempts.close()
        await settle_notifications(engine)
        await engine.dispose()

    routes: list[BaseRoute] = [
        Route(GRAPHQL_PATH, graphql, methods=["GET", "POST"]),
        # Subscriptions (graphql-transport-ws): app.http.websocket.
        WebSocketRoute(
            GRAPHQL_PATH,
            SubscriptionEndpoint(
                schema, settings=settings, engine=engine, verifier=verifier, services=services
            ),
        ),
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/metrics", metrics),
        Route("/", lambda _request: RedirectResponse("/graphql")),
    ]
    if settings.graphiql:
        routes.append(graphiql_assets())
    starlette: dict[str, Any] = {
        "routes": routes,
        "middleware": [Middleware(RequestObservation)],
        "lifespan": lifespan,
    }
    app = (
        Starlette(**starlette)
        if fast is None
        else fast.fast_application(settings, engine, graphql=graphql, **starlette)
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.schema = schema
    app.state.failed_code_attempts = failed_code_attempts
    if settings.tracing:
        instrument(app, engine)
    return app
