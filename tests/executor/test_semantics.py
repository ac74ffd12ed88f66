"""Hand-written documents, each aimed at one rule of GraphQL execution, through both executors.

Every document must give the same response (data, errors in order, extensions) through the
plan executor and through graphql-core's; the counters then show which path answered.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.executor.support import ANONYMOUS, Executors, Stats, site_reader

COUPON_LIST = "coupons(first: 3) { totalCount nodes { id name } }"

# (name, document, variables): each answered by the plan executor, without replay.
PLANNED: list[tuple[str, str, dict[str, Any] | None]] = [
    ("scalars of every kind",
     """{ redemptions(first: 4, orderBy: {field: ID, direction: DESC}) { nodes {
          id uniqueId amount currency lineAmounts channel isLeadBooker redeemedAt voidedAt
          orderReference createdAt deletedAt } } }""", None),
    ("nested objects, lists of objects, plain and resolved",
     """{ coupons(first: 4) { totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
          edges { cursor node { name terms { kind percentage amounts { currency amount }
            minimumSpend { currency amount } usagePeriod validFrom active
            eligibleCategories { category itemIds } } } }
          nodes { timesUsed site { name currency timeZone organisation { name } } } } }""", None),
    ("aliases, the same field twice with other arguments",
     """{ first: coupons(first: 1) { nodes { name } } two: coupons(first: 2) { nodes { n: name id } }
          coupons(first: 1) { totalCount } }""", None),
    ("fields merged across fragments and repeated selections",
     """{ coupons(first: 3) { nodes { name ...Parts codes(first: 2) { nodes { code } } } }
          coupons(first: 3) { nodes { codes(first: 2) { nodes { timesUsed ...Code } } } } }
        fragment Parts on Coupon { id site { name } codes(first: 2) { totalCount } }
        fragment Code on CouponCode { code multiUse coupon { name } }""", None),
    ("inline fragments without a type, and on interfaces",
     """{ sites(first: 2) { nodes { ... { name } ... on Record { uniqueId } ... on Node { id } } } }""",
     None),
    ("__typename everywhere",
     """{ __typename coupons(first: 2) { __typename nodes { __typename
          codes(first: 1) { __typename edges { __typename node { __typename } } } } } }""", None),
    ("an interface: node() of every kind, with fragments per type",
     """query($id: ID!) { a: node(id: $id) { __typename id
          ... on Coupon { name codes(first: 1) { nodes { code } } } ... on Record { createdAt } }
        b: node(id: "U2l0ZTox") { __typename ... on Site { name } ... on SiteOwned { site { name } } } }""",
     {"id": "Q291cG9uOjE="}),
    ("@skip and @include with literals",
     """{ coupons(first: 2) { nodes { name @skip(if: true) id @include(if: false)
          timesUsed @include(if: true) ... @skip(if: true) { description } } } }""", None),
    ("variables: arguments, defaults, lists and input objects",
     """query($n: Int = 2, $order: CouponOrder, $t: Trashed!) {
          coupons(first: $n, orderBy: $order, trashed: $t) { nodes { name deletedAt } } }""",
     {"order": {"field": "NAME", "direction": "DESC"}, "t": "WITH"}),
    ("null in nullable fields, empty lists",
     """{ coupons(first: 5) { nodes { description codes(first: 1, filter: {code: {eq: "NOPE"}}) {
          nodes { code } totalCount pageInfo { startCursor } } } } }""", None),
    ("an error in a nullable field: null there, the rest stays",
     """{ coupon(id: "nonsense") { name } coupons(first: 1) { nodes { name } } }""", None),
    ("an error in a non-null field below a nullable one",
     """{ c: coupon(id: "Q291cG9uOjE=") { name codes(first: -1) { totalCount } } }""", None),
    ("the same error for every item of a list, propagating to data",
     """{ coupons(first: 3) { nodes { name codes(last: 5000) { totalCount } } } }""", None),
    ("the same error for every item, stopped by a nullable field",
     """{ coupons(first: 3) { nodes { site { coupons(after: "nope") { totalCount } } } } }""", None),
    ("an argument that fails on the top-level field",
     """{ coupons(first: 2, last: 2) { totalCount } sites(first: 1) { nodes { name } } }""", None),
    ("a trashed choice made above holds below",
     """{ coupons(first: 20, trashed: WITH) { nodes { name deletedAt codes(first: 20) { nodes { code deletedAt } } } } }""",
     None),
    ("tenancy: a site reader's lists and refusals",
     """{ coupons(first: 5) { nodes { name site { name } } } discountCodes(first: 1) { totalCount } }""",
     "site_reader"),
    ("anonymous", """{ coupons(first: 1) { totalCount } }""", "anonymous"),
    ("a named operation among several",
     """query A { sites(first: 1) { nodes { name } } } query B { coupons(first: 1) { nodes { name } } }""",
     "operation B"),
]


@pytest.mark.parametrize(("name", "document", "variables"), PLANNED, ids=[p[0] for p in PLANNED])
async def test_planned_documents_answer_as_graphql_core_does(
    executors: Executors, demo: dict[str, list[str]], name: str, document: str, variables: Any
) -> None:
    stats = Stats()
    principal, operation = _who(variables, demo)
    outcome = await _both(executors, document, None if isinstance(variables, str) else variables,
                          principal, operation)  # fmt: skip
    assert outcome.same, outcome.explain(document, variables)
    assert stats["planned"] == 1 and stats["standard"] == 0 and stats["replayed"] == 0, name


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
        """{ coupons(first: 2) { nodes { a: codes(first: -1) { totalCount } b: redemptions(last: -1) { totalCount } } } }""",
        """{ coupon(id: "bad") { name } site(id: "bad") { name } }""",
        """{ coupons(first: 2) { edges { node { codes(first: -1) { totalCount } site { name } } } nodes { codes(after: "x") { totalCount } } } }""",
    ]
    for document in documents:
        await executors.check(document)
    assert stats["replayed"] == len(documents)


async def test_root_resolvers_are_not_called_again_when_graphql_core_takes_over(
    executors: Executors, monkeypatch: pytest.MonkeyPatch
) -> None:
    import app.graphql.queries as queries

    calls: list[str] = []
    original = queries.fetch_node

    async def counting(info: Any, type_name: str, *args: Any) -> Any:
        calls.append(info.path.key)
        return await original(info, type_name, *args)

    monkeypatch.setattr(queries, "fetch_node", counting)
    document = """{ one: coupon(id: "Q291cG9uOjE=") { a: codes(first: -1) { totalCount } b: codes(last: -1) { totalCount } } }"""
    context = executors.context()
    stats = Stats()
    try:
        result = await executors.plan.execute(document, context_value=context)
    finally:
        await context.db.close()
    assert stats["replayed"] == 1 and result.errors
    assert calls == ["one"]  # once, by the plan executor; graphql-core reused its result


def _who(variables: Any, demo: dict[str, list[str]]) -> tuple[Any, str | None]:
    from tests.executor.support import ADMIN

    if variables == "site_reader":
        from app.graphql.ids import parse_global_id

        parsed = parse_global_id(demo["Site"][0])
        assert parsed is not None
        return site_reader(parsed[1]), None
    if variables == "anonymous":
        return ANONYMOUS, None
    if isinstance(variables, str) and variables.startswith("operation "):
        return ADMIN, variables.split()[1]
    return ADMIN, None


async def _both(
    executors: Executors, document: str, variables: Any, principal: Any, operation: str | None
) -> Any:
    from tests.executor.support import Outcome, normalize

    async def one(schema: Any) -> dict[str, Any]:
        context = executors.context(principal)
        try:
            result = await schema.execute(
                document, variable_values=variables, context_value=context,
                operation_name=operation,
            )  # fmt: skip
        finally:
            await context.db.close()
        return normalize(result)

    return Outcome(await one(executors.plan), await one(executors.standard))


COUPON_LIST_DOC = "{ " + COUPON_LIST + " }"
