"""The GraphQL endpoint: strawberry's ASGI view with our context and one fast JSON encoding."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request
from starlette.responses import Response
from strawberry.asgi import GraphQL
from strawberry.extensions import SchemaExtension

from app.auth import ANONYMOUS, AuthenticationError, TokenVerifier
from app.auth.tokens import principal_from_authorization_header
from app.db.session import RequestDatabase
from app.graphql.context import Context
from app.settings import Settings


class ReleaseRequestDatabase(SchemaExtension):
    """Returns the request's connection to the pool as soon as the operation is done."""

    async def on_operation(self) -> AsyncIterator[None]:  # type: ignore[override]
        try:
            yield
        finally:
            context = self.execution_context.context
            if isinstance(context, Context):
                await context.db.close()


class DiscountGraphQL(GraphQL):  # type: ignore[type-arg]
    def __init__(
        self,
        schema: Any,
        *,
        settings: Settings,
        engine: AsyncEngine,
        verifier: TokenVerifier,
        services: Any,
    ) -> None:
        super().__init__(schema, graphql_ide="graphiql" if settings.graphiql else None)
        self.settings = settings
        self.engine = engine
        self.verifier = verifier
        self.services = services

    async def get_context(self, request: Any, response: Any) -> Context:  # type: ignore[override]
        auth_problem = None
        try:
            principal = principal_from_authorization_header(
                request.headers.get("authorization"), self.verifier
            )
        except AuthenticationError as error:
            principal, auth_problem = ANONYMOUS, error.message
        context = Context(
            settings=self.settings,
            principal=principal,
            db=RequestDatabase(self.engine),
            services=self.services,
            request=request,
            response=response,
        )
        context.auth_problem = auth_problem
        return context

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)


async def health(_request: Request) -> Response:
    return Response(b'{"status":"ok"}', media_type="application/json")
