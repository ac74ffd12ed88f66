"""createDiscountCode / updateDiscountCode: code strings unique per site among live codes."""

from __future__ import annotations

from typing import Any

from app.clock import utcnow
from app.db import tables as t
from tests.mutations.helpers import DISCOUNT_CODE, ERRORS, count, errors_of, gid

CREATE = f"""mutation($input: CreateDiscountCodeInput!) {{
  createDiscountCode(input: $input) {{ {DISCOUNT_CODE} {ERRORS} }} }}"""
UPDATE = f"""mutation($input: UpdateDiscountCodeInput!) {{
  updateDiscountCode(input: $input) {{ {DISCOUNT_CODE} {ERRORS} }} }}"""
RESTORE = (
    f"""mutation($id: ID!) {{ restoreDiscountCode(id: $id) {{ {DISCOUNT_CODE} {ERRORS} }} }}"""
)
TEN_PERCENT = {"kind": "PERCENTAGE", "percentage": "10"}


def create(site: Any, code: str, **extra: Any) -> dict[str, Any]:
    return {"input": {"siteId": gid(site), "code": code, "terms": TEN_PERCENT, **extra}}


async def test_create_trims_the_code_and_keeps_its_case(gql: Any, make: Any) -> None:
    site = await make.site(await make.organisation())
    data = await gql(CREATE, create(site, "  Summer-10 ", description="10% off"))
    got = data["createDiscountCode"]["discountCode"]
    assert (got["code"], got["description"]) == ("Summer-10", "10% off")
    assert got["terms"]["percentage"] == "10.00"
    found = await gql(
        'query($s: ID!) { discountCode(code: "summer-10", siteId: $s) { id } }', {"s": gid(site)}
    )
    assert found["discountCode"]["id"] == got["id"]


async def test_a_live_code_in_any_letter_case_is_taken_per_site(
    gql: Any, make: Any, db: Any
) -> None:
    org = await make.organisation()
    site, other_site = await make.site(org), await make.site(org)
    await make.discount_code(site, code="SPRING")
    data = await gql(CREATE, create(site, " spring "))
    assert errors_of(data["createDiscountCode"]) == [(["input", "code"], "CODE_TAKEN")]
    # Another site may have the same code, and a deleted code frees its string.
    assert (await gql(CREATE, create(other_site, "spring")))["createDiscountCode"][
        "userErrors"
    ] == []
    await make.discount_code(site, code="AUTUMN", deleted_at=utcnow())
    assert (await gql(CREATE, create(site, "autumn")))["createDiscountCode"]["userErrors"] == []
    assert await count(db, t.DiscountCode) == 4


async def test_bad_codes_are_refused_with_the_terms_problems(gql: Any, make: Any, db: Any) -> None:
    site = await make.site(await make.organisation())
    variables = create(site, "no spaces!")
    variables["input"]["terms"] = {"kind": "FIXED"}
    data = await gql(CREATE, variables)
    assert errors_of(data["createDiscountCode"]) == [
        (["input", "code"], "INVALID"),
        (["input", "terms", "amounts"], "REQUIRED"),
    ]
    for code in ("", "x" * 65):
        data = await gql(CREATE, create(site, code))
        assert [e[0] for e in errors_of(data["createDiscountCode"])] == [["input", "code"]]
    assert await count(db, t.DiscountCode) == 0


async def test_update_can_rename_unless_the_code_is_taken(gql: Any, make: Any) -> None:
    site = await make.site(await make.organisation())
    first = await make.discount_code(site, code="FIRST", description="kept")
    await make.discount_code(site, code="SECOND")
    data = await gql(UPDATE, {"input": {"id": gid(first), "code": "second"}})
    assert errors_of(data["updateDiscountCode"]) == [(["input", "code"], "CODE_TAKEN")]
    # Changing only the letter case of its own code is fine.
    data = await gql(UPDATE, {"input": {"id": gid(first), "code": "First"}})
    got = data["updateDiscountCode"]["discountCode"]
    assert (got["code"], got["description"]) == ("First", "kept")


async def test_update_of_a_deleted_or_unknown_code_is_a_user_error(gql: Any, make: Any) -> None:
    site = await make.site(await make.organisation())
    gone = await make.discount_code(site, deleted_at=utcnow())
    data = await gql(UPDATE, {"input": {"id": gid(gone), "description": "x"}})
    assert errors_of(data["updateDiscountCode"]) == [(["input", "id"], "ALREADY_DELETED")]
    data = await gql(UPDATE, {"input": {"id": gid(site), "description": "x"}})
    assert errors_of(data["updateDiscountCode"]) == [(["input", "id"], "NOT_FOUND")]


async def test_restoring_a_code_whose_string_is_live_again_is_code_taken(
    gql: Any, make: Any
) -> None:
    site = await make.site(await make.organisation())
    gone = await make.discount_code(site, code="WINTER", deleted_at=utcnow())
    await make.discount_code(site, code="winter")
    data = await gql(RESTORE, {"id": gid(gone)})
    assert errors_of(data["restoreDiscountCode"]) == [(["id"], "CODE_TAKEN")]


async def test_active_false_disables_through_the_terms(gql: Any, make: Any) -> None:
    site = await make.site(await make.organisation())
    code = await make.discount_code(site)
    data = await gql(UPDATE, {"input": {"id": gid(code), "terms": {"active": False}}})
    terms = data["updateDiscountCode"]["discountCode"]["terms"]
    assert terms["active"] is False and terms["disabledAt"] is not None
    data = await gql(UPDATE, {"input": {"id": gid(code), "terms": {"active": True}}})
    assert data["updateDiscountCode"]["discountCode"]["terms"]["disabledAt"] is None
