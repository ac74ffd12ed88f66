"""Endpoints through the API: bad input named by field and nothing written, the SSRF guard
at creation and on every delivery, who may manage which endpoint, soft deletion."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from app.delivery.receiver import Receiver
from app.delivery.targets import Resolver
from app.delivery.worker import Worker
from tests.conftest import token
from tests.engine.support import gid, open_shop
from tests.webhooks.conftest import worker_options
from tests.webhooks.support import (
    CODE,
    CREATE,
    DELIVERIES,
    ENDPOINTS,
    UPDATE,
    create_endpoint,
    state_change,
)


async def _problems(gql: Any, document: str, values: dict[str, Any], name: str) -> list[Any]:
    answer = (await gql(document, {"input": values}))[name]
    assert answer["endpoint"] is None
    return [(".".join(e["field"]), e["code"], e["message"]) for e in answer["userErrors"]]


async def test_bad_input_is_named_and_nothing_is_written(hooks_gql: Any, make: Any) -> None:
    shop = await open_shop(make)
    problems = await _problems(
        hooks_gql,
        CREATE,
        {
            "url": "ftp://example.com/x",
            "types": ["redemption.created", "coupon.exploded"],
            "siteIds": [gid(shop.site), "nonsense"],
        },
        "createWebhookEndpoint",
    )
    assert [(f, c) for f, c, _ in problems] == [("input.siteIds.1", "NOT_FOUND")]
    problems = await _problems(
        hooks_gql,
        CREATE,
        {"url": "ftp://example.com/x", "types": ["coupon.exploded"], "siteIds": [gid(shop.site)]},
        "createWebhookEndpoint",
    )
    assert problems == [
        ("input.url", "INVALID", "an http:// or https:// URL"),
        (
            "input.types.0",
            "INVALID",
            "no event type is called 'coupon.exploded' (e.g. redemption.created, coupon.updated)",
        ),
    ]
    for url, words in (
        ("https://user:pw@example.com/", "without credentials"),
        ("https:///nohost", "with a host"),
        ("https://example.com:99999/", "not a URL"),
    ):
        ((field, code, message),) = await _problems(
            hooks_gql, CREATE, {"url": url}, "createWebhookEndpoint"
        )
        assert (field, code) == ("input.url", "INVALID") and words in message
    assert (await hooks_gql(ENDPOINTS))["webhookEndpoints"]["nodes"] == []
    endpoint, _ = await create_endpoint(hooks_gql, "https://93.184.215.14/a")
    problems = await _problems(
        hooks_gql, UPDATE, {"id": endpoint["id"], "url": "gopher://x"}, "updateWebhookEndpoint"
    )
    assert [(f, c) for f, c, _ in problems] == [("input.url", "INVALID")]
    (kept,) = (await hooks_gql(ENDPOINTS))["webhookEndpoints"]["nodes"]
    assert kept["url"] == "https://93.184.215.14/a"


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://127.0.0.1:9/hooks", "127.0.0.1 is a loopback address"),
        ("http://localhost/hooks", "is a loopback address"),
        ("http://169.254.169.254/latest/meta-data", "169.254.169.254 is a link-local address"),
        ("http://10.1.2.3/", "10.1.2.3 is a private address"),
        ("http://[::1]/", "::1 is a loopback address"),
        ("http://[::ffff:192.168.0.1]/", "is a private address"),
        ("http://0.0.0.0/", "0.0.0.0 is a"),
    ],
)
async def test_private_targets_are_refused(gql: Any, url: str, why: str) -> None:
    """The ordinary app (no setting): a target inside someone's network is refused."""
    answer = (await gql(CREATE, {"input": {"url": url}}))["createWebhookEndpoint"]
    ((field, message),) = [(e["field"], e["message"]) for e in answer["userErrors"]]
    assert field == ["input", "url"] and why in message and message.startswith("refused")
    assert answer["endpoint"] is None and answer["secret"] is None


class Rebinding(Resolver):
    """A name that resolved to a public address when the endpoint was made, and resolves to
    loopback now (DNS rebinding)."""

    async def addresses(self, host: str, port: int) -> list[str]:
        return ["93.184.215.14", "127.0.0.1"]


async def test_every_delivery_checks_the_address_again(
    hooks_gql: Any, make: Any, db: AsyncEngine, receiver: Receiver
) -> None:
    shop = await open_shop(make)
    await create_endpoint(hooks_gql, receiver.url)
    await hooks_gql(CODE, {"s": gid(shop.site), "c": "ONE"})
    guarded = Worker(db, worker_options(allow_private=False))
    try:
        guarded.resolver = Rebinding(allow_private=False)
        await guarded.round()
    finally:
        await guarded.close()
    assert receiver.received == []
    (delivery,) = (await hooks_gql(DELIVERIES))["webhookDeliveries"]["nodes"]
    assert delivery["state"] == "PENDING"
    assert delivery["lastError"] == "refused: 127.0.0.1 resolves to 127.0.0.1 is a loopback address"
    assert delivery["attempts"][0]["statusCode"] is None


async def _a_site_manager(make: Any) -> tuple[Any, Any, str]:
    """A shop, another site of its organisation, and a token that may manage the shop's
    site's endpoints only."""
    shop = await open_shop(make)
    other = await make.site(shop.organisation)
    manager = token(
        subject="m@example.com", grants=[{"roles": ["Site-Edit"], "sites": [shop.site.id]}]
    )
    return shop, other, manager


async def test_a_site_settings_role_manages_its_sites_endpoints_only(
    hooks_gql: Any, make: Any
) -> None:
    shop, other, manager = await _a_site_manager(make)
    mine = (
        await hooks_gql(
            CREATE,
            {"input": {"url": "https://93.184.215.14/m", "siteIds": [gid(shop.site)]}},
            token=manager,
        )
    )["createWebhookEndpoint"]
    assert mine["userErrors"] == [] and mine["endpoint"]["updatedBy"] == "m@example.com"
    for site_ids in ([gid(other)], [gid(shop.site), gid(other)], []):
        errors = await hooks_gql.errors(
            CREATE,
            {"input": {"url": "https://93.184.215.14/x", "siteIds": site_ids}},
            token=manager,
        )
        assert errors[0]["extensions"]["code"] == "FORBIDDEN"
    theirs, _ = await create_endpoint(hooks_gql, "https://93.184.215.14/t", siteIds=[gid(other)])
    listed = (await hooks_gql(ENDPOINTS, token=manager))["webhookEndpoints"]["nodes"]
    assert [e["id"] for e in listed] == [mine["endpoint"]["id"]]
    errors = await hooks_gql.errors(
        UPDATE, {"input": {"id": theirs["id"], "url": "https://93.184.215.14/y"}}, token=manager
    )
    assert errors[0]["extensions"]["code"] == "FORBIDDEN"
    # moving one's endpoint onto a site one does not manage is refused as well
    errors = await hooks_gql.errors(
        UPDATE, {"input": {"id": mine["endpoint"]["id"], "siteIds": [gid(other)]}}, token=manager
    )
    assert errors[0]["extensions"]["code"] == "FORBIDDEN"
    reader = token(subject="r", grants=[{"roles": ["Site-Create"], "sites": [shop.site.id]}])
    errors = await hooks_gql.errors(ENDPOINTS, token=reader)
    assert errors[0]["extensions"]["code"] == "FORBIDDEN"


async def test_a_deleted_endpoint_is_sent_nothing_until_restored(
    hooks_gql: Any, make: Any, receiver: Receiver, worker: Worker
) -> None:
    shop = await open_shop(make)
    endpoint, _ = await create_endpoint(hooks_gql, receiver.url)
    deleted = await state_change(hooks_gql, "deleteWebhookEndpoint", endpoint["id"])
    assert deleted["endpoint"]["deletedAt"] is not None
    again = await state_change(hooks_gql, "deleteWebhookEndpoint", endpoint["id"])
    assert [(e["field"], e["code"]) for e in again["userErrors"]] == [(["id"], "ALREADY_DELETED")]
    await hooks_gql(CODE, {"s": gid(shop.site), "c": "WHILE-DELETED"})
    await worker.round()
    assert receiver.received == []
    listed = (await hooks_gql(ENDPOINTS, {"deleted": True}))["webhookEndpoints"]["nodes"]
    assert [e["id"] for e in listed] == [endpoint["id"]]
    restored = await state_change(hooks_gql, "restoreWebhookEndpoint", endpoint["id"])
    assert restored["endpoint"]["deletedAt"] is None
    await worker.round()
    assert len(receiver.received) == 0  # made while it was deleted: not owed
    await hooks_gql(CODE, {"s": gid(shop.site), "c": "AFTER"})
    await worker.round()
    assert [r.document()["payload"]["code"] for r in receiver.received] == ["AFTER"]  # type: ignore[index]


COUNTED = """query($deleted: Boolean! = false, $first: Int! = 100) {
  webhookEndpoints(deleted: $deleted, first: $first) {
    nodes { id } pageInfo { hasNextPage } totalCount } }"""


async def test_total_count_is_over_all_pages_of_what_the_caller_may_manage(
    hooks_gql: Any, make: Any
) -> None:
    shop, other, manager = await _a_site_manager(make)
    for n in range(3):
        await create_endpoint(hooks_gql, f"https://93.184.215.14/{n}", siteIds=[gid(shop.site)])
    gone, _ = await create_endpoint(hooks_gql, "https://93.184.215.14/o", siteIds=[gid(other)])
    await state_change(hooks_gql, "deleteWebhookEndpoint", gone["id"])
    page = (await hooks_gql(COUNTED, {"first": 2}))["webhookEndpoints"]
    assert (len(page["nodes"]), page["pageInfo"]["hasNextPage"], page["totalCount"]) == (2, True, 3)
    mine = (await hooks_gql(COUNTED, token=manager))["webhookEndpoints"]
    assert (len(mine["nodes"]), mine["totalCount"]) == (3, 3)
    deleted = (await hooks_gql(COUNTED, {"deleted": True}))["webhookEndpoints"]
    assert [e["id"] for e in deleted["nodes"]] == [gone["id"]] and deleted["totalCount"] == 1
    # the other site's endpoint is not the manager's to count, deleted or not
    theirs = (await hooks_gql(COUNTED, {"deleted": True}, token=manager))["webhookEndpoints"]
    assert theirs == {"nodes": [], "pageInfo": {"hasNextPage": False}, "totalCount": 0}
