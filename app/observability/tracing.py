"""OpenTelemetry traces, when `DISCOUNTS_TRACING=true`: a span per HTTP request (Starlette's
instrumentation, and the same middleware on the fast path's direct path to /graphql,
`DiscountsApp`, which Starlette's middleware never sees) with the SQL statements under it
(SQLAlchemy's, and asyncpg's for the prepared reads that bypass SQLAlchemy).

Off by default and an optional extra (`pip install 'discount-service[tracing]'`; scripts/install
installs it): nothing is imported, wrapped or exported otherwise. Spans go over OTLP/HTTP to
where the standard variables say (`OTEL_EXPORTER_OTLP_ENDPOINT`, default
http://localhost:4318; `OTEL_SERVICE_NAME`, default discount-service).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette

from app.settings import SettingsError

if TYPE_CHECKING:  # the extra's modules are imported only when tracing is on
    from opentelemetry.sdk.trace import TracerProvider

SERVICE_NAME = "discount-service"


def instrument(
    app: Starlette, engine: AsyncEngine, tracer_provider: TracerProvider | None = None
) -> TracerProvider:
    """Traces `app`'s requests and `engine`'s statements; the tracer provider used."""
    try:
        from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware
        from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor
        from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor
        from opentelemetry.instrumentation.starlette import StarletteInstrumentor
    except ImportError as missing:
        raise SettingsError(
            f"DISCOUNTS_TRACING=true needs the tracing extra ({missing.name} is missing):"
            " pip install 'discount-service[tracing]'"
        ) from None
    provider = tracer_provider or _otlp_provider()
    StarletteInstrumentor.instrument_app(app, tracer_provider=provider)
    wrap_graphql = getattr(app, "wrap_graphql", None)  # the fast path's router bypass
    if wrap_graphql is not None:
        wrap_graphql(lambda inner: OpenTelemetryMiddleware(inner, tracer_provider=provider))
    # Its declared range stops below SQLAlchemy 2.1 (which this app runs on), though what it
    # does with an engine given (cursor-execute event listeners) is unchanged in 2.1; the
    # test of this module checks that the statements' spans still come.
    SQLAlchemyInstrumentor().instrument(
        engine=engine.sync_engine, tracer_provider=provider, skip_dep_check=True
    )
    if engine.dialect.driver == "asyncpg":
        instrumentor = AsyncPGInstrumentor()
        if not instrumentor.is_instrumented_by_opentelemetry:
            instrumentor.instrument(tracer_provider=provider)
    return provider


def _otlp_provider() -> TracerProvider:
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    resource = Resource.create({"service.name": os.environ.get("OTEL_SERVICE_NAME", SERVICE_NAME)})
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    return provider
