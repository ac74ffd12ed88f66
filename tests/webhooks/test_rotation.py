"""rotateWebhookSecret: a new signing secret, shown once; the secret it replaces keeps signing
deliveries beside it for as long as asked (at most a day), then stops. Bad input is named and
changes nothing."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from app.clock import utcnow
from app.db.tables import WEBHOOK_ENDPOINT
from app.delivery.receiver import Receiver
from app.delivery.worker import Worker
from app.domain.webhooks import verify
from app.graphql.ids import decode_id, to_global_id
from tests.conftest import token
from tests.engine.support import gid, open_shop
from tests.webhooks.support import create_endpoint, delivered, state_change

ROTATE = """mutation($id: ID!, $keep: Int! = 0) {
  rotateWebhookSecret(id: $id, previousSecretExpiresIn: $keep) {
    endpoint { id updatedAt updatedBy previousSecretExpiresAt } secret
    userErrors { field code message } } }"""


async def _rotate(gql: Any, endpoint_id: str, keep: int = 0, **kw: Any) -> dict[str, Any]:
    answer: dict[str, Any] = (await gql(ROTATE, {"id": endpoint_id, "keep": keep}, **kw))[
        "rotateWebhookSecret"
    ]
    return answer


async def _delivered_header(
    gql: Any, shop: Any, receiver: Receiver, worker: Worker, code: str
) -> tuple[str, bytes]:
    """The Discounts-Signature and body of the delivery of one new event."""
    got = await delivered(gql, gid(shop.site), code, receiver, worker)
    return got.headers["discounts-signature"], got.body


def _signed_by(header: str, body: bytes, *secrets: str) -> list[bool]:
    return [verify(secret, header, body, time.time()) for secret in secrets]


async def test_the_replaced_secret_signs_beside_the_new_one_until_it_expires(
    hooks_gql: Any, make: Any, receiver: Receiver, worker: Worker, db: AsyncEngine
) -> None:
    shop = await open_shop(make)
    endpoint, first = await create_endpoint(hooks_gql, receiver.url, siteIds=[gid(shop.site)])
    before = utcnow()
    rotated = await _rotate(hooks_gql, endpoint["id"], keep=3600)
    assert rotated["userErrors"] == []
    second = rotated["secret"]
    assert second.startswith("whsec_") and second != first
    expires = datetime.fromisoformat(rotated["endpoint"]["previousSecretExpiresAt"])
    assert before + timedelta(seconds=3600) <= expires <= utcnow() + timedelta(seconds=3600)
    header, body = await _delivered_header(hooks_gql, shop, receiver, worker, "DURING")
    assert header.count("v1=") == 2
    assert _signed_by(header, body, second, first, "whsec_other") == [True, True, False]
    # once the replaced secret expires, only the new one signs
    async with db.begin() as connection:
        await connection.execute(
            sa.update(WEBHOOK_ENDPOINT)
            .where(
                WEBHOOK_ENDPOINT.c.id == decode_id(endpoint["id"], "WebhookEndpoint", field="id")
            )
            .values(previous_secret_expires_at=utcnow() - timedelta(seconds=1))
        )
    header, body = await _delivered_header(hooks_gql, shop, receiver, worker, "AFTER")
    assert header.count("v1=") == 1
    assert _signed_by(header, body, second, first) == [True, False]
    listed = await hooks_gql("""query { webhookEndpoints { nodes { previousSecretExpiresAt } } }""")
    assert listed["webhookEndpoints"]["nodes"] == [{"previousSecretExpiresAt": None}]


async def test_without_a_grace_period_the_old_secret_stops_at_once(
    hooks_gql: Any, make: Any, receiver: Receiver, worker: Worker
) -> None:
    shop = await open_shop(make)
    endpoint, first = await create_endpoint(hooks_gql, receiver.url, siteIds=[gid(shop.site)])
    rotated = await _rotate(hooks_gql, endpoint["id"])
    assert rotated["userErrors"] == [] and rotated["endpoint"]["previousSecretExpiresAt"] is None
    header, body = await _delivered_header(hooks_gql, shop, receiver, worker, "NOW")
    assert _signed_by(header, body, rotated["secret"], first) == [True, False]


async def test_a_second_rotation_keeps_only_the_secret_it_replaces(
    hooks_gql: Any, make: Any, receiver: Receiver, worker: Worker
) -> None:
    shop = await open_shop(make)
    endpoint, first = await create_endpoint(hooks_gql, receiver.url, siteIds=[gid(shop.site)])
    second = (await _rotate(hooks_gql, endpoint["id"], keep=600))["secret"]
    third = (await _rotate(hooks_gql, endpoint["id"], keep=600))["secret"]
    header, body = await _delivered_header(hooks_gql, shop, receiver, worker, "THIRD")
    assert _signed_by(header, body, third, second, first) == [True, True, False]


async def test_bad_input_is_named_and_changes_nothing(
    hooks_gql: Any, make: Any, receiver: Receiver, worker: Worker
) -> None:
    shop = await open_shop(make)
    other = await make.site(shop.organisation)
    endpoint, first = await create_endpoint(hooks_gql, receiver.url, siteIds=[gid(shop.site)])
    for keep in (-1, 86_401):
        refused = await _rotate(hooks_gql, endpoint["id"], keep=keep)
        assert refused["secret"] is None and refused["endpoint"] is None
        assert [(e["field"], e["code"]) for e in refused["userErrors"]] == [
            (["previousSecretExpiresIn"], "OUT_OF_RANGE")
        ]
        assert "86,400 seconds" in refused["userErrors"][0]["message"]
    unknown = await _rotate(hooks_gql, to_global_id("WebhookEndpoint", 10**9))
    assert [e["field"] for e in unknown["userErrors"]] == [["id"]]
    # a manager of another site may not rotate this endpoint's secret
    manager = token(subject="m", grants=[{"roles": ["Site-Edit"], "sites": [other.id]}])
    errors = await hooks_gql.errors(ROTATE, {"id": endpoint["id"]}, token=manager)
    assert errors[0]["extensions"]["code"] == "FORBIDDEN"
    header, body = await _delivered_header(hooks_gql, shop, receiver, worker, "UNCHANGED")
    assert _signed_by(header, body, first) == [True] and header.count("v1=") == 1
    await state_change(hooks_gql, "deleteWebhookEndpoint", endpoint["id"])
    deleted = await _rotate(hooks_gql, endpoint["id"], keep=60)
    assert [(e["field"], e["code"]) for e in deleted["userErrors"]] == [(["id"], "ALREADY_DELETED")]


async def test_a_site_manager_rotates_the_secret_of_its_sites_endpoint(
    hooks_gql: Any, make: Any
) -> None:
    shop = await open_shop(make)
    manager = token(
        subject="m@example.com", grants=[{"roles": ["Site-Edit"], "sites": [shop.site.id]}]
    )
    endpoint, _ = await create_endpoint(
        hooks_gql, "https://93.184.215.14/m", siteIds=[gid(shop.site)]
    )
    rotated = await _rotate(hooks_gql, endpoint["id"], keep=60, token=manager)
    assert rotated["userErrors"] == [] and rotated["secret"].startswith("whsec_")
    assert rotated["endpoint"]["updatedBy"] == "m@example.com"
