"""The ASGI application: `create_app(settings)` wires routes, the schema, the engine and lifespan."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

import strawberry
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.responses import RedirectResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from app.auth import TokenVerifier
from app.db.engine import create_engine
from app.db.migrate import upgrade
from app.graphql.schema import build_schema
from app.http.endpoint import GraphQLEndpoint
from app.http.graphiql import graphiql_assets
from app.http.shared_rate_limit import failed_attempt_limiter
from app.observability.logs import configure_logging
from app.observability.probes import healthz, metrics, readyz
from app.observability.requests import RequestObservation
from app.observability.tracing import instrument
from app.runtime import tune_garbage_collector
from app.services import Services
from app.settings import Settings, settings_from_environment
from app.startup import check_database, refuse_to_start

GRAPHQL_PATH = "/graphql"
# The route's methods (Starlette adds HEAD to GET routes); any other goes through the router,
# which answers 405 with `Allow`.
GRAPHQL_METHODS = frozenset({"GET", "HEAD", "POST"})


class DiscountsApp(Starlette):
    """Starlette, with the GraphQL endpoint's requests handed to it directly.

    Every request to `/graphql` would otherwise pass Starlette's error middleware, its
    exception middleware and the router's path matching before reaching the endpoint: about
    4 % of the CPU time of a small query. The endpoint needs none of them: it answers every
    failure itself (masked, see `app.http.endpoint`), raises no HTTP exceptions and takes no
    path parameters. It still runs under `RequestObservation` (its request id, metrics and log
    line), as every route does. Anything else (other paths and methods, a `root_path`,
    lifespan) goes through Starlette as before.
    """

    def __init__(self, *, graphql: ASGIApp, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._graphql = RequestObservation(graphql)
        self._graphql_endpoint = graphql

    def wrap_graphql(self, wrap: Callable[[ASGIApp], ASGIApp]) -> None:
        """Puts `wrap` around the direct path to the endpoint, as `add_middleware` does
        around the router (tracing: app.observability.tracing)."""
        self._graphql = wrap(self._graphql)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["path"] == GRAPHQL_PATH
            and scope["method"] in GRAPHQL_METHODS
            and not scope.get("root_path")
        ):
            # What the router would have added to the scope.
            scope["app"] = self
            scope["router"] = self.router
            scope["endpoint"] = self._graphql_endpoint
            scope["path_params"] = {}
            await self._graphql(scope, receive, send)
            return
        await super().__call__(scope, receive, send)


def create_app(
    settings: Settings | None = None, *, schema: strawberry.Schema | None = None
) -> Starlette:
    """The app; `schema` replaces `build_schema(settings)` (tests add failing fields).

    Without `settings` (uvicorn's call, `--factory`), they come from the environment, and the
    process refuses to start, in two lines, on a bad value, a missing key or a database it
    cannot reach (`app.startup`).
    """
    if settings is None:
        with refuse_to_start("discounts"):
            settings = settings_from_environment()
            configure_logging(settings.log_format, settings.log_level)
            app = create_app(settings, schema=schema)
            check_database(settings)
        return app
    # Built first: in production this refuses to start without a proper key.
    verifier = TokenVerifier.from_settings(settings)
    engine = create_engine(settings)
    services = Services(engine)
    schema = schema or build_schema(settings, plan_executor=settings.plan_executor)
    graphql = GraphQLEndpoint(
        schema, settings=settings, engine=engine, verifier=verifier, services=services
    )
    # Failed code lookups per caller (validateCode, redeemCode): see app.http.rate_limit.
    failed_code_attempts = failed_attempt_limiter(settings)

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        if settings.migrate_on_start:
            await upgrade(engine)
        tune_garbage_collector()
        yield
        await failed_code_attempts.close()
        await engine.dispose()

    routes = [
        Route(GRAPHQL_PATH, graphql, methods=["GET", "POST"]),
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/metrics", metrics),
        Route("/", lambda _request: RedirectResponse("/graphql")),
    ]
    if settings.graphiql:
        routes.append(graphiql_assets())
    app = DiscountsApp(
        graphql=graphql,
        routes=routes,
        middleware=[Middleware(RequestObservation)],
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.schema = schema
    app.state.failed_code_attempts = failed_code_attempts
    if settings.tracing:
        instrument(app, engine)
    return app
