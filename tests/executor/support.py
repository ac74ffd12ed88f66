"""Running one document with the fast path on and off and comparing what they answer.

`Executors` holds two schemas built alike, one with the fast path (`app.fast.fast_schema`:
the plan executor, the lean `execute`, rendering in PostgreSQL) and one without
(`build_schema`: strawberry's execution), and executes a document on each with a fresh
request context (its own loaders and connection) on the same database: the fast one reads
through the prepared reads (`app.fast.prepared_reads`), the other through SQLAlchemy alone.
Results are compared whole: data, errors (message, locations, path, extensions) in order,
and the extensions of the response.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import orjson
import strawberry
from sqlalchemy.ext.asyncio import AsyncEngine
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from app.auth import ANONYMOUS, Grant, Principal
from app.auth.roles import Action, RecordType
from app.db.session import RequestDatabase
from app.fast import fast_schema
from app.fast.executor import PlanExecutionContext
from app.fast.prepared_reads import request_database
from app.graphql.context import Context
from app.graphql.schema import build_schema
from app.services import Services
from app.settings import Settings

ADMIN = Principal.administrator("admin@example.com")
# The standard executor's "answer" when it raised CancelledError (see `Executors.both`).
CRASHED: dict[str, Any] = {"crashed": "CancelledError"}


def site_reader(site_id: int) -> Principal:
    """Reads coupons, their codes and assignments on one site; nothing of the rest."""
    permissions = frozenset(
        (record_type, action)
        for record_type in (RecordType.COUPON, RecordType.COUPON_CODE, RecordType.ASSIGNMENT)
        for action in (Action.READ, Action.LIST)
    )
    grant = Grant(permissions, site_ids=frozenset({site_id}))
    return Principal("reader@example.com", grants=(grant,))


def normalize(result: Any) -> dict[str, Any]:
    # Through JSON: nodes rendered in the database are JSON text (orjson.Fragment) until then.
    return {
        "data": orjson.loads(orjson.dumps(result.data)),
        "errors": [error.formatted for error in result.errors or ()],
        "extensions": result.extensions,
    }


def dumps(value: Any) -> str:
    return json.dumps(value, indent=1, default=str, ensure_ascii=False)


@dataclass
class Outcome:
    plan: dict[str, Any]
    standard: dict[str, Any]

    @property
    def same(self) -> bool:
        """Byte for byte once serialised: the keys in the same order too."""
        return orjson.dumps(self.plan) == orjson.dumps(self.standard)

    def explain(self, document: str, variables: Any = None) -> str:
        return (
            f"the executors differ on\n{document}\nvariables: {variables}\n"
            f"--- plan executor:\n{dumps(self.plan)[:6000]}\n"
            f"--- standard executor:\n{dumps(self.standard)[:6000]}"
        )


@dataclass
class Executors:
    settings: Settings
    engine: AsyncEngine
    plan: strawberry.Schema = field(init=False)
    standard: strawberry.Schema = field(init=False)

    def __post_init__(self) -> None:
        self.plan = fast_schema(self.settings)
        self.standard = build_schema(self.settings)
        assert self.plan.execution_context_class is PlanExecutionContext
        assert self.standard.execution_context_class is StrawberryGraphQLCoreExecutionContext
        self.services = Services(self.engine)
        # executions that returned with tasks of theirs still running, by execution context
        self.left_running: Counter[str] = Counter()

    def context(self, principal: Principal = ADMIN, *, fast: bool = True) -> Context:
        """A request's context; `fast`: its reads may be prepared (app.fast.prepared_reads)."""
        return Context(
            settings=self.settings,
            principal=principal,
            db=request_database(self.engine) if fast else RequestDatabase(self.engine),
            services=self.services,
        )

    async def run(
        self,
        schema: strawberry.Schema,
        document: str,
        variables: dict[str, Any] | None = None,
        principal: Principal = ADMIN,
    ) -> dict[str, Any]:
        context = self.context(principal, fast=schema is self.plan)
        before = asyncio.all_tasks()
        try:
            result = await schema.execute(
                document, variable_values=variables, context_value=context
            )
        finally:
            # graphql-core answers as soon as an error reaches a nullable field, and leaves
            # the other resolvers under it to settle in the background (or cancels them, see
            # `both`), still using the request's connection: they must end before it closes.
            others = asyncio.all_tasks() - before - {asyncio.current_task()}
            if others:
                self.left_running[schema.execution_context_class.__name__] += 1
                await asyncio.wait(others, timeout=10)
            await context.db.close()
        return normalize(result)

    async def both(
        self,
        document: str,
        variables: dict[str, Any] | None = None,
        principal: Principal = ADMIN,
    ) -> Outcome:
        """Both answers: the fast path's, then the one without it."""
        planned = await self.run(self.plan, document, variables, principal)
        try:
            standard = await self.run(self.standard, document, variables, principal)
        except asyncio.CancelledError:
            # graphql-core cancels the siblings of a failed non-null field; one of them may
            # await a dataloader future that another field shares (aiodataloader hands out one
            # future per key), which cancels that future for both, and the CancelledError
            # escapes `execute`. The plan executor cancels nothing: there is nothing to compare.
            current = asyncio.current_task()
            if current is not None and current.cancelling():
                raise
            standard = CRASHED
        return Outcome(planned, standard)

    async def check(
        self,
        document: str,
        variables: dict[str, Any] | None = None,
        principal: Principal = ADMIN,
    ) -> dict[str, Any]:
        """Both executors' answer, asserted identical; returns it."""
        outcome = await self.both(document, variables, principal)
        assert outcome.same, outcome.explain(document, variables)
        return outcome.plan


class Stats:
    """How many operations the plan executor ran, left to the standard one, or replayed."""

    def __init__(self) -> None:
        self.start = dict(PlanExecutionContext.stats)

    def __getitem__(self, name: str) -> int:
        return PlanExecutionContext.stats[name] - self.start[name]


__all__ = ["ADMIN", "ANONYMOUS", "CRASHED", "Executors", "Outcome", "Stats", "site_reader"]
