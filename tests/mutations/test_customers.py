"""Customers through the API (issue 15, part 1): one at a time, and kept in step with a host
system by upsertCustomers."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from app.db import tables as t
from app.graphql.ids import parse_global_id
from tests.conftest import token
from tests.engine.support import gid
from tests.mutations.helpers import count

ERRORS = "userErrors { field code message }"
FIELDS = "id fullName email kind isMember externalId deletedAt updatedAt"
CREATE = f"""mutation($input: CreateCustomerInput!) {{
  createCustomer(input: $input) {{ customer {{ {FIELDS} }} {ERRORS} }} }}"""
UPDATE = f"""mutation($input: UpdateCustomerInput!) {{
  updateCustomer(input: $input) {{ customer {{ {FIELDS} }} {ERRORS} }} }}"""
DELETE = (
    f"""mutation($id: ID!) {{ deleteCustomer(id: $id) {{ customer {{ {FIELDS} }} {ERRORS} }} }}"""
)
UPSERT = f"""mutation($organisation: ID!, $customers: [CustomerFieldsInput!]!) {{
  upsertCustomers(organisationId: $organisation, customers: $customers) {{
    customers {{ {FIELDS} }} created updated unchanged {ERRORS} }} }}"""


def errors_of(payload: dict[str, Any]) -> list[tuple[tuple[str, ...], str]]:
    return sorted((tuple(e["field"]), e["code"]) for e in payload["userErrors"])


async def test_a_customer_is_created_changed_and_deleted_with_its_history_kept(
    gql: Any, make: Any, db: Any
) -> None:
    organisation = await make.organisation()
    values = {
        "organisationId": gid(organisation),
        "fullName": "Ada Lovelace",
        "email": "ada@example.com",
        "externalId": "coworker-1",
    }
    data = (await gql(CREATE, {"input": values}))["createCustomer"]
    customer = data["customer"]
    assert data["userErrors"] == [] and customer["kind"] == "INDIVIDUAL"
    assert customer["isMember"] is False
    # The same external id again is a conflict; a bad e-mail and no name are named
    data = (await gql(CREATE, {"input": values}))["createCustomer"]
    assert errors_of(data) == [(("input", "externalId"), "CONFLICT")]
    bad = {"organisationId": gid(organisation), "email": "not an address", "fullName": " "}
    data = (await gql(CREATE, {"input": bad}))["createCustomer"]
    assert errors_of(data) == [(("input", "email"), "INVALID"), (("input", "fullName"), "REQUIRED")]
    data = (await gql(UPDATE, {"input": {"id": customer["id"], "isMember": True, "email": None}}))[
        "updateCustomer"
    ]
    assert data["customer"]["isMember"] is True and data["customer"]["email"] is None
    # Deleting keeps what the customer held and used
    parsed = parse_global_id(customer["id"])
    assert parsed is not None
    holder = SimpleNamespace(id=parsed[1])
    code = await make.discount_code(await make.site(organisation))
    await make.assignment(holder, code)
    await make.redemption(code, customer_id=holder.id)
    data = (await gql(DELETE, {"id": customer["id"]}))["deleteCustomer"]
    assert data["customer"]["deletedAt"] is not None
    assert await count(db, t.Assignment) == 1 and await count(db, t.Redemption) == 1


async def test_upserting_the_same_list_twice_writes_nothing_the_second_time(
    gql: Any, make: Any, db: Any
) -> None:
    organisation = await make.organisation()
    rows = [
        {"externalId": f"c-{n}", "fullName": f"Customer {n}", "isMember": n % 2 == 0}
        for n in range(3)
    ]
    variables = {"organisation": gid(organisation), "customers": rows}
    data = (await gql(UPSERT, variables))["upsertCustomers"]
    assert (data["created"], data["updated"], data["unchanged"]) == (3, 0, 0)
    first = data["customers"]
    data = (await gql(UPSERT, variables))["upsertCustomers"]
    assert (data["created"], data["updated"], data["unchanged"]) == (0, 0, 3)
    assert data["customers"] == first  # same ids, same updatedAt: nothing was written
    # An edited row updates that customer only
    rows[1] = {**rows[1], "email": "one@example.com"}
    data = (await gql(UPSERT, variables))["upsertCustomers"]
    assert (data["created"], data["updated"], data["unchanged"]) == (0, 1, 2)
    assert data["customers"][1]["id"] == first[1]["id"]
    assert data["customers"][1]["email"] == "one@example.com"
    assert await count(db, t.Customer) == 3


async def test_an_upsert_with_a_bad_row_writes_nothing_and_names_each_row(
    gql: Any, make: Any, db: Any
) -> None:
    organisation = await make.organisation()
    rows = [
        {"externalId": "a", "fullName": "Fine"},
        {"externalId": "b", "fullName": "Bad Mail", "email": "b@"},
        {"externalId": "a", "fullName": "Twin"},
        {"fullName": "No key"},
    ]
    data = await gql(UPSERT, {"organisation": gid(organisation), "customers": rows})
    assert errors_of(data["upsertCustomers"]) == [
        (("customers", "1", "email"), "INVALID"),
        (("customers", "2", "externalId"), "CONFLICT"),
        (("customers", "3", "externalId"), "REQUIRED"),
    ]
    assert data["upsertCustomers"]["customers"] is None
    assert await count(db, t.Customer) == 0
    # A thousand rows a call, and not one more (the input's list limit refuses 1,001)
    rows = [{"externalId": str(n), "fullName": "X"} for n in range(1001)]
    data = await gql(UPSERT, {"organisation": gid(organisation), "customers": rows[:1000]})
    assert data["upsertCustomers"]["created"] == 1000
    response = await gql.post(UPSERT, {"organisation": gid(organisation), "customers": rows})
    assert [e["extensions"]["code"] for e in response.json()["errors"]] == ["LIST_TOO_LONG"]


async def test_customers_are_written_with_customer_roles_on_the_organisation_or_a_site(
    gql: Any, make: Any, db: Any
) -> None:
    organisation, other = await make.organisation(), await make.organisation()
    site = await make.site(organisation)
    sync = token(
        subject="sync", grants=[{"roles": ["Customer-Create", "Customer-Edit"], "sites": [site.id]}]
    )
    checkout = token(
        subject="checkout", grants=[{"roles": ["DiscountCode-Redeem"], "sites": [site.id]}]
    )
    rows = [{"externalId": "x", "fullName": "X"}]
    data = await gql(UPSERT, {"organisation": gid(organisation), "customers": rows}, token=sync)
    assert data["upsertCustomers"]["created"] == 1
    for who, where in ((sync, other), (checkout, organisation)):
        response = await gql.post(
            UPSERT, {"organisation": gid(where), "customers": rows}, token=who
        )
        assert response.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await count(db, t.Customer) == 1


ASSIGN = f"""mutation($input: AssignCodeInput!) {{
  assignCode(input: $input) {{ assignment {{ createdAt expiresOn }} {ERRORS} }} }}"""


async def test_an_imported_assignment_keeps_its_date_and_expires_from_it(
    gql: Any, make: Any, db: Any
) -> None:
    # Given a code that expires a month after it is given (Nexudus MONTH x 1), in New York
    organisation = await make.organisation()
    site = await make.site(organisation, time_zone="America/New_York", currency="USD")
    code = await make.discount_code(site, expiration_unit="MONTH", expires_in=1)
    customer = await make.customer(organisation)
    values = {
        "customerId": gid(customer),
        "discountCodeId": gid(code),
        "assignedAt": "2026-01-31T15:00:00-05:00",
    }
    # When an administrator brings over an assignment made on Jan 31
    data = (await gql(ASSIGN, {"input": values}))["assignCode"]
    # Then it is dated Jan 31 and expires at the end of February's clamp (Feb 28, same time)
    assert data["userErrors"] == []
    assert data["assignment"]["createdAt"] == "2026-01-31T20:00:00+00:00"
    assert data["assignment"]["expiresOn"] == "2026-02-28T20:00:00+00:00"
    # A manager may not date one, and nobody may date one ahead of now
    manager = token(subject="m", grants=[{"roles": ["Assignment-Create"], "sites": [site.id]}])
    other = await make.customer(organisation)
    dated = {**values, "customerId": gid(other)}
    data = (await gql(ASSIGN, {"input": dated}, token=manager))["assignCode"]
    assert errors_of(data) == [(("input", "assignedAt"), "FORBIDDEN")]
    ahead = {**dated, "assignedAt": "2999-01-01"}
    data = (await gql(ASSIGN, {"input": ahead}))["assignCode"]
    assert errors_of(data) == [(("input", "assignedAt"), "OUT_OF_RANGE")]
    assert await count(db, t.Assignment) == 1
    # Without assignedAt, the manager's assignment is dated now
    data = await gql(ASSIGN, {"input": {**dated, "assignedAt": None}}, token=manager)
    assert data["assignCode"]["userErrors"] == []


async def test_restoring_a_customer_whose_external_id_was_taken_meanwhile_is_a_conflict(
    gql: Any, make: Any, db: Any
) -> None:
    # Given a deleted customer, and a live one with its external id since
    organisation = await make.organisation()
    values = {"organisationId": gid(organisation), "fullName": "Old", "externalId": "host-1"}
    old = (await gql(CREATE, {"input": values}))["createCustomer"]["customer"]["id"]
    await gql(DELETE, {"id": old})
    await gql(CREATE, {"input": {**values, "fullName": "New"}})
    restore = f"""mutation($id: ID!) {{ restoreCustomer(id: $id) {{
        customer {{ deletedAt }} {ERRORS} }} }}"""
    # When the old one is restored, then it is a user error, not a failed request
    data = (await gql(restore, {"id": old}))["restoreCustomer"]
    assert errors_of(data) == [(("id",), "CONFLICT")]
    # A customer without an external id comes back whatever others have
    bare = (
        await gql(CREATE, {"input": {"organisationId": gid(organisation), "fullName": "Bare"}})
    )["createCustomer"]["customer"]
    await gql(CREATE, {"input": {"organisationId": gid(organisation), "fullName": "Other"}})
    await gql(DELETE, {"id": bare["id"]})
    data = (await gql(restore, {"id": bare["id"]}))["restoreCustomer"]
    assert data["userErrors"] == [] and data["customer"]["deletedAt"] is None
