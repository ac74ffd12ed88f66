"""Fuzzing (issue 5, item 6): hypothesis-graphql writes queries and mutations from the schema;
an administrator sends them over HTTP to the app holding the demo data set.

Whatever the document, the app answers without an internal error: no HTTP 500, no
`INTERNAL_SERVER_ERROR`, and a mutation's business outcomes (a bad input, a code that cannot
be redeemed, a record in the wrong state) come back as typed payloads (`userErrors`, `valid:
false` with a reason), never as errors of the field.

The scalars are drawn to reach deep: ids are mostly global ids of demo records (of every type,
so a typed argument also gets ids of other types), strings are often real codes, currencies and
names, and every scalar has its edge values (NUL characters, extreme dates, NaN, huge numbers).
Runs are derandomised, so CI sees the same documents every time.
`pytest tests/access/test_fuzz.py --hypothesis-show-statistics` shows what was answered.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import AsyncIterator, Callable
from decimal import Decimal
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from graphql import (
    ArgumentNode,
    DocumentNode,
    FieldNode,
    NameNode,
    ObjectFieldNode,
    OperationDefinitionNode,
    SelectionSetNode,
    StringValueNode,
    Visitor,
    get_named_type,
    parse,
    print_ast,
    visit,
)
from hypothesis import HealthCheck, Phase, event, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import mutations, nodes, queries
from sqlalchemy.ext.asyncio import AsyncEngine

from app.demo import seed_demo
from app.graphql.ids import to_global_id
from app.graphql.schema import build_schema, schema_sdl
from app.graphql.types.base import NODE_TYPES
from tests.access import fuzz_inputs
from tests.access.support import GRAPHQL_RESPONSE_JSON, mint
from tests.emptying import empty

SCHEMA = build_schema()
SDL = schema_sdl(SCHEMA)
FUZZ = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate, Phase.shrink],
    suppress_health_check=list(HealthCheck),
)
# Errors of a whole request: its document refused before execution (limits included).
# Errors of a whole request: its document refused before execution (a query limit, a value
# the schema does not accept; graphql-core's validation errors carry no code).
REQUEST_ERRORS = {
    None,
    "BAD_REQUEST",
    "BAD_USER_INPUT",
    "QUERY_TOO_COSTLY",
    "QUERY_TOO_DEEP",
    "TOO_MANY_ALIASES",
    "TOO_MANY_TOKENS",
    "LIST_TOO_LONG",
    "TOO_MANY_LIST_ITEMS",
    "TOO_MANY_FILTER_TERMS",
    "INPUT_TOO_DEEP",
}
# Every code an answer may carry (errors of fields included); anything else is a bug.
KNOWN_CODES = {
    *REQUEST_ERRORS,
    "REQUEST_TOO_LARGE",
    "RESPONSE_TOO_LARGE",
    "FORBIDDEN",
    "NOT_FOUND",
    "RATE_LIMITED",
}


class Demo:
    """The client, the administrator's token, the scalar strategies and the ids of the demo."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        token: str,
        scalars: dict[str, st.SearchStrategy[Any]],
        values: dict[str, st.SearchStrategy[Any]],
        ids: dict[str, list[str]],
    ) -> None:
        self.http, self.token, self.ids = http, token, ids
        self.scalars, self.values = scalars, values

    def __repr__(self) -> str:  # keeps failure reports readable
        return "Demo()"


def scalar_strategies(ids: list[str], words: list[str]) -> dict[str, st.SearchStrategy[Any]]:
    """The scalars as hypothesis-graphql's literal nodes."""
    return {
        name: strategy.map(nodes.Int if name == "Int" else nodes.String)
        for name, strategy in scalar_values(ids, words).items()
    }


def scalar_values(ids: list[str], words: list[str]) -> dict[str, st.SearchStrategy[Any]]:
    """The scalars as JSON values (of variables)."""
    naive = st.datetimes(
        min_value=dt.datetime(1, 1, 1), max_value=dt.datetime(9999, 12, 31, 23, 59)
    )
    recent = st.datetimes(min_value=dt.datetime(2024, 1, 1), max_value=dt.datetime(2027, 12, 31))
    instants = st.one_of(
        recent.map(lambda d: d.replace(tzinfo=dt.UTC).isoformat()),
        recent.map(lambda d: d.isoformat()),  # naive: the site's wall time
        naive.map(lambda d: d.isoformat()),
        st.sampled_from(
            ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00", "9999-12-31T23:59:59"]
        ),
    )
    days = st.one_of(
        st.dates(min_value=dt.date(2024, 1, 1), max_value=dt.date(2027, 12, 31)),
        st.sampled_from([dt.date.min, dt.date.max]),
    ).map(lambda d: d.isoformat())
    text = st.text(
        st.characters(codec="utf-8", min_codepoint=1, exclude_categories=["Cs"]), max_size=12
    )
    edges = [
        "a\x00b",
        "x" * 300,
        " ",
        "  padded  ",
        "%",
        "_",
        "\\",
        "'; DROP TABLE coupon; --",
        "Ümlaut-ß",
        "😀",
        "\u202e",
        "0",
        "-1",
        "null",
        "MiXeD-CaSe",
    ]
    strings = st.one_of(st.sampled_from(words), text, st.sampled_from(edges))
    missing = st.sampled_from(sorted(NODE_TYPES)).map(lambda name: to_global_id(name, 10**9))
    decimals = st.one_of(
        st.decimals(min_value=-5, max_value=150, places=3, allow_nan=False, allow_infinity=False),
        st.sampled_from(
            [
                Decimal("NaN"),
                Decimal("Infinity"),
                Decimal("-0"),
                Decimal("1E+400"),
                Decimal("1E-400"),
            ]
        ),
    )
    ints = st.one_of(
        st.integers(-3, 40),
        st.sampled_from([-(2**31), 2**31 - 1, 1000, 1001, 100_000, 100_001]),
    )
    return {
        "ID": st.one_of(st.sampled_from(ids), st.sampled_from(ids), missing, text),
        "String": strings,
        "Int": ints,
        "DateTime": instants,
        "DateOrDateTime": st.one_of(days, instants),
        "Decimal": decimals.map(str),
        "UUID": st.one_of(st.uuids().map(str), text),
    }


async def demo_words_and_ids(engine: AsyncEngine) -> tuple[dict[str, list[str]], list[str]]:
    ids: dict[str, list[str]] = {}
    words = ["GBP", "EUR", "USD", "gbp", "XXX", ""]
    async with engine.connect() as connection:
        for name, (_cls, spec) in sorted(NODE_TYPES.items()):
            table = spec.table
            rows = (
                (await connection.execute(sa.select(table.c.id).order_by(table.c.id)))
                .scalars()
                .all()
            )
            # The first and last few of each type, and some from the middle
            chosen = sorted({*rows[:4], *rows[-4:], *rows[:: max(1, len(rows) // 8)]})
            ids[name] = [to_global_id(name, row) for row in chosen]
        for model in ("coupon_code", "discount_code"):
            table = sa.table(model, sa.column("code"))
            codes = (await connection.execute(sa.select(table.c.code).limit(40))).scalars().all()
            words += [*codes, *(c.lower() for c in codes[:10])]
        site = sa.table("site", sa.column("name"))
        words += (await connection.execute(sa.select(site.c.name))).scalars().all()
    return ids, words


@pytest.fixture(scope="module")
async def demo(app: Any, engine: AsyncEngine) -> AsyncIterator[Demo]:
    await empty(engine)
    await seed_demo(engine)
    ids, words = await demo_words_and_ids(engine)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        everything = [i for of_type in ids.values() for i in of_type]
        token = mint("fuzzer@example.com", audience=None, admin=True)
        yield Demo(
            http, token, scalar_strategies(everything, words), scalar_values(everything, words), ids
        )


# -- bending generated documents towards the data ------------------------------------------

# Argument and input field names that hold an id of one type.
ID_KEYS = {
    "siteId": "Site",
    "organisationId": "Organisation",
    "customerId": "Customer",
    "referrerId": "Customer",
    "couponId": "Coupon",
    "couponCodeId": "CouponCode",
    "discountCodeId": "DiscountCode",
    "assignmentId": "Assignment",
}
_VERB = re.compile(r"^(?:create|update|delete|restore|disable|enable|void)?(.+?)s?$")


def root_type(field: str) -> str | None:
    """The record type a root field is about (`deleteCouponCodes` -> CouponCode)."""
    match = _VERB.match(field)
    name = match.group(1) if match else field
    name = name[0].upper() + name[1:]
    return name if name in NODE_TYPES else None


def id_type(root: str, keys: list[str]) -> str | None:
    """The type of the id at `keys` (argument, input fields...) of root field `root`."""
    while keys and keys[-1] in ("eq", "in"):
        keys = keys[:-1]
    if not keys:
        return None
    if keys[-1] in ID_KEYS:
        return ID_KEYS[keys[-1]]
    if keys[-1] in ("id", "ids") and root != "node":
        return root_type(root)
    return None


class IdShaper(Visitor):
    """Most ids given to a root field become ids of demo records of the type it expects
    (hypothesis-graphql knows ID as one scalar; typed resolvers only go deep with the right
    type)."""

    def __init__(self, choose: Callable[[str], str | None]) -> None:
        super().__init__()
        self.choose = choose

    def enter_string_value(
        self, node: StringValueNode, _key: Any, parent: Any, _path: Any, ancestors: Any
    ) -> Any:
        chain = [*ancestors, parent]  # graphql-core leaves the parent out of the ancestors
        fields = [a for a in chain if isinstance(a, FieldNode)]
        if len(fields) != 1:  # only the root field's own arguments
            return None
        keys = [a.name.value for a in chain if isinstance(a, (ArgumentNode, ObjectFieldNode))]
        type_name = id_type(fields[0].name.value, keys)
        chosen = None if type_name is None else self.choose(type_name)
        return None if chosen is None else StringValueNode(value=chosen)


OUTCOME = FieldNode(
    alias=NameNode(value="fuzzOutcome"),
    name=NameNode(value="userErrors"),
    selection_set=SelectionSetNode(selections=(FieldNode(name=NameNode(value="code")),)),
)


def with_outcomes(document: DocumentNode) -> DocumentNode:
    """Every mutation payload also selects `userErrors { code }` (for the statistics)."""
    mutation_type = SCHEMA._schema.mutation_type
    assert mutation_type is not None
    definitions = []
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            fields = []
            for field in definition.selection_set.selections:
                if isinstance(field, FieldNode) and field.name.value in mutation_type.fields:
                    payload = get_named_type(mutation_type.fields[field.name.value].type)
                    if "userErrors" in getattr(payload, "fields", {}) and field.selection_set:
                        selections = (*field.selection_set.selections, OUTCOME)
                        field = dataclasses.replace(
                            field,
                            selection_set=dataclasses.replace(
                                field.selection_set, selections=selections
                            ),
                        )
                fields.append(field)
            selection_set = dataclasses.replace(definition.selection_set, selections=tuple(fields))
            definition = dataclasses.replace(definition, selection_set=selection_set)
        definitions.append(definition)
    return dataclasses.replace(document, definitions=tuple(definitions))


def shaped(demo: Demo, data: st.DataObject, document: str, *, outcomes: bool = False) -> str:
    def choose(type_name: str) -> str | None:
        if not data.draw(st.integers(0, 9), label=f"real {type_name} id?") < 8:
            return None
        return data.draw(st.sampled_from(demo.ids[type_name]), label=type_name)

    tree = visit(parse(document), IdShaper(choose))
    return print_ast(with_outcomes(tree) if outcomes else tree)


async def send(
    demo: Demo, document: str, variables: dict[str, Any] | None = None
) -> tuple[httpx.Response, dict[str, Any]]:
    headers = {"accept": GRAPHQL_RESPONSE_JSON, "authorization": f"Bearer {demo.token}"}
    payload = {"query": document, "variables": variables}
    response = await demo.http.post("/graphql", json=payload, headers=headers)
    body = response.json()
    event(f"HTTP {response.status_code}")
    for error in body.get("errors", []):
        event(f"error {(error.get('extensions') or {}).get('code')}")
    assert response.status_code != 500, (document, variables, body)
    codes = {(e.get("extensions") or {}).get("code") for e in body.get("errors", [])}
    assert "INTERNAL_SERVER_ERROR" not in codes, (document, variables, body)
    assert codes <= KNOWN_CODES, (document, variables, body)
    return response, body


@pytest.mark.slow
@FUZZ
@given(data=st.data())
async def test_generated_queries(demo: Demo, data: st.DataObject) -> None:
    generated = data.draw(queries(SDL, custom_scalars=demo.scalars), label="query")
    _response, body = await send(demo, shaped(demo, data, generated))
    failed = {str(e["path"][0]) for e in body.get("errors", []) if e.get("path")}
    for name, value in (body.get("data") or {}).items():
        event(f"{name}: {'error' if name in failed else 'null' if value is None else 'answered'}")


@pytest.mark.slow
@FUZZ
@given(data=st.data())
async def test_generated_mutations(demo: Demo, data: st.DataObject) -> None:
    generated = data.draw(mutations(SDL, custom_scalars=demo.scalars), label="mutation")
    document = shaped(demo, data, generated, outcomes=True)
    response, body = await send(demo, document)
    if response.status_code != 200:
        # Refused before anything ran (a limit, a value the schema does not accept)
        assert body.get("errors") and "data" not in body, body
        assert {
            (e.get("extensions") or {}).get("code") for e in body["errors"]
        } <= REQUEST_ERRORS, body
        return
    # Executed: every business outcome is in a payload; no mutation fails as a field for an
    # administrator (errors below a payload are about the selection's own arguments)
    failed = [e for e in body.get("errors", []) if len(e.get("path") or ()) == 1]
    assert failed == [], (document, body)
    for name, payload in body["data"].items():
        outcome = (payload or {}).get("fuzzOutcome")
        if outcome is not None:
            event(f"{name}: {', '.join(sorted({e['code'] for e in outcome})) or 'done'}")


# Root fields with arguments, and an operation for each with every argument a variable.
FIELDS_WITH_ARGUMENTS = [
    (root, name, document)
    for root in (SCHEMA._schema.query_type, SCHEMA._schema.mutation_type)
    if root is not None
    for name in sorted(root.fields)
    if (document := fuzz_inputs.operation(SCHEMA._schema, root, name)) is not None
]


@pytest.mark.slow
@settings(FUZZ, max_examples=200)
@given(data=st.data())
async def test_generated_variables(demo: Demo, data: st.DataObject) -> None:
    # given an operation whose arguments are variables, each field used twice, and values for
    # them drawn from their types (floats for Int, lists around the limits, misspelt input
    # fields, deep and/or, wrong kinds)
    root, name, document = data.draw(st.sampled_from(FIELDS_WITH_ARGUMENTS), label="field")
    variables = data.draw(fuzz_inputs.variables(root.fields[name], demo.values), label="variables")
    # when it is sent, then it is answered or refused with a known code, never a 500
    response, body = await send(demo, document, variables)
    event(f"{name}: HTTP {response.status_code}")
