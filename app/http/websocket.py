"""GraphQL subscriptions over WebSocket at `/graphql`: the graphql-transport-ws protocol
(github.com/enisdenjo/graphql-ws, PROTOCOL.md), run by strawberry's own handler.

What this adds to strawberry's view, so that a connection is held to the HTTP endpoint's rules:

- Authentication in `connection_init`: its payload carries the same bearer token as HTTP,
  `{"Authorization": "Bearer <token>"}`. A missing or refused token closes the socket with
  4403 and a reason saying why, as is a connection whose token expires while it is open; a
  caller holding `max_connections_per_caller` connections to this process is closed with
  4429. `subscribe` before the acknowledgement: 4401
  (strawberry's handler), as is no `connection_init` within `connection_init_timeout_seconds`
  (4408).
- Subscriptions only: queries and mutations go over HTTP, with its time limit and rate limits
  (an operation of another type is answered with an `error` message). A connection runs at
  most `max_subscriptions_per_connection` operations at once.
- The same checks before execution as HTTP (app.graphql.limits: tokens, depth, aliases, cost,
  ...: the schema's extension runs for every operation), trusted documents when configured,
  and the same masking of unexpected errors (app.http.masking), logged with an id the
  caller is given.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from collections.abc import AsyncGenerator, Mapping
from datetime import timedelta
from typing import Any, cast

import strawberry
from graphql import GraphQLError, GraphQLFormattedError, GraphQLSyntaxError
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.schema import BaseSchema
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import ConnectionInitMessage
from strawberry.types import ExecutionResult
from strawberry.types.execution import PreExecutionError
from strawberry.types.graphql import OperationType
from strawberry.utils.aio import aclosing

from app.auth import ANONYMOUS, AuthenticationError, TokenVerifier
from app.auth.principal import Principal
from app.auth.tokens import principal_from_authorization_header
from app.db.session import RequestDatabase
from app.graphql.access import Access
from app.graphql.context import Context
from app.graphql.loaders import Loaders
from app.http.masking import present_error
from app.http.persisted_queries import PersistedQueryError, persisted_queries_for
from app.observability.metrics import (
    SUBSCRIPTION_RESULTS,
    SUBSCRIPTIONS,
    WEBSOCKET_CLOSED,
    WEBSOCKET_CONNECTIONS,
)
from app.services import Services
from app.settings import Settings

# graphql-transport-ws close codes (PROTOCOL.md): a refused connection_init, and "too many"
# (the protocol's code for a second connection_init, and here for a caller's connections).
FORBIDDEN = 4403
TOO_MANY = 4429
SUBSCRIPTIONS_ONLY = (OperationType.SUBSCRIPTION,)
NOT_A_SUBSCRIPTION = (
    "Only subscriptions are served over WebSocket; send queries and mutations over HTTP."
)


class _Presented(GraphQLError):
    """An error as app.http.masking presents it: its formatted form is that presentation."""

    def __init__(self, presented: GraphQLFormattedError) -> None:
        super().__init__(presented["message"], extensions=presented.get("extensions"))
        self._presented = presented

    @property
    def formatted(self) -> GraphQLFormattedError:
        return self._presented


class _SubscriptionSchema:
    """What strawberry's handler calls of the schema (`stream`), restricted to subscriptions
    and with errors presented as over HTTP."""

    def __init__(self, schema: strawberry.Schema, settings: Settings) -> None:
        self.schema = schema
        self.settings = settings
        self.persisted = persisted_queries_for(settings)

    async def stream(
        self,
        query: str | None,
        variable_values: dict[str, Any] | None = None,
        context_value: Any | None = None,
        root_value: Any | None = None,
        operation_name: str | None = None,
        **_ignored: Any,
    ) -> AsyncGenerator[ExecutionResult, None]:
        try:
            document = self.persisted.document(query, None)
        except PersistedQueryError as error:
            return _refused(GraphQLError(error.message, extensions={"code": error.code}))
        results = await self.schema.stream(
            document,
            variable_values=variable_values,
            context_value=context_value,
            root_value=root_value,
            operation_name=operation_name,
            allowed_operation_types=SUBSCRIPTIONS_ONLY,
        )
        return self._presented(results)

    async def _presented(
        self, results: AsyncGenerator[Any, None]
    ) -> AsyncGenerator[ExecutionResult, None]:
        request_id = uuid.uuid4().hex
        SUBSCRIPTIONS.inc()
        try:
            async with aclosing(results):
                async for result in results:
                    if isinstance(result, ExecutionResult) and result.errors:
                        result.errors = [self._present(e, request_id) for e in result.errors]
                        SUBSCRIPTION_RESULTS.labels("error").inc()
                    else:
                        SUBSCRIPTION_RESULTS.labels("ok").inc()
                    yield result
        finally:
            SUBSCRIPTIONS.dec()

    def _present(self, error: GraphQLError, request_id: str) -> GraphQLError:
        cause = error.original_error
        if isinstance(cause, InvalidOperationTypeError):
            return GraphQLError(NOT_A_SUBSCRIPTION, extensions={"code": "BAD_REQUEST"})
        if isinstance(error, GraphQLSyntaxError) or isinstance(cause, CannotGetOperationTypeError):
            return error  # the handler closes the socket with its message (4400)
        suggestions = bool(self.settings.field_suggestions)
        return _Presented(present_error(error, request_id=request_id, suggestions=suggestions))


async def _refused(error: GraphQLError) -> AsyncGenerator[ExecutionResult, None]:
    yield PreExecutionError(data=None, errors=[error])


class _TransportHandler(BaseGraphQLTransportWSHandler[Context, None]):
    """strawberry's graphql-transport-ws handler, admitting a connection as the module says."""

    admitted: Principal | None = None
    expiry: asyncio.Task[None] | None = None

    @property
    def endpoint(self) -> SubscriptionEndpoint:
        return cast(SubscriptionEndpoint, self.view)

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        if self.connection_timed_out:
            return
        if self.connection_init_timeout_task:
            self.connection_init_timeout_task.cancel()
        if self.connection_init_received:
            await self._close(TOO_MANY, "Too many initialisation requests", "connection_init")
            return
        self.connection_init_received = True
        payload = message.get("payload") or {}
        if not isinstance(payload, dict):
            await self._close(4400, "Invalid connection init payload", "connection_init")
            return
        admitted = self.endpoint.admit(self.context, payload)
        if isinstance(admitted, tuple):
            await self._close(*admitted, "connection_init")
            return
        self.admitted = self.context.principal
        WEBSOCKET_CONNECTIONS.inc()
        self.expiry = asyncio.create_task(self._close_when_expired(admitted))
        await self.send_message({"type": "connection_ack"})
        self.connection_acknowledged = True

    async def _close_when_expired(self, expires_at: float) -> None:
        # An HTTP request is refused once its token has expired; a connection is closed then.
        await asyncio.sleep(max(0.0, expires_at - time.time()))
        await self._close(FORBIDDEN, "the bearer token has expired", "open")

    async def _close(self, code: int, reason: str, stage: str) -> None:
        WEBSOCKET_CLOSED.labels(str(code), stage).inc()
        await self.websocket.close(code=code, reason=reason)

    async def shutdown(self) -> None:
        if self.expiry is not None:
            self.expiry.cancel()
        try:
            await super().shutdown()
        finally:
            if self.admitted is not None:
                self.endpoint.leave(self.admitted)
                WEBSOCKET_CONNECTIONS.dec()
                self.admitted = None
            await self.context.db.close()


class SubscriptionEndpoint(GraphQL[Context, None]):
    """The ASGI app for WebSocket connections to `/graphql` (HTTP stays with
    app.http.endpoint)."""

    graphql_transport_ws_handler_class = _TransportHandler

    def __init__(
        self,
        schema: strawberry.Schema,
        *,
        settings: Settings,
        engine: AsyncEngine,
        verifier: TokenVerifier,
        services: Services,
    ) -> None:
        super().__init__(
            # Only `stream` is asked of it on WebSocket connections, the only ones served here.
            cast(BaseSchema, _SubscriptionSchema(schema, settings)),
            graphql_ide=None,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            connection_init_wait_timeout=timedelta(
                seconds=settings.connection_init_timeout_seconds
            ),
            max_subscriptions_per_connection=settings.max_subscriptions_per_connection,
        )
        self.settings = settings
        self.engine = engine
        self.verifier = verifier
        self.services = services
        # Open connections by caller (token subject), in this process.
        self.connections: Counter[str] = Counter()

    async def get_context(self, request: Request | WebSocket, response: Any) -> Context:
        # Anonymous until its connection_init is admitted (`admit`).
        return Context(
            settings=self.settings,
            principal=ANONYMOUS,
            db=RequestDatabase(self.engine),
            services=self.services,
        )

    def admit(self, context: Context, payload: Mapping[str, object]) -> float | tuple[int, str]:
        """Signs the connection in as the caller its payload's token names, answering when
        the token expires (a Unix time); or (close code, reason) for a refusal."""
        authorization = _authorization(payload)
        if authorization is None:
            return FORBIDDEN, 'connection_init: send {"Authorization": "Bearer <token>"}'
        try:
            principal = principal_from_authorization_header(authorization, self.verifier)
            if principal.is_anonymous:
                return FORBIDDEN, 'connection_init: send {"Authorization": "Bearer <token>"}'
            # The header's form was checked just above: "Bearer <token>".
            expires_at = float(self.verifier.verify_claims(authorization.split()[1])["exp"])
        except AuthenticationError as error:
            return FORBIDDEN, f"connection_init: the bearer token was refused: {error.message}"
        limit = self.settings.max_connections_per_caller
        if self.connections[principal.subject] >= limit:
            return TOO_MANY, f"{principal.subject} holds {limit} connections: the most allowed"
        self.connections[principal.subject] += 1
        context.principal = principal
        context.access = Access(principal)
        context.loaders = Loaders(context.db, context.access)
        return expires_at

    def leave(self, principal: Principal) -> None:
        self.connections[principal.subject] -= 1
        if self.connections[principal.subject] <= 0:
            del self.connections[principal.subject]

    async def get_root_value(self, request: Request | WebSocket) -> None:
        return None


def _authorization(payload: Mapping[str, object]) -> str | None:
    """The payload's Authorization entry (any case, as HTTP headers), when it is text."""
    for key, value in payload.items():
        if key.lower() == "authorization" and isinstance(value, str):
            return value
    return None
