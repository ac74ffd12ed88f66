"""DISCOUNTS_TRACING=true: a span per request with the SQL under it, on the direct path to
/graphql as on the router's."""

from __future__ import annotations

from typing import Any

import httpx
from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from app.main import create_app
from app.observability.tracing import instrument
from app.settings import Settings


async def test_a_request_and_its_statements_are_traced(
    settings: Settings, db: Any, admin_token: str
) -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    app = create_app(settings)  # tracing off: nothing is wrapped
    instrument(app, app.state.engine, tracer_provider=provider)
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            response = await http.post(
                "/graphql",
                json={"query": "{ coupons { totalCount } }"},
                headers={"authorization": f"Bearer {admin_token}"},
            )
            assert response.status_code == 200 and "errors" not in response.json()
            assert (await http.get("/readyz")).status_code == 200
    finally:
        await app.state.engine.dispose()
        if AsyncPGInstrumentor().is_instrumented_by_opentelemetry:
            AsyncPGInstrumentor().uninstrument()
    spans = exporter.get_finished_spans()
    servers = [s for s in spans if s.kind is SpanKind.SERVER]
    routes = {s.attributes.get("http.route") or s.name for s in servers}
    # the fast path's direct way to /graphql names its span "POST /graphql"; Starlette's
    # router (the fast path off) gives the route
    assert "/readyz" in routes and routes & {"POST /graphql", "/graphql"}, routes
    graphql = next(s for s in servers if "graphql" in s.name)
    statements = [s for s in spans if s.kind is SpanKind.CLIENT and "db.system" in "".join(
        s.attributes or {})]  # fmt: skip
    assert any(s.context.trace_id == graphql.context.trace_id for s in statements), [
        (s.name, s.kind, dict(s.attributes or {})) for s in spans
    ]


def test_tracing_is_off_unless_asked_for() -> None:
    assert Settings().tracing is False
