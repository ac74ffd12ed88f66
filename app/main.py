"""The ASGI application: `create_app(settings)` wires routes, the schema, the engine and lifespan."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.responses import RedirectResponse
from starlette.routing import Route

from app.auth import TokenVerifier
from app.db.engine import create_engine
from app.db.migrate import upgrade
from app.graphql.http import DiscountGraphQL, ReleaseRequestDatabase, health
from app.graphql.schema import build_schema
from app.services import Services
from app.settings import Settings


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or Settings()
    # Built first: in production this refuses to start without a proper key.
    verifier = TokenVerifier.from_settings(settings)
    engine = create_engine(settings)
    services = Services(engine)
    schema = build_schema(extra_extensions=(ReleaseRequestDatabase,))
    graphql = DiscountGraphQL(
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
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.schema = schema
    return app
