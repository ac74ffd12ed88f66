"""The router bypass: `/graphql` requests handed to the endpoint without Starlette's router."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.applications import Starlette
from starlette.types import ASGIApp, Receive, Scope, Send

from app.observability.requests import RequestObservation

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
        self._graphql: ASGIApp = RequestObservation(graphql)
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
