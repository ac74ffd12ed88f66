"""A redemption made through the API reaches a real receiver over HTTP, signed and
verifiable, once; failures are retried with backoff, recorded attempt by attempt, and an
endpoint that fails for the whole retry window is disabled with its reason."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from typing import Any

from app.clock import utcnow
from app.delivery.receiver import Receiver
from app.delivery.worker import Worker
from app.domain.webhooks import RETRY_WINDOW, verify
from tests.engine.support import REDEEM, gid, open_shop
from tests.webhooks.support import DELIVERIES, REDELIVER, create_endpoint, state_change

FEED = """query { events(types: ["redemption.created"]) { nodes { id type objectId } } }"""


async def test_a_redemption_reaches_the_receiver_signed(
    hooks_gql: Any, make: Any, receiver: Receiver, worker: Worker
) -> None:
    shop = await open_shop(make)
    endpoint, secret = await create_endpoint(
        hooks_gql, receiver.url, types=["redemption.created"], siteIds=[gid(shop.site)]
    )
    assert secret.startswith("whsec_") and endpoint["siteIds"] == [gid(shop.site)]
    receiver.secrets.append(secret)
    await make.discount_code(shop.site, code="SAVE")
    answer = await hooks_gql(REDEEM, {"input": shop.attempt("SAVE", idempotencyKey="order-1")})
    redemption = answer["redeemCode"]["redemption"]
    assert redemption is not None, answer
    await worker.round()
    (got,) = receiver.received
    assert got.verified
    document = got.document()
    (fed,) = (await hooks_gql(FEED))["events"]["nodes"]
    assert document["id"] == fed["id"] == got.event_id
    assert document["type"] == "redemption.created" and got.attempt == 1
    assert document["objectId"] == redemption["id"] == fed["objectId"]
    assert document["payload"]["id"] == redemption["id"]  # type: ignore[index]
    # the receiver's few lines: verify the raw body under the secret, refuse a changed one
    header = got.headers["discounts-signature"]
    assert verify(secret, header, got.body, time.time())
    assert not verify(secret, header, got.body.replace(b"created", b"voided"), time.time())
    assert not verify("whsec_other", header, got.body, time.time())
    assert not verify(secret, header, got.body, time.time() + 3600)  # a replay, an hour later
    # delivered once: another round sends nothing
    await worker.round()
    assert len(receiver.received) == 1
    (delivery,) = (await hooks_gql(DELIVERIES))["webhookDeliveries"]["nodes"]
    assert delivery["state"] == "DELIVERED" and delivery["eventId"] == got.event_id
    assert [(a["number"], a["statusCode"], a["succeeded"]) for a in delivery["attempts"]] == [
        (1, 200, True)
    ]


async def test_only_the_events_an_endpoint_takes(
    hooks_gql: Any, make: Any, receiver: Receiver, worker: Worker
) -> None:
    shop = await open_shop(make)
    other = await make.site(shop.organisation)
    await create_endpoint(hooks_gql, receiver.url, siteIds=[gid(shop.site)])
    await make.discount_code(other, code="THERE")
    create = """mutation($site: ID!, $code: String!) { createDiscountCode(input: {siteId: $site,
      code: $code, terms: {kind: PERCENTAGE, percentage: "10"}}) { userErrors { code } } }"""
    for site, code in ((shop.site, "HERE"), (other, "ELSEWHERE")):
        await hooks_gql(create, {"site": gid(site), "code": code})
    await worker.round()
    codes = [r.document()["payload"]["code"] for r in receiver.received]  # type: ignore[index]
    assert codes == ["HERE"]


async def test_failures_are_retried_with_backoff_then_given_up_and_the_endpoint_disabled(
    hooks_gql: Any, make: Any, receiver: Receiver, worker: Worker
) -> None:
    shop = await open_shop(make)
    endpoint, _ = await create_endpoint(hooks_gql, receiver.url)
    receiver.answer = lambda _received: 503
    await make.discount_code(shop.site, code="ONE")
    await hooks_gql(
        """mutation($s: ID!) { createDiscountCode(input: {siteId: $s, code: "TWO",
        terms: {kind: PERCENTAGE, percentage: "5"}}) { userErrors { code } } }""",
        {"s": gid(shop.site)},
    )
    start = utcnow()
    worker.clock = lambda: start
    await worker.round()
    assert len(receiver.received) == 1
    (delivery,) = (await hooks_gql(DELIVERIES))["webhookDeliveries"]["nodes"]
    assert delivery["state"] == "PENDING" and delivery["lastError"].startswith("HTTP 503")
    assert delivery["attempts"][0]["statusCode"] == 503
    # not due again at once: the first retry comes 5 to 10 seconds later
    worker.clock = lambda: start + timedelta(seconds=4)
    await worker.round()
    assert len(receiver.received) == 1
    worker.clock = lambda: start + timedelta(seconds=11)
    await worker.round()
    assert [r.attempt for r in receiver.received] == [1, 2]
    # three days of failures later: the last attempt, then the delivery is given up and the
    # endpoint, which never succeeded in that time, is disabled with its reason
    worker.clock = lambda: start + RETRY_WINDOW + timedelta(minutes=1)
    await worker.round()
    (delivery,) = (await hooks_gql(DELIVERIES))["webhookDeliveries"]["nodes"]
    assert delivery["state"] == "FAILED" and delivery["attemptCount"] == 3
    found = (
        await hooks_gql(
            f'query {{ webhookEndpoint(id: "{endpoint["id"]}") {{ disabledAt disabledReason }} }}'
        )
    )["webhookEndpoint"]
    assert found["disabledAt"] is not None
    assert "3 days" in found["disabledReason"] and "HTTP 503" in found["disabledReason"]
    # redelivered once the receiver is back: enabled, it is sent again and succeeds
    receiver.answer = lambda _received: 200
    redelivered = (
        await hooks_gql(
            REDELIVER, {"event": receiver.received[0].event_id, "endpoint": endpoint["id"]}
        )
    )["redeliverEvent"]
    assert redelivered["userErrors"] == [] and redelivered["delivery"]["state"] == "PENDING"
    worker.clock = utcnow
    await worker.round()
    assert len(receiver.received) == 3  # disabled: nothing sent
    enabled = await state_change(hooks_gql, "enableWebhookEndpoint", endpoint["id"])
    assert enabled["endpoint"]["disabledAt"] is None and enabled["userErrors"] == []
    await worker.round()
    assert receiver.received[-1].attempt == 4
    (delivery,) = (await hooks_gql(DELIVERIES))["webhookDeliveries"]["nodes"]
    assert delivery["state"] == "DELIVERED"
    assert [a["succeeded"] for a in delivery["attempts"]] == [False, False, False, True]
    assert json.loads(receiver.received[-1].body)["id"] == delivery["eventId"]
