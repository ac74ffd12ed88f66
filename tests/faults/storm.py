"""Redemptions fired at real server processes, and what the ledger must say afterwards."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from app.graphql.ids import to_global_id
from tests.conftest import token
from tests.engine.support import ledger_rows, times_used

REDEEM = """
mutation Redeem($input: RedeemCodeInput!) {
  redeemCode(input: $input) { valid reason replayed redemption { id } userErrors { code } }
}
"""


class Storm:
    """Concurrent requests over one client; a request without an answer (the server died, the
    connection was reset) gives None, as it would to a checkout."""

    # Requests in flight at once: enough to overlap, few enough that two servers' pools stay
    # well under the shared PostgreSQL's 100 connections (past them: 503, as it should be).
    CONCURRENCY = 16

    def __init__(self) -> None:
        limits = httpx.Limits(max_connections=self.CONCURRENCY)
        self.client = httpx.AsyncClient(limits=limits, timeout=60)
        self.headers = {"authorization": f"Bearer {token(subject='storm', admin=True)}"}

    async def send(self, url: str, query: str, variables: dict[str, Any]) -> httpx.Response | None:
        body = {"query": query, "variables": variables}
        try:
            return await self.client.post(f"{url}/graphql", json=body, headers=self.headers)
        except httpx.TransportError:
            return None

    async def redeem(self, url: str, attempt: dict[str, Any], key: str) -> dict[str, Any] | None:
        response = await self.send(url, REDEEM, {"input": {**attempt, "idempotencyKey": key}})
        if response is None:
            return None
        body = response.json()
        assert "errors" not in body, body
        return body["data"]["redeemCode"]  # type: ignore[no-any-return]

    async def close(self) -> None:
        await self.client.aclose()


async def check_ledger(
    engine: AsyncEngine, code: Any, answered: dict[str, dict[str, Any]], cap: int | None = None
) -> None:
    """Every success answered is stored under its key, every stored use was answered (the
    keys without an answer have been replayed), the code's counter agrees, the cap held."""
    rows = await ledger_rows(engine, discount_code_id=code.id)
    stored = {row.idempotency_key: to_global_id("Redemption", row.id) for row in rows}
    succeeded = {
        key: answer["redemption"]["id"] for key, answer in answered.items() if answer["valid"]
    }
    assert stored == succeeded
    assert await times_used(engine, code) == len(rows)
    if cap is not None:
        assert len(rows) <= cap
