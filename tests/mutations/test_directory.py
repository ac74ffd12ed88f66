"""Organisations and sites through the API (issue 15, part 1): a business starts from nothing."""

from __future__ import annotations

from typing import Any

from app.db import tables as t
from tests.conftest import token
from tests.engine.support import REDEEM, VALIDATE, gid, validate_errors
from tests.mutations.helpers import count

ERRORS = "userErrors { field code message }"
CREATE_ORGANISATION = f"""
mutation($input: CreateOrganisationInput!) {{
  createOrganisation(input: $input) {{ organisation {{ id name externalId }} {ERRORS} }}
}}"""
UPDATE_ORGANISATION = f"""
mutation($input: UpdateOrganisationInput!) {{
  updateOrganisation(input: $input) {{ organisation {{ id name externalId }} {ERRORS} }}
}}"""
CREATE_SITE = f"""
mutation($input: CreateSiteInput!) {{
  createSite(input: $input) {{ site {{ id name currency timeZone externalId }} {ERRORS} }}
}}"""
UPDATE_SITE = f"""
mutation($input: UpdateSiteInput!) {{
  updateSite(input: $input) {{ site {{ id currency timeZone }} {ERRORS} }}
}}"""
CREATE_CODE = f"""
mutation($input: CreateDiscountCodeInput!) {{
  createDiscountCode(input: $input) {{ discountCode {{ id code terms {{ validTo }} }} {ERRORS} }}
}}"""
UPDATE_CODE = f"""
mutation($input: UpdateDiscountCodeInput!) {{
  updateDiscountCode(input: $input) {{ discountCode {{ terms {{ validTo }} }} {ERRORS} }}
}}"""
UPSERT_CUSTOMERS = f"""
mutation($organisation: ID!, $customers: [CustomerFieldsInput!]!) {{
  upsertCustomers(organisationId: $organisation, customers: $customers) {{
    created customers {{ id }} {ERRORS} }}
}}"""
ASSIGN = f"""
mutation($input: AssignCodeInput!) {{ assignCode(input: $input) {{ assignment {{ id }} {ERRORS} }} }}
"""
LISTS = """
query($trashed: Trashed) {
  organisations(trashed: $trashed) { nodes { name } }
  sites(trashed: $trashed) { nodes { name } }
  discountCodes(trashed: $trashed) { nodes { code } }
}"""


def state(verb: str, type_name: str, field: str) -> str:
    return f"""mutation($id: ID!) {{ {verb}{type_name}(id: $id) {{
        {field} {{ id deletedAt }} {ERRORS} }} }}"""


def errors_of(payload: dict[str, Any]) -> list[tuple[tuple[str, ...], str]]:
    return [(tuple(e["field"]), e["code"]) for e in payload["userErrors"]]


async def new_site(gql: Any, **site: Any) -> tuple[str, str]:
    """An organisation and a site made through the API: their ids."""
    data = await gql(CREATE_ORGANISATION, {"input": {"name": "Acme Leisure"}})
    organisation = data["createOrganisation"]["organisation"]["id"]
    values = {
        "organisationId": organisation,
        "name": "Acme Manhattan",
        "currency": "USD",
        "timeZone": "America/New_York",
        **site,
    }
    data = await gql(CREATE_SITE, {"input": values})
    assert data["createSite"]["userErrors"] == [], data
    return organisation, data["createSite"]["site"]["id"]


async def test_a_business_starts_from_nothing(gql: Any, db: Any) -> None:
    # Given an empty database, an administrator creates an organisation and a New York site
    organisation, site = await new_site(gql, externalId="nexudus-1004")
    data = await gql(LISTS)
    assert data["sites"]["nodes"] == [{"name": "Acme Manhattan"}]
    # and its customers
    rows = [
        {"externalId": "coworker-17", "fullName": "Ada Lovelace", "isMember": True},
        {"externalId": "coworker-18", "fullName": "Charles Babbage"},
    ]
    data = await gql(UPSERT_CUSTOMERS, {"organisation": organisation, "customers": rows})
    assert data["upsertCustomers"]["created"] == 2
    ada = data["upsertCustomers"]["customers"][0]["id"]
    # When a code is created there with a date-only end
    terms = {"kind": "PERCENTAGE", "percentage": "10", "validTo": "2030-05-31"}
    data = await gql(CREATE_CODE, {"input": {"siteId": site, "code": "NYC10", "terms": terms}})
    # Then the date is the end of New York's day
    code = data["createDiscountCode"]["discountCode"]
    assert code["terms"]["validTo"] == "2030-06-01T03:59:59.999999+00:00"
    # and the code can be given to a customer and redeemed by them
    data = await gql(ASSIGN, {"input": {"customerId": ada, "discountCodeId": code["id"]}})
    assert data["assignCode"]["userErrors"] == []
    line = {"category": "BOOKING", "itemId": "desk", "quantity": 1, "unitPrice": 5000}
    attempt = {
        "code": "nyc10",
        "siteId": site,
        "currency": "USD",
        "customerId": ada,
        "lines": [line],
        "idempotencyKey": "order-1",
    }
    answer = (await gql(REDEEM, {"input": attempt}))["redeemCode"]
    assert answer["valid"] is True and answer["discountTotal"] == 500
    data = await gql(UPDATE_ORGANISATION, {"input": {"id": organisation, "name": "Acme"}})
    assert data["updateOrganisation"]["organisation"]["name"] == "Acme"


async def test_currency_and_time_zone_are_checked_for_meaning(gql: Any, db: Any) -> None:
    data = await gql(CREATE_ORGANISATION, {"input": {"name": "Acme"}})
    organisation = data["createOrganisation"]["organisation"]["id"]
    values = {
        "organisationId": organisation,
        "name": " ",
        "currency": "XXQ",
        "timeZone": "Mars/Olympus_Mons",
    }
    data = await gql(CREATE_SITE, {"input": values})
    assert sorted(errors_of(data["createSite"])) == [
        (("input", "currency"), "INVALID_CURRENCY"),
        (("input", "name"), "REQUIRED"),
        (("input", "timeZone"), "INVALID"),
    ]
    for zone in ("../../etc/passwd", "posixrules", "", "america/new_york"):
        data = await gql(
            CREATE_SITE, {"input": {**values, "name": "A", "currency": "USD", "timeZone": zone}}
        )
        assert errors_of(data["createSite"]) == [(("input", "timeZone"), "INVALID")], zone
    data = await gql(CREATE_ORGANISATION, {"input": {"name": ""}})
    assert errors_of(data["createOrganisation"]) == [(("input", "name"), "REQUIRED")]
    assert await count(db, t.Site) == 0


async def test_a_currency_change_waits_until_every_live_code_is_priced_in_it(
    gql: Any, db: Any
) -> None:
    # Given a site in USD with a FIXED code priced in USD only
    _, site = await new_site(gql)
    terms = {"kind": "FIXED", "amounts": [{"currency": "USD", "amount": 500}]}
    data = await gql(CREATE_CODE, {"input": {"siteId": site, "code": "FIVE", "terms": terms}})
    code = data["createDiscountCode"]["discountCode"]["id"]
    # When the site moves to EUR, it is refused and nothing changes
    data = await gql(UPDATE_SITE, {"input": {"id": site, "currency": "EUR"}})
    assert errors_of(data["updateSite"]) == [(("input", "currency"), "CONFLICT")]
    assert "1 live coupon(s) or discount code(s)" in data["updateSite"]["userErrors"][0]["message"]
    # Once the code is priced in EUR too, the change goes through
    priced = {"amounts": [{"currency": "USD", "amount": 500}, {"currency": "EUR", "amount": 450}]}
    data = await gql(UPDATE_CODE, {"input": {"id": code, "terms": priced}})
    assert data["updateDiscountCode"]["userErrors"] == []
    data = await gql(UPDATE_SITE, {"input": {"id": site, "currency": "EUR"}})
    assert data["updateSite"]["site"]["currency"] == "EUR"


async def test_a_time_zone_change_keeps_stored_bounds_and_reads_new_dates_in_the_new_zone(
    gql: Any, db: Any
) -> None:
    _, site = await new_site(gql)
    terms = {"kind": "PERCENTAGE", "percentage": "10", "validTo": "2030-05-31"}
    data = await gql(CREATE_CODE, {"input": {"siteId": site, "code": "TZ", "terms": terms}})
    code = data["createDiscountCode"]["discountCode"]["id"]
    data = await gql(UPDATE_SITE, {"input": {"id": site, "timeZone": "Europe/London"}})
    assert data["updateSite"]["site"]["timeZone"] == "Europe/London"
    stored = await gql(f'{{ discountCode(id: "{code}") {{ terms {{ validTo }} }} }}')
    assert stored["discountCode"]["terms"]["validTo"] == "2030-06-01T03:59:59.999999+00:00"
    data = await gql(UPDATE_CODE, {"input": {"id": code, "terms": {"validTo": "2030-05-31"}}})
    assert data["updateDiscountCode"]["discountCode"]["terms"]["validTo"] == (
        "2030-05-31T22:59:59.999999+00:00"
    )


async def test_deleting_a_site_or_its_organisation_takes_its_codes_out_until_restored(
    gql: Any, db: Any
) -> None:
    # Given a site with a code that a checkout can redeem
    organisation, site = await new_site(gql)
    terms = {"kind": "PERCENTAGE", "percentage": "10"}
    await gql(CREATE_CODE, {"input": {"siteId": site, "code": "GONE", "terms": terms}})
    line = {"category": "BOOKING", "itemId": "r", "quantity": 1, "unitPrice": 1000}
    attempt = {"code": "GONE", "siteId": site, "currency": "USD", "lines": [line]}
    assert (await gql(VALIDATE, {"input": attempt}))["validateCode"]["valid"] is True
    for verb_type, field, target in (
        ("Site", "site", site),
        ("Organisation", "organisation", organisation),
    ):
        # When the site (then the organisation) is deleted
        data = await gql(state("delete", verb_type, field), {"id": target})
        assert data[f"delete{verb_type}"][field]["deletedAt"] is not None
        # Then its code leaves every list and cannot be used
        data = await gql(LISTS)
        assert data["discountCodes"]["nodes"] == [] and data["sites"]["nodes"] == []
        errors = await validate_errors(gql, attempt)
        assert errors[0]["field"] == "input.siteId"
        answer = await gql(REDEEM, {"input": {**attempt, "idempotencyKey": f"k-{field}"}})
        assert errors_of(answer["redeemCode"]) == [(("input", "siteId"), "NOT_FOUND")]
        # It is still there for an audit screen
        data = await gql(LISTS, {"trashed": "ONLY"})
        assert data["discountCodes"]["nodes"] == [{"code": "GONE"}]
        # And restoring brings it back
        data = await gql(state("restore", verb_type, field), {"id": target})
        assert data[f"restore{verb_type}"][field]["deletedAt"] is None
        assert (await gql(VALIDATE, {"input": attempt}))["validateCode"]["valid"] is True
    assert await count(db, t.Redemption) == 0


async def test_who_may_write_the_directory(gql: Any, db: Any, make: Any) -> None:
    organisation = await make.organisation()
    site = await make.site(organisation)
    other = await make.organisation()
    on_organisation = token(
        subject="owner",
        grants=[
            {
                "roles": ["Site-Create", "Site-Edit", "Site-Delete"],
                "organisations": [organisation.id],
            }
        ],
    )
    on_site = token(
        subject="manager", grants=[{"roles": ["Site-Create", "Site-Edit"], "sites": [site.id]}]
    )
    values = {
        "organisationId": gid(organisation),
        "name": "New",
        "currency": "GBP",
        "timeZone": "Europe/London",
    }
    # Organisations are the administrators'
    errors = await gql.errors(
        CREATE_ORGANISATION, {"input": {"name": "Mine"}}, token=on_organisation
    )
    assert errors[0]["extensions"]["code"] == "FORBIDDEN"
    assert "administrators" in errors[0]["message"]
    # A site is created by a grant on its organisation, not on a sibling site
    data = await gql(CREATE_SITE, {"input": values}, token=on_organisation)
    assert data["createSite"]["userErrors"] == []
    body = (await gql.post(CREATE_SITE, {"input": values}, token=on_site)).json()
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", body
    assert "on this organisation" in body["errors"][0]["message"]
    # Not in another organisation, and a site-level grant edits its own site
    foreign = {**values, "organisationId": gid(other)}
    body = (await gql.post(CREATE_SITE, {"input": foreign}, token=on_organisation)).json()
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    data = await gql(UPDATE_SITE, {"input": {"id": gid(site), "name": "Renamed"}}, token=on_site)
    assert data["updateSite"]["userErrors"] == []
    assert await count(db, t.Site) == 2


async def test_nested_lists_leave_out_the_records_of_a_deleted_site(
    gql: Any, make: Any, db: Any
) -> None:
    # Given two sites of one organisation, each with a code, and one of them deleted
    organisation = await make.organisation(name="Acme")
    kept = await make.site(organisation, name="Kept")
    gone = await make.site(organisation, name="Gone")
    await make.discount_code(kept, code="KEPT")
    await make.discount_code(gone, code="GONE")
    await gql(state("delete", "Site", "site"), {"id": gid(gone)})
    query = """query($trashed: Trashed) { organisations(trashed: $trashed) { nodes { name
        sites { nodes { name discountCodes { nodes { code } } } } } } }"""
    # Then every level leaves them out (on PostgreSQL the nodes are rendered in the database,
    # and `gql` compares them with graphql-core's executor), and trashed: WITH shows them
    data = await gql(query)
    sites = data["organisations"]["nodes"][0]["sites"]["nodes"]
    assert sites == [{"name": "Kept", "discountCodes": {"nodes": [{"code": "KEPT"}]}}]
    data = await gql(query, {"trashed": "WITH"})
    sites = data["organisations"]["nodes"][0]["sites"]["nodes"]
    assert sorted(s["name"] for s in sites) == ["Gone", "Kept"]
    assert sorted(c["code"] for s in sites for c in s["discountCodes"]["nodes"]) == ["GONE", "KEPT"]
