"""The GraphQL endpoint: GraphQL over HTTP on GET and POST `/graphql`, GraphiQL for browsers.

One request, in order: GraphiQL for a browser's plain GET (when enabled); the response media
type from `Accept` (406 if none fits); the one Authorization header and the request parameters
(`http_params`: 400, 413, 415); the document, sent or named by its hash (`persisted_queries`:
automatic persisted queries, or only the trusted documents); execution under the time limit
(`request_timeout_seconds`), mutations refused over GET (405); errors masked (`masking`); the
status code from the outcome and the media type (`responses`, where the whole policy is
written down).
"""

from __future__ import annotations

import logging

import strawberry
from graphql import GraphQLFormattedError
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send
from strawberry.exceptions import MissingQueryError
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType

from app.auth import ANONYMOUS, AuthenticationError, TokenVerifier
from app.auth.tokens import principal_from_authorization_header
from app.db.budget import ReadBudget, ReadBudgetExceeded
from app.db.session import RequestDatabase
from app.graphql.context import Context
from app.graphql.errors import TIMEOUT
from app.graphql.failed_attempts import FailedAttempts
from app.http.deadlines import RequestDeadlines
from app.http.graphiql import graphiql_page
from app.http.http_params import GraphQLParams, Refused, authorization_of, read_params
from app.http.masking import SERVICE_UNAVAILABLE, masked_error, present_error
from app.http.negotiation import (
    GRAPHQL_RESPONSE_JSON,
    JSON,
    response_media_type,
    wants_html,
)
from app.http.persisted_queries import PersistedQueryError, persisted_queries_for
from app.http.request_id import request_id_of
from app.http.responses import Outcome, graphql_response, refused_response
from app.observability.metrics import GRAPHQL_ERRORS, operation_label
from app.services import Services
from app.settings import Settings

logger = logging.getLogger(__name__)

# GET (and HEAD, which Starlette adds to GET routes) may only read.
QUERIES_ONLY = frozenset({OperationType.QUERY})
QUERIES_AND_MUTATIONS = frozenset({OperationType.QUERY, OperationType.MUTATION})
RESPONSE_TOO_LARGE = "RESPONSE_TOO_LARGE"


class GraphQLEndpoint:
    """An ASGI app for the `/graphql` route (GET and POST)."""

    def __init__(
        self,
        schema: strawberry.Schema,
        *,
        settings: Settings,
        engine: AsyncEngine,
        verifier: TokenVerifier,
        services: Services,
        failed_code_attempts: FailedAttempts | None = None,
    ) -> None:
        self.schema = schema
        self.settings = settings
        self.engine = engine
        self.verifier = verifier
        self.services = services
        self.failed_code_attempts = failed_code_attempts
        self.graphiql = bool(settings.graphiql)
        # The time limit (`asyncio.timeout`'s behaviour, one timer for all requests).
        self.deadlines = RequestDeadlines(settings.request_timeout_seconds)
        self.persisted = persisted_queries_for(settings)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = await self.respond(Request(scope, receive))
        await response(scope, receive, send)

    async def respond(self, request: Request) -> ASGIApp:
        request_id = request_id_of(request)
        accept = request.headers.get("accept")
        if self._is_graphiql_visit(request, accept):
            return graphiql_page()
        media_type = response_media_type(accept)
        if media_type is None:
            return self._refused(
                request,
                Refused(
                    406,
                    f"Accept {GRAPHQL_RESPONSE_JSON} or {JSON}: no other response type is served.",
                    code="NOT_ACCEPTABLE",
                ),
                JSON,
            )
        try:
            authorization = authorization_of(request)
            params = await read_params(request, max_body_bytes=self.settings.max_body_bytes)
            query = self.persisted.document(params.query, params.extensions)
            request.scope["state"]["operation"] = operation_label(params.operation_name, query)
            outcome = await self.execute(request, params, query, authorization, request_id)
            if outcome.executed:
                self.persisted.ran(query, params.extensions)
        except Refused as refused:
            return self._refused(request, refused, media_type)
        except PersistedQueryError as error:
            outcome = _request_error(error.message, code=error.code)
        except Exception as error:
            outcome = Outcome(errors=[masked_error(error, request_id)], executed=False)
        if outcome.errors:
            # graphql-core's parse and validation errors carry no code
            uncoded = "UNCODED" if outcome.executed else "GRAPHQL_VALIDATION_FAILED"
            _count_errors(
                request,
                [(e.get("extensions") or {}).get("code") or uncoded for e in outcome.errors],
            )
        return graphql_response(outcome, media_type)

    @staticmethod
    def _refused(request: Request, refused: Refused, media_type: str) -> ASGIApp:
        _count_errors(request, [refused.code])
        return refused_response(refused, media_type)

    def _is_graphiql_visit(self, request: Request, accept: str | None) -> bool:
        return (
            self.graphiql
            and request.method != "POST"
            and "query" not in request.query_params
            and "extensions" not in request.query_params
            and wants_html(accept)
        )

    async def execute(
        self,
        request: Request,
        params: GraphQLParams,
        query: str,
        authorization: str | None,
        request_id: str,
    ) -> Outcome:
        context = self.context_for(request, authorization)
        timeout = self.settings.request_timeout_seconds
        try:
            async with self.deadlines():
                result = await self.schema.execute(
                    query,
                    variable_values=params.variables,
                    context_value=context,
                    operation_name=params.operation_name,
                    allowed_operation_types=(
                        QUERIES_AND_MUTATIONS if request.method == "POST" else QUERIES_ONLY
                    ),
                    operation_extensions=params.extensions,
                )
        except InvalidOperationTypeError as error:
            if error.operation_type is OperationType.MUTATION:
                raise Refused(
                    405,
                    "Mutations need POST.",
                    code="METHOD_NOT_ALLOWED",
                    headers={"allow": "POST"},
                ) from None
            return _request_error("Subscriptions are not served over HTTP.")
        except CannotGetOperationTypeError as error:
            if error.operation_name is None:
                # several operations and none named are refused at parsing (QueryChecks)
                return _request_error("query: the document has no operation to run.")
            return _request_error(error.as_http_error_reason())
        except MissingQueryError:
            return _request_error("query: the document is empty.")
        except TimeoutError:
            logger.warning("request %s stopped after %s s", request_id, timeout)
            return _request_error(
                f"The request took longer than {timeout:g} s and was stopped.", code=TIMEOUT
            )
        finally:
            # The request's connection goes back to the pool: after the operation, a failure
            # or a timeout alike.
            await context.db.close()
            context.release()
        return self._outcome(result, context, request_id)

    def context_for(self, request: Request, authorization: str | None) -> Context:
        auth_problem = None
        try:
            principal = principal_from_authorization_header(authorization, self.verifier)
        except AuthenticationError as error:
            principal, auth_problem = ANONYMOUS, error.message
        if not principal.is_anonymous:
            # for the request's log line (app.observability.requests)
            request.scope["state"]["subject"] = principal.subject
        return Context(
            settings=self.settings,
            principal=principal,
            db=RequestDatabase(
                self.engine,
                ReadBudget(self.settings.max_response_nodes, self.settings.max_response_bytes),
            ),
            services=self.services,
            request=request,
            failed_code_attempts=self.failed_code_attempts,
            auth_problem=auth_problem,
        )

    def _outcome(self, result: ExecutionResult, context: Context, request_id: str) -> Outcome:
        budget = context.db.budget
        if budget is not None and budget.exceeded is not None:
            # what was read is dropped: the response is this one error (app.db.budget)
            return _too_large(budget.exceeded, result)
        errors = result.errors or []
        presented = [
            present_error(
                error, request_id=request_id, suggestions=bool(self.settings.field_suggestions)
            )
            for error in errors
        ]
        unavailable = [e for e in presented if _code(e) == SERVICE_UNAVAILABLE]
        if unavailable and result.data is not None:
            # Part of the answer was read before the database went away and part could not
            # be: no one snapshot, so none of it is sent, and the caller is told to try again
            # (503, as when nothing could be read). A request reads in several statements
            # (a page, then its relationships' batches), so a restart can fall between them.
            return Outcome(
                errors=unavailable[:1],
                extensions=result.extensions,
                token_refused=context.auth_problem is not None,
            )
        return Outcome(
            errors=presented,
            data=result.data,
            # Request errors (parse, validation, limits, variables) have no response path.
            executed=not (result.data is None and errors and all(e.path is None for e in errors)),
            extensions=result.extensions,
            token_refused=context.auth_problem is not None,
        )


def _too_large(exceeded: ReadBudgetExceeded, result: ExecutionResult) -> Outcome:
    what, limit = exceeded.what, exceeded.limit
    return Outcome(
        errors=[
            {
                "message": f"The response would hold more than {limit} {what}; that is the "
                "limit. Ask for fewer rows (first/last) or fewer fields.",
                "extensions": {"code": RESPONSE_TOO_LARGE, "limit": limit, "of": what},
            }
        ],
        executed=True,
        extensions=result.extensions,
    )


def _code(error: GraphQLFormattedError) -> object:
    return (error.get("extensions") or {}).get("code")


def _request_error(message: str, *, code: str = "BAD_REQUEST") -> Outcome:
    return Outcome(errors=[{"message": message, "extensions": {"code": code}}], executed=False)


def _count_errors(request: Request, codes: list[str]) -> None:
    """The response's error codes: counted, and left for the request's log line."""
    request.scope["state"]["error_codes"] = codes
    for code in codes:
        GRAPHQL_ERRORS.labels(code).inc()
