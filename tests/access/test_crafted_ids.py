"""Crafted ids (issue 22, item 3): a global id whose number no record can have (2^31 and up,
400 digits), or that is spelt with digits other than ASCII ones (`²`, full-width `１２`), and a
token whose grant names such a site, are answered like any id that names nothing, never with
an internal error (they used to overflow the driver: HTTP 500 with a traceback in the log).

Every operation of the access matrix is sent by an administrator with each of its ids replaced
by a crafted id of the same type, so every id argument (fetches, lookups, filters, mutation
inputs, bulk ids, the engine's inputs) is covered.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

import jwt
import orjson
import pytest
import sqlalchemy as sa
from sqlmodel import SQLModel

from app.domain.record_ids import MAX_RECORD_ID
from app.graphql.ids import parse_global_id
from tests.access.matrix import CHECK, FEED, FETCH, LIST, OPERATIONS, WRITE, Op
from tests.access.support import AUDIENCE, Client, World, gid, mint
from tests.conftest import TEST_SECRET

FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def crafted_numbers(real: int) -> dict[str, str]:
    return {
        "2^31": str(2**31),
        "2^40": str(2**40),
        "400 digits": "9" * 400,
        "superscript two": "²",
        "full-width digits": str(real).translate(FULL_WIDTH),  # int() reads them as `real`
        "leading zero": f"0{real}",  # another spelling of `real`
    }


def craft(value: Any, kind: str) -> Any:
    """`value` with every global id in it replaced by a crafted id of the same type."""
    if isinstance(value, dict):
        return {key: craft(item, kind) for key, item in value.items()}
    if isinstance(value, list):
        return [craft(item, kind) for item in value]
    parsed = parse_global_id(value) if isinstance(value, str) else None
    if parsed is None:
        return value
    type_name, number = parsed
    text = f"{type_name}:{crafted_numbers(number)[kind]}"
    return binascii.b2a_base64(text.encode(), newline=False).decode()


def codes(body: dict[str, Any]) -> list[Any]:
    return [(e.get("extensions") or {}).get("code") for e in body.get("errors", [])]


FILTERED = [
    Op(
        "coupons",
        "query($id: ID!) { result: coupons(filter: {id: {eq: $id}}) { nodes { id } } }",
        None,
        LIST,
        None,
        variant="id",
    ),  # type: ignore[arg-type]
    Op(
        "coupons",
        "query($id: ID!) { result: coupons(filter: {siteId: {in: [$id]}}) { nodes { id } } }",
        None,
        LIST,
        None,
        variant="siteId",
    ),  # type: ignore[arg-type]
    Op(
        "customers",
        "query($id: ID!) { result: customers(filter: {organisationId: {eq: $id}}) { nodes { id } } }",
        None,
        LIST,
        None,
        variant="organisationId",
    ),  # type: ignore[arg-type]
    Op(
        "events",
        "query($id: ID!) { result: events(siteId: $id) { nodes { id } } }",
        None,
        FEED,
        None,
        variant="siteId",
    ),  # type: ignore[arg-type]
]
NO_IDS = {"createOrganisation"}  # its input names no record
WITH_IDS = [op for op in OPERATIONS if op.kind not in (LIST, FEED) and op.field not in NO_IDS]
WITH_IDS += FILTERED
KINDS = list(crafted_numbers(1))


async def variables_for(op: Op, world: World) -> dict[str, Any]:
    if op.prepare is not None:
        return (await op.prepare(world))[0]
    record = {"id": world.a.coupon, "siteId": world.a.site, "organisationId": world.org1}[
        op.variant
    ]
    return {"id": gid(record)}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("op", WITH_IDS, ids=lambda op: op.id)
async def test_a_crafted_id_names_nothing(op: Op, kind: str, client: Client, world: World) -> None:
    variables = await variables_for(op, world)
    crafted = craft(variables, kind)
    assert crafted != variables, "the operation has an id to craft"
    response = await client.post(op.document, crafted, mint("crafter@example.com", admin=True))
    body = response.json()
    assert response.status_code in (200, 400), body
    assert set(codes(body)) <= {"BAD_USER_INPUT"}, body
    result = (body.get("data") or {}).get("result")
    if op.kind == FETCH:
        assert result is None, body  # a full-width spelling of a real id is not that record
    elif op.kind in (LIST, FEED):
        assert codes(body) or result == {"nodes": []}, body
    elif op.field in ("validateCode", "validateCodes"):  # bad input as redeemCode reports it
        assert result["userErrors"], body
        assert {e["code"] for e in result["userErrors"]} == {"INVALID"}, body
    elif op.kind == CHECK:
        assert codes(body) == ["BAD_USER_INPUT"], body
    else:
        assert op.kind == WRITE
        assert codes(body) or result["userErrors"], body
        assert all(e["code"] in ("NOT_FOUND", "INVALID") for e in result["userErrors"]), body


def forged_grant_token(site_ids: list[Any]) -> str:
    """A well-signed token whose grant names `site_ids` (the minting helper refuses them)."""
    claims = {
        "sub": "crafter@example.com",
        "aud": AUDIENCE,
        "exp": 4102444800,
        "grants": [{"roles": ["Coupon-List"], "sites": site_ids}],
    }
    return jwt.encode(claims, TEST_SECRET, algorithm="HS256")


@pytest.mark.parametrize(
    "site_id",
    [2**31, 2**40, 10**400 - 1, 0, -1],
    ids=["2^31", "2^40", "400 digits", "zero", "negative"],
)
async def test_a_grant_naming_a_site_id_no_site_can_have_is_refused(
    client: Client, world: World, site_id: int
) -> None:
    response = await client.post(
        "{ coupons { nodes { id } } }", token=forged_grant_token([site_id])
    )
    body = response.json()
    assert (response.status_code, codes(body)) == (401, ["UNAUTHENTICATED"]), body
    assert "grants[0].sites" in body["errors"][0]["message"]
    # The same grant naming a real site answers
    response = await client.post(
        "{ coupons { nodes { id } } }", token=forged_grant_token([world.a.site.id])
    )
    assert response.status_code == 200 and codes(response.json()) == []


def test_every_spelling_of_a_number_but_the_canonical_one_is_refused() -> None:
    real = base64.b64encode(b"Coupon:12").decode()
    assert parse_global_id(real) == ("Coupon", 12)
    for kind, number in crafted_numbers(12).items():
        crafted = base64.b64encode(f"Coupon:{number}".encode()).decode()
        assert parse_global_id(crafted) is None, kind
    largest = base64.b64encode(f"Coupon:{2**31 - 1}".encode()).decode()
    assert parse_global_id(largest) == ("Coupon", 2**31 - 1)


@pytest.mark.parametrize("number", [2**31, 2**40, 2**63 - 1])
async def test_a_cursor_naming_an_id_no_record_can_have_is_refused(
    client: Client, world: World, number: int
) -> None:
    token = mint("crafter@example.com", admin=True)
    page = "query($after: String) { coupons(first: 1, after: $after) { nodes { id } pageInfo { endCursor } } }"
    cursor = (await client.post(page, {}, token)).json()["data"]["coupons"]["pageInfo"]["endCursor"]
    name, values = orjson.loads(base64.urlsafe_b64decode(cursor))
    values[-1] = number  # the id that breaks ties
    crafted = base64.urlsafe_b64encode(orjson.dumps([name, values])).decode()
    response = await client.post(page, {"after": crafted}, token)
    body = response.json()
    assert (response.status_code, codes(body)) == (200, ["BAD_USER_INPUT"]), body
    assert body["errors"][0]["extensions"]["field"] == "after"


def test_the_id_range_is_the_range_of_the_key_columns() -> None:
    # MAX_RECORD_ID is PostgreSQL's INTEGER: a key made BIGINT must move it (and the tokens).
    assert MAX_RECORD_ID == 2**31 - 1
    # A change event's sequence is no record's id (no global id names it; only the feed's
    # cursors carry it): BIGINT, so the outbox never runs out. The webhook cursor's row is
    # keyed by a name, no record's id either.
    keys = [
        c
        for table in SQLModel.metadata.sorted_tables
        if table.name not in ("event", "webhook_cursor")
        for c in table.c
        if (c.primary_key and len(table.primary_key.columns) == 1) or c.foreign_keys
    ]
    # A usage counter's key is (owner type, owner id, key string): only the owner id is a record's.
    keys.append(SQLModel.metadata.tables["usage_counter"].c.owner_id)
    assert keys and all(type(c.type) is sa.Integer for c in keys), [
        (c.table.name, c.name, c.type) for c in keys
    ]
