"""Hand-written documents, each aimed at one rule of GraphQL execution, through both executors.

Every document must give the same response (data, errors in order, extensions) through the
plan executor and through graphql-core's; the counters then show which path answered.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from app.graphql.ids import parse_global_id
from tests.executor.support import (
    ADMIN,
    ANONYMOUS,
    Executors,
    Outcome,
    Stats,
    normalize,
    site_reader,
)


@dataclass(frozen=True)
class Case:
    name: str
    document: str
    variables: dict[str, Any] | None = None
    caller: str = "admin"  # or "site reader", "anonymous"
    operation: str | None = None


# Each answered by the plan executor alone (no hand-over to graphql-core).
PLANNED = [
    Case("scalars of every kind", """{
        redemptions(first: 4, orderBy: {field: ID, direction: DESC}) { nodes {
          id uniqueId amount currency lineAmounts channel isLeadBooker redeemedAt
          voidedAt orderReference createdAt deletedAt } } }"""),
    Case("nested objects, lists of objects, plain and resolved", """{ coupons(first: 4) {
        totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
        edges { cursor node { name terms { kind percentage amounts { currency amount }
          minimumSpend { currency amount } usagePeriod validFrom active
          eligibleCategories { category itemIds } } } }
        nodes { timesUsed site { name currency timeZone organisation { name } } } } }"""),
    Case("aliases, the same field twice with other arguments", """{
        first: coupons(first: 1) { nodes { name } } two: coupons(first: 2) { nodes { n: name id } }
        coupons(first: 1) { totalCount } }"""),
    Case("fields merged across fragments and repeated selections", """{
        coupons(first: 3) { nodes { name ...Parts codes(first: 2) { nodes { code } } } }
        coupons(first: 3) { nodes { codes(first: 2) { nodes { timesUsed ...Code } } } } }
      fragment Parts on Coupon { id site { name } codes(first: 2) { totalCount } }
      fragment Code on CouponCode { code multiUse coupon { name } }"""),
    Case("inline fragments without a type, and on interfaces", """{ sites(first: 2) { nodes {
        ... { name } ... on Record { uniqueId } ... on Node { id } } } }"""),
    Case("__typename everywhere", """{ __typename coupons(first: 2) { __typename nodes {
        __typename codes(first: 1) { __typename edges { __typename node { __typename } } }
      } } }"""),
    Case("an interface: node() of every kind, with fragments per type", """query($id: ID!) {
        a: node(id: $id) { __typename id ... on Record { createdAt }
          ... on Coupon { name codes(first: 1) { nodes { code } } } }
        b: node(id: "U2l0ZTox") { __typename ... on Site { name }
          ... on SiteOwned { site { name } } }
      }""", {"id": "Q291cG9uOjE="}),
    Case("@skip and @include with literals", """{ coupons(first: 2) { nodes {
        name @skip(if: true) id @include(if: false) timesUsed @include(if: true)
        ... @skip(if: true) { description } } } }"""),
    Case("variables: arguments, defaults, lists and input objects", """query(
        $n: Int = 2, $order: CouponOrder, $t: Trashed!) {
        coupons(first: $n, orderBy: $order, trashed: $t) { nodes { name deletedAt } } }""",
         {"order": {"field": "NAME", "direction": "DESC"}, "t": "WITH"}),
    Case("null in nullable fields, empty lists", """{ coupons(first: 5) { nodes { description
        codes(first: 1, filter: {code: {eq: "NOPE"}}) { nodes { code } totalCount
          pageInfo { startCursor } } } } }"""),
    Case("an error in a nullable field: null there, the rest stays", """{
        coupon(id: "nonsense") { name } coupons(first: 1) { nodes { name } } }"""),
    Case("an error in a non-null field below a nullable one", """{
        c: coupon(id: "Q291cG9uOjE=") { name codes(first: -1) { totalCount } } }"""),
    Case("the same error for every item of a list, propagating to data", """{
        coupons(first: 3) { nodes { name codes(last: 5000) { totalCount } } } }"""),
    Case("the same error for every item, stopped by a nullable field", """{
        coupons(first: 3) { nodes { site { coupons(after: "nope") { totalCount } } } } }"""),
    Case("an argument that fails on the top-level field", """{
        coupons(first: 2, last: 2) { totalCount } sites(first: 1) { nodes { name } } }"""),
    Case("a trashed choice made above holds below", """{ coupons(first: 20, trashed: WITH) {
        nodes { name deletedAt codes(first: 20) { nodes { code deletedAt } } } } }"""),
    Case("tenancy: a site reader's lists and refusals", """{
        coupons(first: 5) { nodes { name site { name } } }
        discountCodes(first: 1) { totalCount } }""",
         caller="site reader"),
    Case("anonymous", "{ coupons(first: 1) { totalCount } }", caller="anonymous"),
    Case("a named operation among several", """query A { sites(first: 1) { nodes { name } } }
        query B { coupons(first: 1) { nodes { name } } }""", operation="B"),
]  # fmt: skip


@pytest.mark.parametrize("case", PLANNED, ids=[case.name for case in PLANNED])
async def test_planned_documents_answer_as_graphql_core_does(
    executors: Executors, demo: dict[str, list[str]], case: Case
) -> None:
    stats = Stats()
    outcome = await _both(executors, case, _caller(case.caller, demo))
    assert outcome.same, outcome.explain(case.document, case.variables)
    assert (stats["planned"], stats["standard"], stats["replayed"]) == (1, 0, 0)


@pytest.mark.parametrize("skip", [True, False])
async def test_skip_and_include_follow_their_variables(executors: Executors, skip: bool) -> None:
    document = """query($skip: Boolean!, $include: Boolean = true) { coupons(first: 2) { nodes {
        name @skip(if: $skip) id @include(if: $skip) ...F @include(if: $include) } } }
        fragment F on Coupon { timesUsed @skip(if: $skip) }"""
    for include in (True, False):
        data = await executors.check(document, {"skip": skip, "include": include})
        node = data["data"]["coupons"]["nodes"][0]
        assert ("name" in node) is not skip and ("id" in node) is skip
        assert ("timesUsed" in node) is (include and not skip)


async def test_variable_errors_and_validation_errors_are_strawberrys(executors: Executors) -> None:
    await executors.check("query($n: Int!) { coupons(first: $n) { totalCount } }", {"n": "x"})
    await executors.check("{ coupons { nope } }")
    await executors.check("{ coupons(first: 1) { totalCount } ")


async def test_errors_of_several_fields_are_left_to_graphql_core(executors: Executors) -> None:
    """Which of several competing errors graphql-core keeps depends on its task scheduling:
    the plan executor hands such operations over, reusing what the root resolvers returned."""
    stats = Stats()
    documents = [
        """{ coupons(first: 2) { nodes {
             a: codes(first: -1) { totalCount } b: redemptions(last: -1) { totalCount } } } }""",
        """{ coupon(id: "bad") { name } site(id: "bad") { name } }""",
        """{ coupons(first: 2) {
             edges { node { codes(first: -1) { totalCount } site { name } } }
             nodes { codes(after: "x") { totalCount } } } }""",
    ]
    for document in documents:
        await executors.check(document)
    assert stats["replayed"] == len(documents)


async def test_root_resolvers_are_not_called_again_when_graphql_core_takes_over(
    executors: Executors, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.graphql import queries

    calls: list[str] = []
    original = queries.fetch_node

    async def counting(info: Any, type_name: str, *args: Any) -> Any:
        calls.append(info.path.key)
        return await original(info, type_name, *args)

    monkeypatch.setattr(queries, "fetch_node", counting)
    document = """{ one: coupon(id: "Q291cG9uOjE=") {
        a: codes(first: -1) { totalCount } b: codes(last: -1) { totalCount } } }"""
    context = executors.context()
    stats = Stats()
    try:
        result = await executors.plan.execute(document, context_value=context)
    finally:
        await context.db.close()
    assert stats["replayed"] == 1 and result.errors
    assert calls == ["one"]  # once, by the plan executor; graphql-core reused its result


def _caller(caller: str, demo: dict[str, list[str]]) -> Any:
    if caller == "site reader":
        parsed = parse_global_id(demo["Site"][0])
        assert parsed is not None
        return site_reader(parsed[1])
    return ANONYMOUS if caller == "anonymous" else ADMIN


async def _both(executors: Executors, case: Case, principal: Any) -> Outcome:
    async def one(schema: Any) -> dict[str, Any]:
        context = executors.context(principal)
        try:
            result = await schema.execute(
                case.document, variable_values=case.variables, context_value=context,
                operation_name=case.operation,
            )  # fmt: skip
        finally:
            await context.db.close()
        return normalize(result)

    return Outcome(await one(executors.plan), await one(executors.standard))
