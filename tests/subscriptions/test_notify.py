"""PostgreSQL's half of waking subscribers: a statement that writes events sends one NOTIFY,
delivered when its transaction commits and never when it rolls back (migration 0009), unless
its session says it notifies itself (migration 0015): the server, after its commits,
coalesced (app.db.event_notify.Notifier)."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from app.db import event_notify
from app.db.engine import create_engine
from app.db.event_notify import CHANNEL, NOTIFY_BY_APP, notifier_of, settle
from app.db.migrate import downgrade, upgrade
from app.settings import Settings
from tests.conftest import GraphQLClient, scratch_database
from tests.engine.support import REDEEM, gid, open_shop
from tests.mutations.test_generate_codes import GENERATE, generate
from tests.subscriptions.support import PATIENCE_SECONDS
from tests.subscriptions.test_subscriptions import CREATE_CODE

pytestmark = pytest.mark.postgres_only

INSERT = """INSERT INTO event (id, position, type, site_id, organisation_id, object_type,
  object_id, object_updated_at, payload, occurred_at)
  VALUES ($1, 0, 'coupon.created', NULL, 1, 'Coupon', 1, now(), '{}', now())"""
BEFORE_0015 = "0014_counters_unindexed"
COUNT = sa.text("SELECT count(*) FROM event")


@pytest.fixture(autouse=True)
def postgresql_only(database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("LISTEN/NOTIFY: PostgreSQL (set TEST_DATABASE_URL)")


async def test_notify_on_commit_only(database_url: str, db: Any) -> None:
    dsn = make_url(database_url).set(drivername="postgresql").render_as_string(False)
    listener, writer = await asyncpg.connect(dsn), await asyncpg.connect(dsn)
    heard: asyncio.Queue[str] = asyncio.Queue()
    try:
        await listener.add_listener(CHANNEL, lambda *args: heard.put_nowait(args[3]))
        transaction = writer.transaction()
        await transaction.start()
        await writer.execute(INSERT, uuid.uuid4())
        await transaction.rollback()
        async with writer.transaction():
            # Two statements, one notification (PostgreSQL folds equal ones of a transaction).
            await writer.execute(INSERT, uuid.uuid4())
            await writer.execute(INSERT, uuid.uuid4())
            assert heard.empty()  # not before the commit
        assert await asyncio.wait_for(heard.get(), 30) == ""
        # A round trip on the listener's connection delivers anything still pending.
        await listener.execute("SELECT 1")
        assert heard.empty()
    finally:
        await listener.close()
        await writer.close()


@contextlib.asynccontextmanager
async def listening(database_url: str) -> AsyncIterator[asyncio.Queue[str]]:
    """The notifications a connection of its own (another process's listener) hears."""
    dsn = make_url(database_url).set(drivername="postgresql").render_as_string(False)
    listener = await asyncpg.connect(dsn)
    heard: asyncio.Queue[str] = asyncio.Queue()
    try:
        await listener.add_listener(CHANNEL, lambda *args: heard.put_nowait(args[3]))
        yield heard
    finally:
        await listener.close()


async def test_the_trigger_is_silent_for_a_session_that_notifies_itself(
    database_url: str, db: Any
) -> None:
    dsn = make_url(database_url).set(drivername="postgresql").render_as_string(False)
    writer = await asyncpg.connect(dsn, server_settings={NOTIFY_BY_APP: "on"})
    try:
        async with listening(database_url) as heard:
            await writer.execute(INSERT, uuid.uuid4())
            await writer.execute(f"SET {NOTIFY_BY_APP} = off")
            await writer.execute(INSERT, uuid.uuid4())  # now as any other writer
            assert await asyncio.wait_for(heard.get(), 30) == ""
            await writer.execute(f"NOTIFY {CHANNEL}, 'marker'")
            # Delivered in commit order: nothing but the marker after the second insert's.
            assert await asyncio.wait_for(heard.get(), 30) == "marker"
    finally:
        await writer.close()


async def test_the_servers_connections_say_it_notifies_itself(app: Any, db: Any) -> None:
    async with app.state.engine.connect() as connection:
        setting = sa.text(f"SELECT current_setting('{NOTIFY_BY_APP}', true)")
        assert (await connection.execute(setting)).scalar_one() == "on"
    assert notifier_of(app.state.engine.sync_engine) is not None


async def heard_all(engine: Any, heard: asyncio.Queue[str]) -> None:
    """Takes every notification sent so far (a marker sent now is heard after them)."""
    async with engine.connect() as connection:
        await connection.execute(sa.text(f"NOTIFY {CHANNEL}, 'marker'"))
        await connection.commit()
    while await asyncio.wait_for(heard.get(), PATIENCE_SECONDS) != "marker":
        pass


async def test_a_redemption_and_mutations_through_the_server_notify_another_connection(
    database_url: str, app: Any, gql: GraphQLClient, make: Any
) -> None:
    shop = await open_shop(make)
    coupon = await make.coupon(shop.site)
    await make.coupon_code(coupon, code="HEARD", multi_use=True)
    async with listening(database_url) as heard:
        answer = await gql(REDEEM, {"input": shop.attempt("HEARD", idempotencyKey="heard-1")})
        assert answer["redeemCode"]["redemption"] is not None
        assert await asyncio.wait_for(heard.get(), PATIENCE_SECONDS) == ""
        await settle(app.state.engine)
        await heard_all(app.state.engine, heard)
        await gql(CREATE_CODE, {"site": gid(shop.site), "code": "HEARD2"})
        assert await asyncio.wait_for(heard.get(), PATIENCE_SECONDS) == ""
        # generated codes: their events go in with each chunk's codes (app.db.codes)
        await settle(app.state.engine)
        await heard_all(app.state.engine, heard)
        answer = await gql(GENERATE, generate(coupon, 3))
        assert answer["generateCouponCodes"]["count"] == 3
        assert await asyncio.wait_for(heard.get(), PATIENCE_SECONDS) == ""


async def test_a_burst_of_redemptions_costs_few_notifications_and_one_after_the_last_commit(
    database_url: str, app: Any, gql: GraphQLClient, make: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    shop = await open_shop(make)
    coupon = await make.coupon(shop.site)
    await make.coupon_code(coupon, code="BURST", multi_use=True)
    engine = app.state.engine
    notifier = notifier_of(engine.sync_engine)
    assert notifier is not None
    # Sends far apart, so that the burst's commits meet sends in flight.
    monkeypatch.setattr(event_notify, "NOTIFY_SPACING_SECONDS", 0.5)
    seen: list[int] = []
    send = notifier._send

    async def counting_send() -> None:
        # The events committed when this NOTIFY goes out.
        async with engine.connect() as connection:
            seen.append((await connection.execute(COUNT)).scalar_one())
        await send()

    monkeypatch.setattr(notifier, "_send", counting_send)
    burst = 30
    async with listening(database_url) as heard:
        await settle(engine)
        await heard_all(engine, heard)
        await asyncio.gather(*(
            gql(REDEEM, {"input": shop.attempt("BURST", idempotencyKey=f"burst-{n}")})
            for n in range(burst)
        ))  # fmt: skip
        await settle(engine)
        async with engine.connect() as connection:
            total = (await connection.execute(COUNT)).scalar_one()
        # The last NOTIFY went out after every redemption's event was committed.
        assert seen and seen[-1] == total
        assert await asyncio.wait_for(heard.get(), PATIENCE_SECONDS) == ""
        notifications = 1 + heard.qsize()
    assert notifications == len(seen) < burst


async def test_the_migration_silences_the_trigger_for_such_sessions_and_back(
    database_url: str,
) -> None:
    async with scratch_database("discounts_notify_migration") as url:
        engine = create_engine(Settings(database_url=url))
        dsn = make_url(url).set(drivername="postgresql").render_as_string(False)
        try:
            for step, silent in (("before", False), ("upgrade", True), ("downgrade", False)):
                if step == "upgrade":
                    await upgrade(engine)
                else:
                    await (upgrade if step == "before" else downgrade)(engine, BEFORE_0015)
                writer = await asyncpg.connect(dsn, server_settings={NOTIFY_BY_APP: "on"})
                try:
                    async with listening(url) as heard:
                        await writer.execute(INSERT, uuid.uuid4())
                        await writer.execute(f"NOTIFY {CHANNEL}, 'marker'")
                        first = await asyncio.wait_for(heard.get(), PATIENCE_SECONDS)
                    assert first == ("marker" if silent else ""), step
                finally:
                    await writer.close()
        finally:
            await engine.dispose()


async def test_the_notifier_sends_on_a_connection_of_its_own_closed_with_the_engine(
    settings: Any, db: Any
) -> None:
    engine = create_engine(settings, notifies_events=True)
    notifier = notifier_of(engine.sync_engine)
    assert notifier is not None
    sender = notifier._send.__self__  # type: ignore[attr-defined]
    try:
        notifier.mark()
        await notifier.settle()
        connection = sender._connection
        assert connection is not None and not connection.is_closed()
        notifier.mark()
        await notifier.settle()
        assert sender._connection is connection  # kept between sends
    finally:
        await engine.dispose()
    assert connection.is_closed() and sender._connection is None


async def test_a_send_still_waiting_when_the_engine_is_disposed_opens_nothing(
    settings: Any, db: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(event_notify, "NOTIFY_SPACING_SECONDS", 0.3)
    engine = create_engine(settings, notifies_events=True)
    notifier = notifier_of(engine.sync_engine)
    assert notifier is not None
    sender = notifier._send.__self__  # type: ignore[attr-defined]
    notifier.mark()
    await notifier.settle()  # the first send, now
    notifier.mark()  # the next waits for the spacing
    await engine.dispose()
    await asyncio.sleep(0.5)
    assert sender._connection is None  # not opened again after the dispose
