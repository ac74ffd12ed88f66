"""The access matrix's table: one minimal valid operation per root field of the schema, the role
that lets a caller run it on site A, and what the caller sees when it may not.

Kinds of operation, and what each answers to a caller without the right:
- FETCH (a record by id or code): the role missing anywhere is FORBIDDEN; held on another site
  only, the answer is null (a record the caller may not read is indistinguishable from none);
- LIST: the role missing is FORBIDDEN; held on another site, the list holds that site's
  records and none of site A's;
- FEED (events): never refused to a valid token; without the role that reads the record on
  its site the record's events are left out (the other site's own are there);
- CHECK (validateCode, validateCodes, codeUsageStats) and WRITE (every mutation): FORBIDDEN either way, the
  write not made; but a write whose refusal would tell what the record is (`unseen`:
  voidRedemption, whose missing role names the redeemed code's type) answers a record on
  another site with the user error NOT_FOUND, as it answers an id of nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from app.db import events, row_statements
from app.db import tables as t
from tests.access.support import World, gid, unique

FETCH, LIST, CHECK, WRITE = "fetch", "list", "check", "write"
# The change feed (`events`): no role refuses it; each caller sees the events of the objects
# it may read, and none of the others.
FEED = "feed"
SIBLING, FOREIGN = "A2", "B"  # site-owned records vs organisations and customers
BOOKING = {"category": "BOOKING", "itemId": "room-1", "quantity": 2, "unitPrice": 1000}
ERRORS = "userErrors { field code message }"

Prepared = tuple[dict[str, Any], Any]  # (variables, the site-A record the operation is about)


@dataclass(frozen=True)
class Op:
    field: str
    document: str
    prepare: Callable[[World], Awaitable[Prepared]]
    kind: str
    # The role that suffices on the record's site; None: any role there (sites and
    # organisations are seen by anyone holding a role where they are).
    role: str | None
    # Other roles that would do as well: left out, with `role`, of the "role missing" token.
    alternatives: tuple[str, ...] = ()
    other: str = SIBLING
    variant: str = ""
    # The record written, read back to show that a refused write changed nothing (None: a
    # create, nothing to read back).
    checks_target: bool = True
    # With the role on another site only, the record is as missing (NOT_FOUND), not FORBIDDEN.
    unseen: bool = False
    # Where the role is granted to suffice: on the record's site, on its organisation (the
    # site's own writes, whose record may be a new site), or nowhere (administrators only).
    granted_on: str = "site"

    @property
    def id(self) -> str:
        return f"{self.field}[{self.variant}]" if self.variant else self.field


def _fixed(pick: Callable[[World], Any], **extra: Any) -> Callable[[World], Awaitable[Prepared]]:
    async def prepare(world: World) -> Prepared:
        record = pick(world)
        return {"id": gid(record), **extra}, record

    return prepare


def fetch(field: str, pick: Callable[[World], Any], role: str | None, **kw: Any) -> Op:
    document = f"query($id: ID!) {{ result: {field}(id: $id) {{ id }} }}"
    return Op(field, document, _fixed(pick), FETCH, role, **kw)


def listing(
    field: str,
    pick: Callable[[World], Any],
    role: str | None,
    owner: str = "owner: site { id }",
    **kw: Any,
) -> Op:
    document = f"{{ result: {field}(first: 100) {{ nodes {{ id {owner} }} }} }}"
    return Op(field, document, _fixed(pick), LIST, role, **kw)


# -- reads --------------------------------------------------------------------------------


async def _discount_code_by_code(world: World) -> Prepared:
    return {"code": " shared-dc ", "site": gid(world.a.site)}, world.a.discount_code


async def _coupon_code_lookup(world: World) -> Prepared:
    return {"code": "Shared-CC"}, world.a.coupon_code


async def _feed(world: World) -> Prepared:
    """An event of every site's discount code (the world is seeded without events)."""
    async with world.make.sessions() as session, session.begin():
        for site in world.sites.values():
            row = await row_statements.stored_row(session, t.DISCOUNT_CODE, site.discount_code.id)
            events.record(session, t.DISCOUNT_CODE, events.Verb.UPDATED, row)
    return {}, world.a.discount_code


def _attempt(world: World, **extra: Any) -> dict[str, Any]:
    return {
        "code": "shared-dc",
        "siteId": gid(world.a.site),
        "currency": "GBP",
        "customerId": gid(world.customer1),
        "lines": [BOOKING],
        **extra,
    }


async def _validate(world: World) -> Prepared:
    return {"input": _attempt(world)}, world.a.discount_code


async def _validate_codes(world: World) -> Prepared:
    given = _attempt(world)
    given["codes"] = [given.pop("code")]
    return {"input": given}, world.a.discount_code


async def _usage_stats(world: World) -> Prepared:
    variables = {"code": "SHARED-DC", "day": date.today().isoformat(), "site": gid(world.a.site)}
    return variables, world.a.discount_code


CODE_TYPES_READ_OR_REDEEM = ("CouponCode-Read", "CouponCode-Redeem", "DiscountCode-Read")

READS = [
    fetch("node", lambda w: w.a.coupon, "Coupon-Read"),
    fetch("node", lambda w: w.customer1, "Customer-Read", other=FOREIGN, variant="Customer"),
    fetch("organisation", lambda w: w.org1, None, other=FOREIGN),
    fetch("site", lambda w: w.a.site, None),
    fetch("customer", lambda w: w.customer1, "Customer-Read", other=FOREIGN),
    fetch("coupon", lambda w: w.a.coupon, "Coupon-Read"),
    fetch("couponCode", lambda w: w.a.coupon_code, "CouponCode-Read"),
    fetch("assignment", lambda w: w.a.assignment, "Assignment-Read"),
    fetch("redemption", lambda w: w.a.redemption, "Redemption-Read"),
    fetch("discountCode", lambda w: w.a.discount_code, "DiscountCode-Read", variant="id"),
    Op(
        "discountCode",
        "query($code: String!, $site: ID!) { result: discountCode(code: $code, siteId: $site) { id } }",
        _discount_code_by_code,
        FETCH,
        "DiscountCode-Read",
        variant="code",
    ),
    listing("organisations", lambda w: w.org1, None, owner="", other=FOREIGN),
    listing("sites", lambda w: w.a.site, None, owner=""),
    listing(
        "customers",
        lambda w: w.customer1,
        "Customer-List",
        owner="owner: organisation { id }",
        other=FOREIGN,
    ),
    listing("coupons", lambda w: w.a.coupon, "Coupon-List"),
    listing("discountCodes", lambda w: w.a.discount_code, "DiscountCode-List"),
    listing("assignments", lambda w: w.a.assignment, "Assignment-List"),
    listing("redemptions", lambda w: w.a.redemption, "Redemption-List"),
    listing("couponCodes", lambda w: w.a.coupon_code, "CouponCode-List", variant="list"),
    Op(
        "couponCodes",
        "query($code: String!) { result: couponCodes(code: $code) { nodes { id owner: site { id } } } }",
        _coupon_code_lookup,
        LIST,
        "CouponCode-List",
        variant="code",
    ),
    Op(
        "events",
        "{ result: events(first: 1000) { nodes { objectId siteId } } }",
        lambda world: _feed(world),
        FEED,
        "DiscountCode-Read",
    ),
    Op(
        "validateCode",
        "query($input: ValidateCodeInput!) "
        "{ result: validateCode(input: $input) { valid reason userErrors { field code } } }",
        _validate,
        CHECK,
        "DiscountCode-Redeem",
        alternatives=CODE_TYPES_READ_OR_REDEEM,
    ),
    Op(
        "validateCodes",
        "query($input: ValidateCodesInput!) "
        "{ result: validateCodes(input: $input) { valid userErrors { field code } } }",
        _validate_codes,
        CHECK,
        "DiscountCode-Redeem",
        alternatives=CODE_TYPES_READ_OR_REDEEM,
    ),
    Op(
        "codeUsageStats",
        "query($code: String!, $day: DateOrDateTime!, $site: ID!) "
        "{ result: codeUsageStats(code: $code, bookingDate: $day, siteId: $site) { limit used } }",
        _usage_stats,
        CHECK,
        "DiscountCode-Read",
        alternatives=("CouponCode-Read",),
    ),
]


# -- writes -------------------------------------------------------------------------------


def write(
    field: str,
    signature: str,
    arguments: str,
    record: str,
    prepare: Callable[[World], Awaitable[Prepared]],
    role: str,
    *,
    extra: str = "",
    **kw: Any,
) -> Op:
    document = (
        f"mutation({signature}) {{ result: {field}({arguments}) "
        f"{{ record: {record} {{ id updatedBy }} {extra} {ERRORS} }} }}"
    )
    return Op(field, document, prepare, WRITE, role, **kw)


def _input(
    build: Callable[[World], Awaitable[tuple[dict[str, Any], Any]]],
) -> Callable[[World], Awaitable[Prepared]]:
    async def prepare(world: World) -> Prepared:
        values, record = await build(world)
        return {"input": values}, record

    return prepare


async def _new_coupon(world: World, **kw: Any) -> Any:
    return await world.make.coupon(world.a.site, **kw)


async def _new_coupon_code(world: World, **kw: Any) -> Any:
    return await world.make.coupon_code(world.a.coupon, code=unique("CC"), **kw)


async def _new_discount_code(world: World, **kw: Any) -> Any:
    return await world.make.discount_code(world.a.site, code=unique("DC"), **kw)


async def _new_assignment(world: World, **kw: Any) -> Any:
    return await world.make.assignment(world.customer1, await _new_discount_code(world), **kw)


NEW = {
    "Coupon": _new_coupon,
    "CouponCode": _new_coupon_code,
    "DiscountCode": _new_discount_code,
    "Assignment": _new_assignment,
}


def state_changes(
    type_name: str, single: str, plural: str | None, verbs: tuple[str, ...]
) -> list[Op]:
    """delete / restore / disable / enable of one record and, when `plural`, of many."""
    ops = []
    for verb in verbs:
        role = f"{type_name}-{'Delete' if verb in ('delete', 'restore') else 'Edit'}"
        state = {
            "restore": {"deleted_at": "2025-01-01T00:00:00+00:00"},
            "enable": {"disabled_at": "2025-01-01T00:00:00+00:00"},
        }.get(verb, {})

        def prepare_one(world: World, state: dict[str, Any] = state) -> Awaitable[Prepared]:
            return _fresh_id(world, type_name, state, many=False)

        def prepare_many(world: World, state: dict[str, Any] = state) -> Awaitable[Prepared]:
            return _fresh_id(world, type_name, state, many=True)

        ops.append(write(f"{verb}{type_name}", "$id: ID!", "id: $id", single, prepare_one, role))
        if plural:
            ops.append(
                write(
                    f"{verb}{type_name}s", "$ids: [ID!]!", "ids: $ids", plural, prepare_many, role
                )
            )
    return ops


async def _fresh_id(world: World, type_name: str, state: dict[str, Any], *, many: bool) -> Prepared:
    from datetime import datetime

    values = {name: datetime.fromisoformat(value) for name, value in state.items()}
    record = await NEW[type_name](world, **values)
    return ({"ids": [gid(record)]} if many else {"id": gid(record)}), record


async def _create_coupon(world: World) -> tuple[dict[str, Any], Any]:
    terms = {"kind": "PERCENTAGE", "percentage": "10"}
    return {"siteId": gid(world.a.site), "name": unique("Coupon "), "terms": terms}, None


async def _update_coupon(world: World) -> tuple[dict[str, Any], Any]:
    record = await _new_coupon(world)
    return {"id": gid(record), "name": "Renamed"}, record


async def _create_coupon_code(world: World) -> tuple[dict[str, Any], Any]:
    return {"couponId": gid(world.a.coupon), "code": unique("NEW")}, None


async def _update_coupon_code(world: World) -> tuple[dict[str, Any], Any]:
    record = await _new_coupon_code(world)
    return {"id": gid(record), "multiUse": True}, record


async def _generate(world: World) -> Prepared:
    return {"coupon": gid(world.a.coupon)}, None


async def _create_discount_code(world: World) -> tuple[dict[str, Any], Any]:
    terms = {"kind": "FIXED", "amounts": [{"amount": 500}]}
    return {"siteId": gid(world.a.site), "code": unique("NEW"), "terms": terms}, None


async def _update_discount_code(world: World) -> tuple[dict[str, Any], Any]:
    record = await _new_discount_code(world)
    return {"id": gid(record), "description": "Changed"}, record


async def _assign(world: World) -> tuple[dict[str, Any], Any]:
    code = await _new_discount_code(world)
    return {"customerId": gid(world.customer1), "discountCodeId": gid(code)}, None


async def _update_assignment(world: World) -> tuple[dict[str, Any], Any]:
    record = await _new_assignment(world)
    return {"id": gid(record), "notes": "Changed"}, record


async def _redeem(world: World) -> Prepared:
    return {"input": _attempt(world, idempotencyKey=unique("key-"))}, None


async def _redeem_codes(world: World) -> Prepared:
    variables, _ = await _validate_codes(world)
    return {"input": {**variables["input"], "idempotencyKey": unique("key-")}}, None


async def _void(world: World) -> Prepared:
    code = await _new_discount_code(world, times_used=1)
    record = await world.make.redemption(code)
    return {"id": gid(record)}, record


async def _create_organisation(world: World) -> tuple[dict[str, Any], Any]:
    return {"name": unique("Organisation ")}, None


async def _update_organisation(world: World) -> tuple[dict[str, Any], Any]:
    record = await world.make.organisation()
    return {"id": gid(record), "name": "Renamed"}, record


async def _create_site(world: World) -> tuple[dict[str, Any], Any]:
    values = {"name": unique("Site "), "currency": "EUR", "timeZone": "Europe/Paris"}
    return {"organisationId": gid(world.org1), **values}, None


async def _update_site(world: World) -> tuple[dict[str, Any], Any]:
    record = await world.make.site(world.org1)
    return {"id": gid(record), "timeZone": "America/New_York"}, record


async def _create_customer(world: World) -> tuple[dict[str, Any], Any]:
    return {"organisationId": gid(world.org1), "fullName": "New Customer"}, None


async def _update_customer(world: World) -> tuple[dict[str, Any], Any]:
    record = await world.make.customer(world.org1)
    return {"id": gid(record), "email": "changed@example.com"}, record


async def _upsert_customers(world: World) -> Prepared:
    rows = [{"externalId": unique("host-"), "fullName": "Synced"}]
    return {"organisation": gid(world.org1), "customers": rows}, None


def _directory_state_changes(type_name: str, single: str, granted_on: str) -> list[Op]:
    """delete and restore of an organisation, a site or a customer: a fresh one of
    organisation 1 each."""
    ops = []
    for verb in ("delete", "restore"):
        deleted = {"deleted_at": datetime(2025, 1, 1, tzinfo=UTC)} if verb == "restore" else {}

        async def prepare(world: World, deleted: dict[str, Any] = deleted) -> Prepared:
            if type_name == "Organisation":
                record = await world.make.organisation(**deleted)
            elif type_name == "Customer":
                record = await world.make.customer(world.org1, **deleted)
            else:
                record = await world.make.site(world.org1, **deleted)
            return {"id": gid(record)}, record

        ops.append(
            write(
                f"{verb}{type_name}",
                "$id: ID!",
                "id: $id",
                single,
                prepare,
                f"{type_name}-Delete",
                granted_on=granted_on,
                other=FOREIGN,
            )
        )
    return ops


WRITES = [
    write(
        "createOrganisation",
        "$input: CreateOrganisationInput!",
        "input: $input",
        "organisation",
        _input(_create_organisation),
        "Organisation-Create",
        granted_on="administrators",
        checks_target=False,
    ),
    write(
        "updateOrganisation",
        "$input: UpdateOrganisationInput!",
        "input: $input",
        "organisation",
        _input(_update_organisation),
        "Organisation-Edit",
        granted_on="administrators",
    ),
    *_directory_state_changes("Organisation", "organisation", "administrators"),
    write(
        "createSite",
        "$input: CreateSiteInput!",
        "input: $input",
        "site",
        _input(_create_site),
        "Site-Create",
        granted_on="organisation",
        other=FOREIGN,
        checks_target=False,
    ),
    write(
        "updateSite",
        "$input: UpdateSiteInput!",
        "input: $input",
        "site",
        _input(_update_site),
        "Site-Edit",
        granted_on="organisation",
        other=FOREIGN,
    ),
    *_directory_state_changes("Site", "site", "organisation"),
    write(
        "createCustomer",
        "$input: CreateCustomerInput!",
        "input: $input",
        "customer",
        _input(_create_customer),
        "Customer-Create",
        other=FOREIGN,
        checks_target=False,
    ),
    write(
        "updateCustomer",
        "$input: UpdateCustomerInput!",
        "input: $input",
        "customer",
        _input(_update_customer),
        "Customer-Edit",
        other=FOREIGN,
    ),
    *_directory_state_changes("Customer", "customer", "site"),
    write(
        "upsertCustomers",
        "$organisation: ID!, $customers: [CustomerFieldsInput!]!",
        "organisationId: $organisation, customers: $customers",
        "customers",
        _upsert_customers,
        "Customer-Create",
        alternatives=("Customer-Edit",),
        other=FOREIGN,
        extra="created",
        checks_target=False,
    ),
    write(
        "createCoupon",
        "$input: CreateCouponInput!",
        "input: $input",
        "coupon",
        _input(_create_coupon),
        "Coupon-Create",
        checks_target=False,
    ),
    write(
        "updateCoupon",
        "$input: UpdateCouponInput!",
        "input: $input",
        "coupon",
        _input(_update_coupon),
        "Coupon-Edit",
    ),
    *state_changes("Coupon", "coupon", "coupons", ("delete", "restore", "disable", "enable")),
    write(
        "createCouponCode",
        "$input: CreateCouponCodeInput!",
        "input: $input",
        "couponCode",
        _input(_create_coupon_code),
        "CouponCode-Create",
        checks_target=False,
    ),
    write(
        "updateCouponCode",
        "$input: UpdateCouponCodeInput!",
        "input: $input",
        "couponCode",
        _input(_update_coupon_code),
        "CouponCode-Edit",
    ),
    write(
        "generateCouponCodes",
        "$coupon: ID!",
        "couponId: $coupon, count: 2",
        "codes",
        _generate,
        "CouponCode-Create",
        extra="count",
        checks_target=False,
    ),
    *state_changes("CouponCode", "couponCode", "couponCodes", ("delete", "restore")),
    write(
        "createDiscountCode",
        "$input: CreateDiscountCodeInput!",
        "input: $input",
        "discountCode",
        _input(_create_discount_code),
        "DiscountCode-Create",
        checks_target=False,
    ),
    write(
        "updateDiscountCode",
        "$input: UpdateDiscountCodeInput!",
        "input: $input",
        "discountCode",
        _input(_update_discount_code),
        "DiscountCode-Edit",
    ),
    *state_changes(
        "DiscountCode", "discountCode", "discountCodes", ("delete", "restore", "disable", "enable")
    ),
    write(
        "assignCode",
        "$input: AssignCodeInput!",
        "input: $input",
        "assignment",
        _input(_assign),
        "Assignment-Create",
        checks_target=False,
    ),
    write(
        "updateAssignment",
        "$input: UpdateAssignmentInput!",
        "input: $input",
        "assignment",
        _input(_update_assignment),
        "Assignment-Edit",
    ),
    *state_changes("Assignment", "assignment", None, ("delete", "restore")),
    write(
        "redeemCode",
        "$input: RedeemCodeInput!",
        "input: $input",
        "redemption",
        _redeem,
        "DiscountCode-Redeem",
        alternatives=("CouponCode-Redeem",),
        extra="valid reason",
        checks_target=False,
    ),
    write(
        "redeemCodes",
        "$input: RedeemCodesInput!",
        "input: $input",
        "redemptions",
        _redeem_codes,
        "DiscountCode-Redeem",
        alternatives=("CouponCode-Redeem",),
        extra="valid",
        checks_target=False,
    ),
    write(
        "voidRedemption",
        "$id: ID!",
        "id: $id",
        "redemption",
        _void,
        "Redemption-Edit",
        alternatives=("DiscountCode-Redeem", "CouponCode-Redeem"),
        unseen=True,
    ),
]


# -- webhooks: Site-Edit on each of an endpoint's sites -----------------------------------

PUBLIC_URL = "https://93.184.215.14/hooks"  # a public address: no DNS, past the SSRF guard


async def _endpoint(world: World, key: str = "A", **kw: Any) -> t.WebhookEndpoint:
    site = world.sites[key].site
    now = datetime.now(UTC)
    endpoint = await world.make.add(
        t.WebhookEndpoint(
            url=PUBLIC_URL, types=[], secret="whsec_matrix", created_at=now, updated_at=now, **kw
        )
    )
    await world.make.add(
        t.WebhookEndpointSite(
            endpoint_id=endpoint.id, site_id=site.id, organisation_id=site.organisation_id
        )
    )
    return endpoint  # type: ignore[no-any-return]


async def _delivery(world: World, key: str) -> t.WebhookDelivery:
    endpoint = await _endpoint(world, key)
    site = world.sites[key].site
    now = datetime.now(UTC)
    event = await world.make.add(
        t.Event(
            id=uuid.uuid4(), position=0, type="site.updated", site_id=site.id,
            organisation_id=site.organisation_id, object_type="Site", object_id=site.id,
            object_updated_at=now, payload={}, occurred_at=now,
        )
    )  # fmt: skip
    delivery = await world.make.add(
        t.WebhookDelivery(
            endpoint_id=endpoint.id, event_seq=event.seq, event_id=event.id, state="pending",
            next_attempt_at=now, deadline=now, created_at=now, updated_at=now,
        )
    )  # fmt: skip
    return delivery  # type: ignore[no-any-return]


async def _endpoint_list(world: World) -> Prepared:
    await _endpoint(world, SIBLING)
    return {}, await _endpoint(world)


async def _delivery_list(world: World) -> Prepared:
    await _delivery(world, SIBLING)
    return {}, await _delivery(world, "A")


async def _create_endpoint(world: World) -> tuple[dict[str, Any], Any]:
    return {"url": PUBLIC_URL, "siteIds": [gid(world.a.site)]}, None


async def _update_endpoint(world: World) -> tuple[dict[str, Any], Any]:
    record = await _endpoint(world)
    return {"id": gid(record), "types": ["redemption.created"]}, record


def _endpoint_state(state: dict[str, Any]) -> Callable[[World], Awaitable[Prepared]]:
    async def prepare(world: World) -> Prepared:
        record = await _endpoint(world, **state)
        return {"id": gid(record)}, record

    return prepare


async def _redeliver(world: World) -> Prepared:
    delivery = await _delivery(world, "A")
    endpoint = t.WebhookEndpoint(id=delivery.endpoint_id, url="", types=[], secret="")
    return {"event": str(delivery.event_id), "endpoint": gid(endpoint)}, None


_PAST = datetime(2025, 1, 1, tzinfo=UTC)
WEBHOOKS = [
    Op(
        "webhookEndpoints",
        "{ result: webhookEndpoints(first: 100) { nodes { id } } }",
        _endpoint_list,
        LIST,
        "Site-Edit",
    ),
    Op(
        "webhookEndpoint",
        "query($id: ID!) { result: webhookEndpoint(id: $id) { id } }",
        _endpoint_state({}),
        FETCH,
        "Site-Edit",
    ),
    Op(
        "webhookDeliveries",
        "{ result: webhookDeliveries(first: 100) { nodes { id } } }",
        _delivery_list,
        LIST,
        "Site-Edit",
    ),
    write(
        "createWebhookEndpoint",
        "$input: CreateWebhookEndpointInput!",
        "input: $input",
        "endpoint",
        _input(_create_endpoint),
        "Site-Edit",
        extra="secret",
        checks_target=False,
    ),
    write(
        "updateWebhookEndpoint",
        "$input: UpdateWebhookEndpointInput!",
        "input: $input",
        "endpoint",
        _input(_update_endpoint),
        "Site-Edit",
    ),
    *(
        write(f"{verb}WebhookEndpoint", "$id: ID!", "id: $id", "endpoint", prepare, "Site-Edit")
        for verb, prepare in (
            ("delete", _endpoint_state({})),
            ("restore", _endpoint_state({"deleted_at": _PAST})),
            ("enable", _endpoint_state({"disabled_at": _PAST, "disabled_reason": "failing"})),
        )
    ),
    write(
        "rotateWebhookSecret",
        "$id: ID!",
        "id: $id, previousSecretExpiresIn: 60",
        "endpoint",
        _endpoint_state({}),
        "Site-Edit",
        extra="secret",
    ),
    Op(
        "redeliverEvent",
        "mutation($event: UUID!, $endpoint: ID!) { result: redeliverEvent(eventId: $event, "
        f"endpointId: $endpoint) {{ record: delivery {{ eventId }} {ERRORS} }} }}",
        _redeliver,
        WRITE,
        "Site-Edit",
        checks_target=False,
    ),
]

OPERATIONS = READS + WRITES + WEBHOOKS
