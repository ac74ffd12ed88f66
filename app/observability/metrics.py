"""The Prometheus metrics served at `/metrics` (prometheus-client).

Each is a module-level metric in prometheus-client's default registry: one set per process,
whichever app instance counts. Under `uvicorn --workers N` every worker counts on its own; set
`PROMETHEUS_MULTIPROC_DIR` to an empty, writable directory before the server starts and
`/metrics` answers the sum over the workers (prometheus-client's multiprocess mode).

Label values are bounded: the GraphQL operation name is the caller's choice, so past
`MAX_OPERATION_NAMES` distinct names a process counts the rest as `other` (a client that
names every request differently must not grow the metrics without end).
"""

from __future__ import annotations

import os
import re
from typing import Final

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client import REGISTRY as DEFAULT_REGISTRY
from prometheus_client.multiprocess import MultiProcessCollector

MAX_OPERATION_NAMES: Final = 200
ANONYMOUS_OPERATION: Final = "anonymous"
OTHER: Final = "other"
# The first operation's name in a document: `query Name`, `mutation Name(...)`, after any
# comments. A document with several operations names one with operationName anyway.
_OPERATION = re.compile(
    r"(?:\s|,|#[^\n]*\n)*(?:query|mutation|subscription)\s+([_A-Za-z][_0-9A-Za-z]{0,99})"
)
_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]{0,99}")

REQUESTS = Counter(
    "discounts_http_requests",
    "HTTP requests answered, by route, GraphQL operation name, status code and outcome "
    "(ok: a status below 400 and no GraphQL error; error: anything else).",
    ["route", "operation", "status", "outcome"],
)
LATENCY = Histogram(
    "discounts_http_request_duration_seconds",
    "Time from the request's arrival to its response's first byte, by route and operation.",
    ["route", "operation"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30),
)
GRAPHQL_ERRORS = Counter(
    "discounts_graphql_errors",
    "Errors in GraphQL responses, by extensions.code (a response may hold several); "
    "GRAPHQL_VALIDATION_FAILED for graphql-core's parse and validation errors, which have "
    "none, and UNCODED for any other error without one.",
    ["code"],
)
DATABASE_CONNECTIONS = Gauge(
    "discounts_database_connections_in_use",
    "Database connections held by requests (out of the pool, and prepared-read connections).",
    multiprocess_mode="livesum",
)
REDEMPTIONS = Counter(
    "discounts_redemptions",
    "redeemCode answers: redeemed, refused (reason: the rule that failed, as the engine "
    "found it, before any masking for the caller), replayed (a known idempotency key) or "
    "rejected (a user error; reason: its code).",
    ["outcome", "reason"],
)
RATE_LIMITED = Counter(
    "discounts_rate_limited",
    "validateCode and redeemCode calls refused for too many failed code attempts (RATE_LIMITED).",
)

WEBSOCKET_CONNECTIONS = Gauge(
    "discounts_websocket_connections",
    "WebSocket connections open and signed in (their connection_init admitted).",
    multiprocess_mode="livesum",
)
WEBSOCKET_CLOSED = Counter(
    "discounts_websocket_closed",
    "WebSocket connections closed by the server for a reason of its own, by close code and "
    "stage: connection_init (4400 a payload that is not an object, 4403 no or a refused "
    "token, 4429 too many connections of the caller or a second connection_init) or open "
    "(4403 the token expired).",
    ["code", "stage"],
)
SUBSCRIPTIONS = Gauge(
    "discounts_subscriptions_active",
    "Subscription operations running on this process's WebSocket connections.",
    multiprocess_mode="livesum",
)
SUBSCRIPTION_RESULTS = Counter(
    "discounts_subscription_results",
    "Results sent to subscribers (one per event per subscription), by outcome: ok, or error "
    "when the result holds errors (a refused document, a field that failed).",
    ["outcome"],
)

_operation_names: set[str] = set()


def operation_label(operation_name: str | None, query: str | None) -> str:
    """The operation's name for labels: `operationName`, else the document's first
    operation's name, `anonymous` for none, `other` past the bound."""
    name = operation_name
    if name is None and query:
        match = _OPERATION.match(query)
        name = match.group(1) if match else None
    if not name:
        return ANONYMOUS_OPERATION
    if name in _operation_names:
        return name
    if len(_operation_names) >= MAX_OPERATION_NAMES or not _NAME.fullmatch(name):
        return OTHER
    _operation_names.add(name)
    return name


def exposition(connections_in_use: int) -> tuple[bytes, str]:
    """The text format of every metric, with the pool gauge read now."""
    DATABASE_CONNECTIONS.set(connections_in_use)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(DEFAULT_REGISTRY), CONTENT_TYPE_LATEST
