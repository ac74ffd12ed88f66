"""`/healthz`, `/readyz` and `/metrics`.

- `/healthz`: the process lives and its event loop answers (200, nothing else checked), for
  a liveness probe: a database outage must not get every instance restarted.
- `/readyz`: the database answers within `DISCOUNTS_READINESS_TIMEOUT_SECONDS` and its
  migrations are at this code's head (200), else 503 with what is wrong, for a readiness
  probe, a load balancer, Docker's HEALTHCHECK: an instance that cannot serve gets no traffic.
- `/metrics`: Prometheus' text format (app.observability.metrics).
"""

from __future__ import annotations

import orjson
from starlette.requests import Request
from starlette.responses import Response

from app.db.health import connections_in_use, readiness
from app.observability.metrics import exposition

NO_STORE = {"cache-control": "no-store"}


async def healthz(_request: Request) -> Response:
    return Response(b'{"status":"ok"}', media_type="application/json", headers=NO_STORE)


async def readyz(request: Request) -> Response:
    state = request.app.state
    found = await readiness(state.engine, state.settings.readiness_timeout_seconds)
    body: dict[str, object] = {
        "status": "ready" if found.ready else "unavailable",
        "migrations": {"current": list(found.current), "head": list(found.head)},
    }
    if found.problem is not None:
        body["problem"] = found.problem
    return Response(
        orjson.dumps(body),
        status_code=200 if found.ready else 503,
        media_type="application/json",
        headers=NO_STORE,
    )


async def metrics(request: Request) -> Response:
    body, content_type = exposition(connections_in_use(request.app.state.engine))
    return Response(body, headers={"content-type": content_type, **NO_STORE})
