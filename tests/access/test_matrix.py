"""Every query and mutation of the schema against every kind of caller (issue 5, "Done when").

Columns: no token, an expired token, a badly signed one, one addressed to another audience
(the app under test accepts only `aud: discounts`), a token holding every role but the ones
that would do, the role on another site only, the role on the record's site, an administrator.

- the first four: UNAUTHENTICATED, HTTP 401 with `WWW-Authenticate: Bearer` (plus
  `error="invalid_token"` when a token was presented and refused), no `data`;
- role missing: FORBIDDEN, HTTP 403, no `data`; a write changes nothing;
- role on another site: a fetch answers null, a list shows only the other site's records, a
  code check or a write is FORBIDDEN (403) and changes nothing (a write of an `unseen` record:
  the user error NOT_FOUND, as for an id of nothing);
- role on the site, administrator: the operation succeeds; a write stamps `updatedBy` with the
  token's subject.

`matrix.OPERATIONS` must cover every root field: a new query or mutation without an entry
fails `test_every_root_field_is_in_the_matrix`.
"""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from app.graphql.schema import build_schema
from tests.access.matrix import CHECK, FEED, FETCH, LIST, OPERATIONS, SIBLING, WRITE, Op
from tests.access.support import EVERY_ROLE, Client, World, gid, grant, mint

NO_TOKEN, EXPIRED, BAD_SIGNATURE, WRONG_AUDIENCE = (
    "none",
    "expired",
    "bad-signature",
    "wrong-audience",
)
ROLE_MISSING, OTHER_SITE, THIS_SITE, ADMIN = "role-missing", "other-site", "this-site", "admin"
KINDS = [
    NO_TOKEN,
    EXPIRED,
    BAD_SIGNATURE,
    WRONG_AUDIENCE,
    ROLE_MISSING,
    OTHER_SITE,
    THIS_SITE,
    ADMIN,
]
REFUSED_TOKENS = {NO_TOKEN, EXPIRED, BAD_SIGNATURE, WRONG_AUDIENCE}
OTHER_SECRET = "another-secret-that-is-long-enough-for-hs256-9876543210"
ANY_ROLE = "Coupon-Read"  # for records seen by anyone holding a role where they are


def token_for(op: Op, kind: str, world: World, subject: str) -> str | None:
    site_a = world.a.site.id
    role = op.role or ANY_ROLE
    if kind == NO_TOKEN:
        return None
    if kind == EXPIRED:
        return mint(subject, admin=True, ttl_seconds=-3600)
    if kind == BAD_SIGNATURE:
        return mint(subject, admin=True, secret=OTHER_SECRET)
    if kind == WRONG_AUDIENCE:
        return mint(subject, admin=True, audience="elsewhere")
    if kind == ROLE_MISSING:
        if op.role is None:  # any role would do: the token holds none
            return mint(subject)
        others = [r for r in EVERY_ROLE if r not in {op.role, *op.alternatives}]
        return mint(subject, grants=[grant(others, site_a)])
    if op.granted_on == "administrators" and kind in (OTHER_SITE, THIS_SITE):
        # every role there is, on the organisation and its sites: still not an administrator
        return mint(
            subject,
            grants=[
                {"roles": list(EVERY_ROLE), "sites": [site_a], "organisations": [world.org1.id]}
            ],
        )
    if op.granted_on == "organisation" and kind in (OTHER_SITE, THIS_SITE):
        organisation = world.org1 if kind == THIS_SITE else world.org2
        return mint(subject, grants=[{"roles": [role], "organisations": [organisation.id]}])
    if kind == OTHER_SITE:
        return mint(subject, grants=[grant([role], world.sites[op.other].site.id)])
    if kind == THIS_SITE:
        return mint(subject, grants=[grant([role], site_a)])
    return mint(subject, admin=True)


async def stored(engine: AsyncEngine, record: Any) -> Any:
    table: Any = type(record).__table__
    async with engine.connect() as connection:
        return (await connection.execute(sa.select(table).where(table.c.id == record.id))).one()


def codes(body: dict[str, Any]) -> list[Any]:
    return [(e.get("extensions") or {}).get("code") for e in body.get("errors", [])]


def records(result: Any) -> list[dict[str, Any]]:
    record = result["record"]
    return record if isinstance(record, list) else [record]


def test_every_root_field_is_in_the_matrix() -> None:
    schema = build_schema()._schema
    assert schema.mutation_type is not None
    queries, mutations = set(schema.query_type.fields), set(schema.mutation_type.fields)
    covered_queries = {op.field for op in OPERATIONS if op.kind != WRITE}
    covered_mutations = {op.field for op in OPERATIONS if op.kind == WRITE}
    assert queries - covered_queries == set(), "queries without a matrix entry"
    assert mutations - covered_mutations == set(), "mutations without a matrix entry"
    assert covered_queries <= queries and covered_mutations <= mutations, "entries of no field"
    assert len({op.id for op in OPERATIONS}) == len(OPERATIONS)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("op", OPERATIONS, ids=lambda op: op.id)
async def test_access(op: Op, kind: str, client: Client, world: World, engine: AsyncEngine) -> None:
    variables, target = await op.prepare(world)
    subject = f"{kind}.{op.id}@example.com"
    before = await stored(engine, target) if op.kind == WRITE and target is not None else None
    response = await client.post(op.document, variables, token_for(op, kind, world, subject))
    body = response.json()

    if kind in REFUSED_TOKENS:
        assert (response.status_code, codes(body)) == (401, ["UNAUTHENTICATED"]), body
        assert "data" not in body
        challenge = "Bearer" if kind == NO_TOKEN else 'Bearer error="invalid_token"'
        assert response.headers["www-authenticate"] == challenge
    elif op.kind == FEED:
        assert (response.status_code, codes(body)) == (200, []), body
        seen = [n["objectId"] for n in body["data"]["result"]["nodes"]]
        assert (gid(target) in seen) == (kind in (THIS_SITE, ADMIN)), seen
        if kind == OTHER_SITE:
            assert gid(world.sites[op.other].discount_code) in seen, "the other site's own"
    elif kind == OTHER_SITE and op.unseen:
        assert (response.status_code, codes(body)) == (200, []), body
        result = body["data"]["result"]
        assert result["record"] is None
        assert [(e["field"], e["code"]) for e in result["userErrors"]] == [(["id"], "NOT_FOUND")]
    elif (
        kind == ROLE_MISSING
        or (kind == OTHER_SITE and op.kind in (CHECK, WRITE))
        or (kind == THIS_SITE and op.granted_on == "administrators")
    ):
        assert (response.status_code, codes(body)) == (403, ["FORBIDDEN"]), body
        assert "data" not in body
    elif kind == OTHER_SITE:
        assert (response.status_code, codes(body)) == (200, []), body
        result = body["data"]["result"]
        if op.kind == FETCH:
            assert result is None
        else:
            assert op.kind == LIST
            protected = gid(world.a.site) if op.other == SIBLING else gid(world.org1)
            nodes = result["nodes"]
            assert nodes, "the other site's own records are listed"
            assert gid(target) not in [n["id"] for n in nodes]
            assert protected not in [(n.get("owner") or n)["id"] for n in nodes]
    else:
        assert (response.status_code, codes(body)) == (200, []), body
        result = body["data"]["result"]
        if op.kind == FETCH:
            assert result == {"id": gid(target)}
        elif op.kind == LIST:
            assert gid(target) in [n["id"] for n in result["nodes"]]
        elif op.field == "validateCode":
            assert result == {"valid": True, "reason": None, "userErrors": []}
        elif op.field == "validateCodes":
            assert result == {"valid": True, "userErrors": []}
        elif op.field == "codeUsageStats":
            assert result is not None and result["limit"] == 100_000
        else:
            assert result["userErrors"] == []
            written = records(result)
            # (a redelivery writes a delivery, which records no author)
            assert written and all(r.get("updatedBy", subject) == subject for r in written)
            if target is not None:
                assert [r["id"] for r in written] == [gid(target)]
            if op.field in ("redeemCode", "redeemCodes"):
                assert result["valid"] is True
    if before is not None and kind not in (THIS_SITE, ADMIN):
        assert await stored(engine, target) == before, "a refused write changed the record"
