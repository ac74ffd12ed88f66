"""The world the access tests share: two organisations, three sites, a record of every type on
each, tokens of every kind, and an HTTP client that asks for `application/graphql-response+json`
(so refusals come back with their status codes).

Site A and its sibling A2 belong to organisation 1; site B to organisation 2. Site-owned records
are tested against A2 (the stricter neighbour: same organisation, another site); organisations
and customers, which are seen from every site of their organisation, against B.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from app.auth import mint_token
from app.auth.roles import Action, RecordType
from app.db import tables as t
from app.graphql.ids import to_global_id
from tests.conftest import TEST_SECRET
from tests.factories import Factory

AUDIENCE = "discounts"
GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
EVERY_ROLE = tuple(f"{rt.value}-{a.value}" for rt in RecordType for a in Action)


def gid(record: Any) -> str:
    """The global id of a record made by the factory."""
    return to_global_id(type(record).__name__, record.id)


@dataclass
class Site:
    """One site and a record of every type on it."""

    site: t.Site
    coupon: t.Coupon
    coupon_code: t.CouponCode
    discount_code: t.DiscountCode
    assignment: t.Assignment
    redemption: t.Redemption


@dataclass
class World:
    make: Factory
    org1: t.Organisation
    org2: t.Organisation
    customer1: t.Customer  # of organisation 1: holds codes of A and A2
    customer2: t.Customer  # of organisation 2
    sites: dict[str, Site] = field(default_factory=dict)

    @property
    def a(self) -> Site:
        return self.sites["A"]


async def seed_world(engine: AsyncEngine) -> World:
    make = Factory(engine)
    org1, org2 = await make.organisation(name="Org One"), await make.organisation(name="Org Two")
    customer1 = await make.customer(org1, full_name="Shared Customer", is_member=True)
    customer2 = await make.customer(org2, full_name="Foreign Customer")
    world = World(make, org1, org2, customer1, customer2)
    for key, organisation, customer in (
        ("A", org1, customer1),
        ("A2", org1, customer1),
        ("B", org2, customer2),
    ):
        site = await make.site(organisation, name=f"Site {key}")
        coupon = await make.coupon(site, name=f"Coupon {key}")
        # The same code string on every site: lookups by code must only find the caller's.
        coupon_code = await make.coupon_code(coupon, code="SHARED-CC", multi_use=True)
        discount_code = await make.discount_code(site, code="SHARED-DC", max_uses=100_000)
        assignment = await make.assignment(customer, discount_code)
        redemption = await make.redemption(
            discount_code, customer_id=customer.id, assignment_id=assignment.id
        )
        await make.assignment(customer, coupon_code)
        await make.redemption(coupon_code, customer_id=customer.id)
        world.sites[key] = Site(site, coupon, coupon_code, discount_code, assignment, redemption)
    return world


def unique(prefix: str = "X") -> str:
    return f"{prefix}{uuid.uuid4().hex[:10].upper()}"


def mint(
    subject: str, *, audience: str | None = AUDIENCE, secret: str = TEST_SECRET, **claims: Any
) -> str:
    return mint_token(secret, subject=subject, audience=audience, **claims)


def grant(roles: list[str] | tuple[str, ...], *site_ids: int) -> dict[str, Any]:
    return {"roles": list(roles), "sites": list(site_ids)}


class Client:
    """GraphQL over HTTP, as a spec-following client asks for it."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def post(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> httpx.Response:
        headers = {"accept": GRAPHQL_RESPONSE_JSON}
        if token is not None:
            headers["authorization"] = f"Bearer {token}"
        return await self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
