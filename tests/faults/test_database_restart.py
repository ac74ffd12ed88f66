"""A PostgreSQL restart seen by one server process: while the database is down every request
is answered 503 with Retry-After; once it is back, nothing fails, though every connection the
server held died with the restart (`app.db.liveness`, `app.db.session`, `app.http.masking`)."""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import make_url

from app.main import create_app
from app.services import redemptions
from app.settings import Settings
from tests.conftest import TEST_SECRET, token
from tests.engine.support import REDEEM, VALIDATE, gid, ledger_rows, open_shop
from tests.faults.cluster import ThrowawayCluster
from tests.faults.proxy import SilentCutProxy

pytestmark = pytest.mark.postgres_only

LIST = "{ discountCodes(first: 5) { totalCount nodes { code terms { percentage } } } }"
NODE = "query Node($id: ID!) { node(id: $id) { ... on DiscountCode { code site { name } } } }"


class Kinds:
    """One request of each kind a server answers: a list, a record by id, a check, a redeem."""

    def __init__(self, http: httpx.AsyncClient, shop: Any, code: Any) -> None:
        self.http = http
        self.shop = shop
        self.code = code
        self.redeemed = 0

    async def send(self, query: str, variables: dict[str, Any], **headers: str) -> httpx.Response:
        headers["authorization"] = f"Bearer {token(subject='ops', admin=True)}"
        return await self.http.post(
            "/graphql", json={"query": query, "variables": variables}, headers=headers
        )

    async def each(self, **headers: str) -> list[httpx.Response]:
        self.redeemed += 1
        redeem = {**self.shop.attempt("RESTART"), "idempotencyKey": f"restart-{self.redeemed}"}
        return [
            await self.send(LIST, {}, **headers),
            await self.send(NODE, {"id": gid(self.code)}, **headers),
            await self.send(VALIDATE, {"input": self.shop.attempt("RESTART")}, **headers),
            await self.send(REDEEM, {"input": redeem}, **headers),
        ]


@contextlib.asynccontextmanager
async def serving(url: str, make: Any, **settings: Any) -> AsyncIterator[Kinds]:
    """The app on the database at `url`, and a shop with the code RESTART."""
    app = create_app(
        Settings(
            database_url=url,
            jwt_secret=TEST_SECRET,
            migrate_on_start=False,
            demo_secret_file=Path(tempfile.gettempdir()) / "unused-demo-secret",
            **settings,
        )
    )
    shop = await open_shop(make)
    code = await make.discount_code(shop.site, code="RESTART", percentage=10)
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            yield Kinds(http, shop, code)
    finally:
        await app.state.engine.dispose()


@pytest.fixture
async def kinds(cluster_url: str, cluster_make: Any) -> AsyncIterator[Kinds]:
    async with serving(cluster_url, cluster_make) as served:
        yield served


@pytest.fixture
async def proxy(cluster: ThrowawayCluster) -> AsyncIterator[SilentCutProxy]:
    made = SilentCutProxy(cluster.port)
    await made.start()
    yield made
    await made.close()


@contextlib.asynccontextmanager
async def cut_off_after_use(
    url: str, make: Any, proxy: SilentCutProxy, ping_after_idle: float
) -> AsyncIterator[Kinds]:
    """A server reaching the database through `proxy` that has answered each kind of
    request; then every connection it holds dies without a word (the next statement sent on
    one is reset)."""
    through = make_url(url).set(port=proxy.port).render_as_string()
    async with serving(through, make, database_ping_after_idle_seconds=ping_after_idle) as served:
        assert answered(await served.each()) == [(200, None)] * 4
        proxy.cut()
        yield served


def answered(responses: list[httpx.Response]) -> list[Any]:
    """Each response's errors (None when it has none) and status."""
    return [(r.status_code, r.json().get("errors")) for r in responses]


async def test_after_a_restart_an_idle_server_answers_every_request(
    kinds: Kinds, cluster: ThrowawayCluster
) -> None:
    # given a server that has answered each kind of request (its pool and readers are warm)
    for _ in range(2):
        assert answered(await kinds.each()) == [(200, None)] * 4
    # when the database restarts while the server is idle
    cluster.restart()
    # then the next request of each kind is answered, and the redemption is stored
    responses = await kinds.each()
    assert answered(responses) == [(200, None)] * 4
    assert responses[3].json()["data"]["redeemCode"]["redemption"]["id"]


async def test_while_the_database_is_down_every_request_is_503_with_retry_after(
    kinds: Kinds, cluster: ThrowawayCluster
) -> None:
    assert answered(await kinds.each()) == [(200, None)] * 4
    cluster.stop()
    try:
        for accept in ("application/json", "application/graphql-response+json"):
            for response in await kinds.each(accept=accept):
                assert response.status_code == 503, response.text
                assert response.headers["retry-after"] == "5"
                (error,) = response.json()["errors"]
                assert error["extensions"]["code"] == "SERVICE_UNAVAILABLE"
                assert error["extensions"]["retryAfter"] == 5
                assert (
                    error["message"] == "The database is unavailable; try again in a few seconds."
                )
                assert ("data" in response.json()) is (accept == "application/json")
    finally:
        cluster.start()
    assert answered(await kinds.each()) == [(200, None)] * 4


async def test_a_read_whose_connection_died_silently_is_sent_again(
    cluster_url: str, cluster_make: Any, proxy: SilentCutProxy
) -> None:
    # given a server whose connections are never pinged for being idle, cut off
    async with cut_off_after_use(cluster_url, cluster_make, proxy, 3600) as served:
        # then the reads are sent again on fresh connections and answered
        responses = [await served.send(LIST, {}), await served.send(NODE, {"id": gid(served.code)})]
        assert answered(responses) == [(200, None)] * 2


async def test_a_connection_idle_too_long_is_pinged_before_a_write_uses_it(
    cluster_url: str, cluster_make: Any, proxy: SilentCutProxy
) -> None:
    async with cut_off_after_use(cluster_url, cluster_make, proxy, 0.2) as served:
        await asyncio.sleep(0.3)
        redeem = {**served.shop.attempt("RESTART"), "idempotencyKey": "after-the-cut"}
        response = await served.send(REDEEM, {"input": redeem})
        assert answered([response]) == [(200, None)]
        assert response.json()["data"]["redeemCode"]["valid"] is True


async def test_a_write_whose_connection_died_silently_is_not_sent_again(
    cluster_url: str,
    cluster_make: Any,
    cluster_engine: Any,
    proxy: SilentCutProxy,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    through = make_url(cluster_url).set(port=proxy.port).render_as_string()
    async with serving(through, cluster_make, database_ping_after_idle_seconds=3600) as served:
        assert answered(await served.each()) == [(200, None)] * 4
        # The connections die between the first look (a read, which would be sent again
        # on a fresh connection) and the claim, the write: the claim meets a dead one.
        claim_at_once = redemptions.claim_at_once

        async def cut_first(*args: Any) -> Any:
            monkeypatch.setattr(redemptions, "claim_at_once", claim_at_once)
            proxy.cut()
            return await claim_at_once(*args)

        monkeypatch.setattr(redemptions, "claim_at_once", cut_first)
        redeem = {**served.shop.attempt("RESTART"), "idempotencyKey": "cut-mid-write"}
        response = await served.send(REDEEM, {"input": redeem})
        assert response.status_code == 503
        assert response.json()["errors"][0]["extensions"]["code"] == "SERVICE_UNAVAILABLE"
        # the client's retry with the same key is what makes it safe: one redemption
        again = (await served.send(REDEEM, {"input": redeem})).json()["data"]["redeemCode"]
        assert again["valid"] is True and again["replayed"] is False
        assert len(await ledger_rows(cluster_engine, idempotency_key="cut-mid-write")) == 1
