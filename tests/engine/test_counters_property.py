"""A stateful property: whatever the sequence of redemptions, voids and replays, sent through two
apps with connection pools of their own (one at a time, or two at once), every usage counter and
`times_used` equals the ledger's count after each step, and no cap is ever passed."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import httpx
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    invariant,
    rule,
    run_state_machine_as_test,
)

from app.db import tables as t
from app.db import usage_counters
from app.domain.enums import UsagePeriod
from app.main import create_app
from app.settings import Settings
from tests.conftest import GraphQLClient
from tests.emptying import empty
from tests.engine.support import REDEEM, VOID, Shop, gid, open_shop

T = TypeVar("T")
CAP, PER_CUSTOMER, PER_ORDER = 6, 3, 2


def machine(
    run: Callable[[Awaitable[T]], T], clients: list[GraphQLClient], engine: Any, make: Any
) -> type[RuleBasedStateMachine]:
    """The state machine, its steps run on the test's event loop by `run`."""

    class Counters(RuleBasedStateMachine):
        redeemed = Bundle("redeemed")

        def __init__(self) -> None:
            super().__init__()
            self.sent: list[dict[str, Any]] = []  # every redeem input sent, for replays
            run(self._world())

        async def _world(self) -> None:
            await empty(engine)
            self.shop: Shop = await open_shop(make)
            # A daily cap over a coupon's two codes, a per-customer cap and a per-order cap.
            coupon = await make.coupon(
                self.shop.site, max_uses=CAP, max_uses_per_customer=PER_CUSTOMER,
                max_uses_per_order=PER_ORDER, usage_period="P1D",
            )  # fmt: skip
            await make.coupon_code(coupon, code="MANY", multi_use=True)
            await make.coupon_code(coupon, code="ONCE", multi_use=False)
            await make.discount_code(self.shop.site, code="TOTAL", max_uses=CAP)
            self.coupon_id = coupon.id

        def _input(self, code: str, customer: int, order: str | None, key: str) -> dict[str, Any]:
            people = [None, gid(self.shop.member), gid(self.shop.contact)]
            return self.shop.attempt(
                code, customerId=people[customer], orderReference=order, idempotencyKey=key
            )

        async def _redeem(self, client: int, values: dict[str, Any]) -> dict[str, Any]:
            self.sent.append(values)
            return (await clients[client](REDEEM, {"input": values}))["redeemCode"]  # type: ignore[no-any-return]

        @rule(
            target=redeemed,
            client=st.integers(0, 1),
            code=st.sampled_from(["MANY", "ONCE", "TOTAL"]),
            customer=st.integers(0, 2),
            order=st.sampled_from([None, "O-1", "O-2"]),
            key=st.integers(0, 40),
        )
        def redeem(
            self, client: int, code: str, customer: int, order: str | None, key: int
        ) -> str | None:
            answer = run(self._redeem(client, self._input(code, customer, order, f"k{key}")))
            return None if answer["redemption"] is None else answer["redemption"]["id"]

        @rule(
            codes=st.lists(st.sampled_from(["MANY", "ONCE", "TOTAL"]), min_size=2, max_size=2),
            customers=st.lists(st.integers(0, 2), min_size=2, max_size=2),
            key=st.integers(100, 10_000),
        )
        def redeem_two_at_once(self, codes: list[str], customers: list[int], key: int) -> None:
            inputs = [
                self._input(code, customer, None, f"k{key}-{index}")
                for index, (code, customer) in enumerate(zip(codes, customers, strict=True))
            ]

            async def both() -> None:
                await asyncio.gather(self._redeem(0, inputs[0]), self._redeem(1, inputs[1]))

            run(both())

        @rule(client=st.integers(0, 1), redemption=redeemed)
        def void(self, client: int, redemption: str | None) -> None:
            if redemption is not None:
                answer = run(clients[client](VOID, {"id": redemption}))["voidRedemption"]
                assert answer["userErrors"] == []

        @rule(client=st.integers(0, 1), data=st.data())
        def replay(self, client: int, data: st.DataObject) -> None:
            if not self.sent:
                return
            values = data.draw(st.sampled_from(self.sent))
            answer = run(self._redeem(client, values))
            # A replay answers the earlier redemption; an earlier refusal was not recorded, so
            # its key is free and the request is decided afresh.
            assert (
                answer["userErrors"] == []
                or answer["userErrors"][0]["code"] == "IDEMPOTENCY_KEY_REUSED"
            )

        @invariant()
        def counters_equal_the_ledger(self) -> None:
            async def check() -> list[str]:
                async with engine.connect() as connection:
                    drift = await usage_counters.recount(connection, fix=False)
                return [str(found) for found in drift]

            assert run(check()) == []

        @invariant()
        def no_cap_is_passed(self) -> None:
            r = t.REDEMPTION

            async def live() -> list[Any]:
                async with engine.connect() as connection:
                    statement = sa.select(r).where(r.c.voided_at.is_(None))
                    return list((await connection.execute(statement)).all())

            rows = run(live())

            def day(at: datetime) -> str | None:
                return usage_counters.bucket_at(UsagePeriod.P1D, at, self.shop.site.time_zone)

            today = day(datetime.now(UTC))
            coupon = [row for row in rows if row.coupon_id == self.coupon_id]
            assert sum(day(row.redeemed_at) == today for row in coupon) <= CAP
            assert len([row for row in rows if row.discount_code_id is not None]) <= CAP
            for customer in (self.shop.member.id, self.shop.contact.id):
                assert sum(row.customer_id == customer for row in coupon) <= PER_CUSTOMER
            for order in ("O-1", "O-2"):
                assert sum(row.order_reference == order for row in coupon) <= PER_ORDER

    return Counters


@pytest.mark.slow
async def test_counters_equal_the_ledger_after_every_step(
    app: Any, db: Any, make: Any, admin_token: str, settings: Settings
) -> None:
    # A second app: its own engine, so its own pool of connections
    second = create_app(settings)
    loop = asyncio.get_running_loop()

    def run(step: Awaitable[T]) -> T:
        return asyncio.run_coroutine_threadsafe(step, loop).result(timeout=120)  # type: ignore[arg-type]

    try:
        async with (
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://a") as a,
            httpx.AsyncClient(transport=httpx.ASGITransport(app=second), base_url="http://b") as b,
        ):
            clients = [GraphQLClient(a, admin_token), GraphQLClient(b, admin_token)]
            Machine = machine(run, clients, db, make)
            chosen = hypothesis_settings(
                max_examples=12, stateful_step_count=20, deadline=None,
                suppress_health_check=list(HealthCheck),
            )  # fmt: skip
            # Hypothesis runs its steps in a thread of its own; each step runs on this loop.
            await asyncio.to_thread(run_state_machine_as_test, Machine, settings=chosen)
    finally:
        await second.state.engine.dispose()
