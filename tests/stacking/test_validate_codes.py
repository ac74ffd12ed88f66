"""validateCodes through HTTP with real tokens: each code checked on its own, the ones that
pass stacked by priority then the order sent, and the enumeration-safe view per code."""

from __future__ import annotations

from typing import Any

from app.clock import utcnow
from tests.engine.support import VALIDATE, open_shop, role_token
from tests.stacking.support import VALIDATE_CODES, by_code, codes_input, docs_codes


async def validate(gql: Any, variables: dict[str, Any], **kw: Any) -> dict[str, Any]:
    return (await gql(VALIDATE_CODES, {"input": variables}, **kw))["validateCodes"]  # type: ignore[no-any-return]


async def test_two_codes_combine_and_an_exclusive_one_is_refused(gql: Any, make: Any) -> None:
    shop = await open_shop(make)
    await docs_codes(make, shop)
    answer = await validate(gql, codes_input(shop, ["FIVEOFF", "TENPC", "HALF"]))
    # docs/stacking.md: TENPC first (priority 10): 400 + 250; FIVEOFF on what is left,
    # 308 + 192; HALF is exclusive, refused beside TENPC.
    assert answer["userErrors"] == []
    assert (answer["valid"], answer["discountTotal"]) == (False, 1150)
    assert answer["lines"] == [{"index": 0, "amount": 708}, {"index": 1, "amount": 442}]
    assert [entry["code"] for entry in answer["codes"]] == ["FIVEOFF", "TENPC", "HALF"]
    codes = by_code(answer)
    assert codes["TENPC"]["discountTotal"] == 650
    assert [line["amount"] for line in codes["TENPC"]["lines"]] == [400, 250]
    assert [line["amount"] for line in codes["FIVEOFF"]["lines"]] == [308, 192]
    assert codes["HALF"] == {
        "code": "HALF", "applied": False, "reason": "DOES_NOT_COMBINE",
        "conflictsWith": "TENPC", "discountTotal": 0, "lines": [],
        "details": {"code": "HALF", "kind": "PERCENTAGE"},
    }  # fmt: skip


async def test_the_two_alone_are_valid_and_equal_priorities_follow_the_order_sent(
    gql: Any, make: Any
) -> None:
    shop = await open_shop(make)
    await docs_codes(make, shop)
    answer = await validate(gql, codes_input(shop, [" fiveoff ", "tenpc"]))
    assert (answer["valid"], answer["discountTotal"]) == (True, 1150)
    assert [entry["code"] for entry in answer["codes"]] == ["fiveoff", "tenpc"]
    # An exclusive code with the highest priority applies alone.
    await make.discount_code(shop.site, code="TOP", percentage_bp=5000, priority=20)
    answer = await validate(gql, codes_input(shop, ["TENPC", "TOP"]))
    codes = by_code(answer)
    assert codes["TOP"]["discountTotal"] == 1999 + 1250
    assert (codes["TENPC"]["reason"], codes["TENPC"]["conflictsWith"]) == (
        "DOES_NOT_COMBINE", "TOP",
    )  # fmt: skip


async def test_one_code_answers_as_validate_code_does(gql: Any, make: Any) -> None:
    shop = await open_shop(make)
    await docs_codes(make, shop)
    for code in ("TENPC", "FIVEOFF", "HALF"):
        plural = await validate(gql, codes_input(shop, [code]))
        single_input = {**codes_input(shop, []), "code": code}
        del single_input["codes"]
        single = (await gql(VALIDATE, {"input": single_input}))["validateCode"]
        (entry,) = plural["codes"]
        assert plural["valid"] == entry["applied"] == single["valid"], code
        assert plural["discountTotal"] == entry["discountTotal"] == single["discountTotal"]
        assert plural["lines"] == entry["lines"] == single["lines"], code


async def test_a_code_that_fails_its_own_rules_keeps_its_reason_and_blocks_nothing(
    gql: Any, make: Any
) -> None:
    shop = await open_shop(make)
    await docs_codes(make, shop)
    await make.discount_code(shop.site, code="GONE", deleted_at=utcnow(), priority=50)
    answer = await validate(gql, codes_input(shop, ["GONE", "TENPC", "MISSING"]))
    codes = by_code(answer)
    assert (codes["GONE"]["reason"], codes["GONE"]["details"]["code"]) == ("DELETED", "GONE")
    assert (codes["MISSING"]["reason"], codes["MISSING"]["details"]) == ("NOT_FOUND", None)
    assert codes["TENPC"]["applied"] and answer["discountTotal"] == 650


async def test_callers_who_may_only_redeem_get_the_enumeration_safe_view(
    gql: Any, make: Any
) -> None:
    shop = await open_shop(make)
    await docs_codes(make, shop)
    await make.discount_code(shop.site, code="GONE", deleted_at=utcnow())
    till = role_token("till", ["DiscountCode-Redeem", "CouponCode-Redeem"], shop.site)
    answer = await validate(gql, codes_input(shop, ["GONE", "TENPC", "HALF"]), token=till)
    codes = by_code(answer)
    assert (codes["GONE"]["reason"], codes["GONE"]["details"]) == ("NOT_FOUND", None)
    assert codes["TENPC"]["applied"] and codes["TENPC"]["details"] is None
    # Naming the code it conflicts with tells nothing new: the caller sent it.
    assert (codes["HALF"]["reason"], codes["HALF"]["conflictsWith"]) == (
        "DOES_NOT_COMBINE", "TENPC",
    )  # fmt: skip


async def test_bad_input_is_reported_per_field_and_nothing_is_checked(gql: Any, make: Any) -> None:
    shop = await open_shop(make)
    await docs_codes(make, shop)
    cases = {
        "empty": ([], ["input.codes"], "REQUIRED"),
        "too many": ([f"C{i}" for i in range(6)], ["input.codes"], "OUT_OF_RANGE"),
        "twice": (["TENPC", " tenpc"], ["input.codes.1"], "NOT_ALLOWED"),
        "blank": (["TENPC", "  "], ["input.codes.1"], "REQUIRED"),
    }
    for name, (codes, fields, code) in cases.items():
        answer = await validate(gql, codes_input(shop, codes))
        found = [(".".join(e["field"]), e["code"]) for e in answer["userErrors"]]
        assert found == [(f, code) for f in fields], name
        assert (answer["valid"], answer["codes"], answer["discountTotal"]) == (False, [], 0)
    answer = await validate(gql, codes_input(shop, ["TENPC"], currency="XXX", siteId="nope"))
    fields = sorted(".".join(e["field"]) for e in answer["userErrors"])
    assert fields == ["input.currency", "input.siteId"]


async def test_a_caller_without_a_code_role_is_refused(gql: Any, make: Any) -> None:
    shop = await open_shop(make)
    stranger = role_token("nobody", ["Customer-Read"], shop.site)
    errors = await gql.errors(VALIDATE_CODES, {"input": codes_input(shop, ["X"])}, token=stranger)
    assert errors[0]["extensions"]["code"] == "FORBIDDEN"
