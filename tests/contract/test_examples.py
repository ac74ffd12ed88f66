"""examples/operations: the README's example operations as files, one named operation each
(what graphql-codegen and ariadne-codegen generate clients from); each runs on the demo data and
answers data, with no error."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from graphql import OperationDefinitionNode, parse
from sqlalchemy.ext.asyncio import AsyncEngine

from app.demo import seed_demo
from tests.conftest import GraphQLClient
from tests.servers import ROOT

OPERATIONS = ROOT / "examples" / "operations"
# The order they run in on the demo: the README's reads, the redemption, the walk-through of
# the write API, then the directory from nothing; later ones use what earlier ones made.
ORDER = [
    "RecentCoupons",
    "AssignmentSearch",
    "CodeLookup",
    "TrashedDiscountCodes",
    "RedeemCode",
    "CreateCoupon",
    "CreateCouponCode",
    "GenerateCouponCodes",
    "AssignCode",
    "DeleteCouponCode",
    "RestoreCouponCode",
    "CreateOrganisation",
    "CreateSite",
    "UpsertCustomers",
    "CreateDiscountCode",
]
# Customer 2 of the demo (Northwind Workspaces), as in the README's redemption.
DEMO_CUSTOMER = "Q3VzdG9tZXI6Mg=="


def operations() -> dict[str, str]:
    return {path.stem: path.read_text() for path in sorted(OPERATIONS.glob("*.graphql"))}


def demo_variables(name: str, now: datetime, answers: dict[str, Any]) -> dict[str, Any]:
    """What the demo needs beyond the operations' defaults: the search's window around the
    demo's clock, and the records earlier examples made."""

    def made(operation: str, *path: str) -> Any:
        value = answers[operation]
        for key in path:
            value = value[key]
        return value

    def coupon() -> Any:
        return made("CreateCoupon", "createCoupon", "coupon", "id")

    def code() -> Any:
        return made("CreateCouponCode", "createCouponCode", "couponCode", "id")

    def organisation() -> Any:
        return made("CreateOrganisation", "createOrganisation", "organisation", "id")

    needs: dict[str, Any] = {
        "AssignmentSearch": lambda: {
            "updatedFrom": (now - timedelta(days=365)).isoformat(),
            "updatedTo": (now + timedelta(days=1)).isoformat(),
        },
        "CreateCouponCode": lambda: {"couponId": coupon()},
        # 20 rather than the README's 500: the same code path, a quicker test.
        "GenerateCouponCodes": lambda: {"couponId": coupon(), "count": 20},
        "AssignCode": lambda: {"customerId": DEMO_CUSTOMER, "couponCodeId": code()},
        "DeleteCouponCode": lambda: {"id": code()},
        "RestoreCouponCode": lambda: {"id": code()},
        "CreateSite": lambda: {"organisationId": organisation()},
        "UpsertCustomers": lambda: {"organisationId": organisation()},
        "CreateDiscountCode": lambda: {"siteId": made("CreateSite", "createSite", "site", "id")},
    }
    return needs[name]() if name in needs else {}


def emptiness(data: dict[str, Any]) -> list[str]:
    """Why an answer shows nothing: a null root field, an empty list, or a user error."""
    found = []
    for field, value in data.items():
        if value is None:
            found.append(f"{field} is null")
            continue
        if isinstance(value, dict):
            if value.get("userErrors"):
                found.append(f"{field}.userErrors: {value['userErrors']}")
            if value.get("nodes") == []:
                found.append(f"{field}.nodes is empty")
    return found


def test_each_file_holds_one_named_operation_called_as_the_file() -> None:
    found = operations()
    assert sorted(found) == sorted(ORDER)
    for name, text in found.items():
        definitions = parse(text).definitions
        assert len(definitions) == 1, name
        operation = definitions[0]
        assert isinstance(operation, OperationDefinitionNode)
        assert operation.name is not None and operation.name.value == name


async def test_every_example_answers_data_on_the_demo(gql: GraphQLClient, db: AsyncEngine) -> None:
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    await seed_demo(db, now=now)
    answers: dict[str, Any] = {}
    problems = []
    texts = operations()
    for name in ORDER:
        answers[name] = data = await gql(texts[name], demo_variables(name, now, answers))
        problems += [f"{name}: {problem}" for problem in emptiness(data)]
    assert problems == []
    # The README's figures for the redemption.
    redeemed = answers["RedeemCode"]["redeemCode"]
    assert (redeemed["valid"], redeemed["discountTotal"]) == (True, 535)
    assert [line["amount"] for line in redeemed["lines"]] == [500, 35]
    # The walk-through's and the directory's.
    assert answers["GenerateCouponCodes"]["generateCouponCodes"]["count"] == 20
    assert answers["RestoreCouponCode"]["restoreCouponCode"]["couponCode"]["deletedAt"] is None
    assert answers["DeleteCouponCode"]["deleteCouponCode"]["couponCode"]["deletedAt"]
    assert answers["UpsertCustomers"]["upsertCustomers"]["created"] == 2
    valid_to = answers["CreateDiscountCode"]["createDiscountCode"]["discountCode"]["terms"]
    assert valid_to == {"validTo": "2030-06-01T03:59:59.999999+00:00"}


def test_emptiness_names_what_is_missing() -> None:
    assert emptiness({"a": None, "b": {"nodes": []}, "c": {"userErrors": [{"code": "X"}]}}) == [
        "a is null",
        "b.nodes is empty",
        "c.userErrors: [{'code': 'X'}]",
    ]
    assert emptiness({"a": {"nodes": [{"x": 1}]}, "b": {"code": "Y"}}) == []


def test_the_operations_are_where_the_codegen_configurations_read_them() -> None:
    codegen = ROOT / "tools" / "codegen"
    assert "../../examples/operations/*.graphql" in (codegen / "codegen.ts").read_text()
    assert (
        'queries_path = "../../examples/operations"'
        in (codegen / "ariadne-codegen.toml").read_text()
    )
    assert Path(codegen, "../../examples/operations").resolve() == OPERATIONS
