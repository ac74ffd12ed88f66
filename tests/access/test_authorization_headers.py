"""Two `Authorization` headers (issue 22, item 5) are refused with HTTP 400 before any work:
the first one used to be taken silently, so a proxy that adds its own credentials behind a
client's (or reads the other one) would not see the caller the service serves."""

from __future__ import annotations

from typing import Any

import pytest

from tests.access.support import GRAPHQL_RESPONSE_JSON, Client, World, grant, mint

QUERY = "{ coupons(first: 5) { nodes { id } } }"


def codes(body: dict[str, Any]) -> list[Any]:
    return [(e.get("extensions") or {}).get("code") for e in body.get("errors", [])]


def tokens(world: World) -> tuple[str, str]:
    admin = mint("admin@example.com", admin=True)
    reader = mint("reader@example.com", grants=[grant(["Coupon-List"], world.sites["B"].site.id)])
    return admin, reader


@pytest.mark.parametrize("method", ["POST", "GET"])
@pytest.mark.parametrize("order", ["admin first", "reader first", "the same twice"])
async def test_two_authorization_headers_are_refused(
    client: Client, world: World, method: str, order: str
) -> None:
    admin, reader = tokens(world)
    pair = {
        "admin first": (admin, reader),
        "reader first": (reader, admin),
        "the same twice": (admin, admin),
    }[order]
    headers = [("accept", GRAPHQL_RESPONSE_JSON), *(("authorization", f"Bearer {t}") for t in pair)]
    if method == "POST":
        response = await client.http.post("/graphql", json={"query": QUERY}, headers=headers)
    else:
        response = await client.http.get("/graphql", params={"query": QUERY}, headers=headers)
    body = response.json()
    assert (response.status_code, codes(body)) == (400, ["BAD_REQUEST"]), body
    assert body["errors"][0]["message"] == "Send one Authorization header: the request has 2."
    assert "data" not in body


async def test_one_authorization_header_is_read_as_before(client: Client, world: World) -> None:
    admin, reader = tokens(world)
    everything = (await client.post(QUERY, token=admin)).json()["data"]["coupons"]["nodes"]
    site_b = (await client.post(QUERY, token=reader)).json()["data"]["coupons"]["nodes"]
    assert len(everything) > len(site_b) == 1
