"""One metric update and one log line per HTTP request, on both ways in: the router's and
`DiscountsApp`'s direct path to the GraphQL endpoint (app.main).

The endpoint leaves what only it knows in the request's scope state (`operation`, `subject`,
`error_codes`); this middleware, inside `RequestIdMiddleware`, adds the time and the status
when the response starts. Health, readiness and metrics probes are logged at DEBUG: a load
balancer's probe every few seconds would otherwise drown the requests.
"""

from __future__ import annotations

import logging
import time
from typing import Final

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.observability.logs import REQUEST_ID
from app.observability.metrics import LATENCY, REQUESTS

logger = logging.getLogger("app.requests")

PROBES: Final = frozenset({"/healthz", "/readyz", "/metrics"})
ROUTES: Final = frozenset({"/graphql", "/", *PROBES})
ASSETS_PREFIX: Final = "/graphiql/"


def route_of(path: str) -> str:
    """The label for a path: its route, never the path itself (unbounded)."""
    if path in ROUTES:
        return path
    if path.startswith(ASSETS_PREFIX):
        return "/graphiql"
    return "other"


class RequestObservation:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        state = scope.setdefault("state", {})
        request_id = state.get("request_id")
        token = REQUEST_ID.set(request_id)
        status = 500  # what the server answers when the app raised before responding

        async def send_observed(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                _observe(scope, state, status, time.perf_counter() - started)
            await send(message)

        try:
            await self.app(scope, receive, send_observed)
        except BaseException:
            if "observed" not in state:
                _observe(scope, state, status, time.perf_counter() - started)
            raise
        finally:
            REQUEST_ID.reset(token)


def _observe(scope: Scope, state: dict, status: int, seconds: float) -> None:  # type: ignore[type-arg]
    state["observed"] = True
    path = scope["path"]
    route = route_of(path)
    operation = state.get("operation", "")
    error_codes = state.get("error_codes", ())
    outcome = "ok" if status < 400 and not error_codes else "error"
    REQUESTS.labels(route, operation, str(status), outcome).inc()
    LATENCY.labels(route, operation).observe(seconds)
    level = logging.DEBUG if route in PROBES else logging.INFO
    if logger.isEnabledFor(level):
        logger.log(
            level,
            "%s %s %s %.1f ms",
            scope["method"],
            path,
            status,
            seconds * 1000,
            extra={
                "request_id": state.get("request_id"),
                "method": scope["method"],
                "path": path,
                "operation": operation or None,
                "status": status,
                "duration_ms": round(seconds * 1000, 3),
                "subject": state.get("subject"),
                "error_codes": list(error_codes) or None,
            },
        )
