"""Running one document through both executors and comparing what they answer.

`Executors` holds two schemas built alike, one with the plan executor and one without, and
executes a document on each with a fresh request context (its own loaders and connection) on
the same database. Results are compared whole: data, errors (message, locations, path,
extensions) in order, and the extensions of the response.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncEngine

from app.auth import ANONYMOUS, Grant, Principal
from app.auth.roles import Action, RecordType
from app.db.session import RequestDatabase
from app.graphql.context import Context
from app.graphql.executor import PlanExecutionContext
from app.graphql.schema import build_schema
from app.services import Services
from app.settings import Settings

ADMIN = Principal.administrator("admin@example.com")


def site_reader(site_id: int) -> Principal:
    """Reads coupons, their codes and assignments on one site; nothing of the rest."""
    permissions = frozenset(
        (record_type, action)
        for record_type in (RecordType.COUPON, RecordType.COUPON_CODE, RecordType.ASSIGNMENT)
        for action in (Action.READ, Action.LIST)
    )
    return Principal("reader@example.com", grants=(Grant(permissions, site_ids=frozenset({site_id})),))


def normalize(result: Any) -> dict[str, Any]:
    return {
        "data": result.data,
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
        return self.plan == self.standard

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
        self.plan = build_schema(self.settings, plan_executor=True)
        self.standard = build_schema(self.settings, plan_executor=False)
        self.services = Services(self.engine)

    def context(self, principal: Principal = ADMIN) -> Context:
        return Context(
            settings=self.settings,
            principal=principal,
            db=RequestDatabase(self.engine),
            services=self.services,
        )

    async def run(
        self,
        schema: strawberry.Schema,
        document: str,
        variables: dict[str, Any] | None = None,
        principal: Principal = ADMIN,
    ) -> dict[str, Any]:
        context = self.context(principal)
        try:
            result = await schema.execute(document, variable_values=variables, context_value=context)
        finally:
            await context.db.close()
        return normalize(result)

    async def both(
        self,
        document: str,
        variables: dict[str, Any] | None = None,
        principal: Principal = ADMIN,
    ) -> Outcome:
        return Outcome(
            await self.run(self.plan, document, variables, principal),
            await self.run(self.standard, document, variables, principal),
        )

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


__all__ = ["ADMIN", "ANONYMOUS", "Executors", "Outcome", "Stats", "site_reader"]
