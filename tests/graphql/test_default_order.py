"""The order of a list without `orderBy`, on the demo data, through HTTP.

Both executors answer every request of `gql` (tests/executor/shadow.py compares them), and on
PostgreSQL the plan executor renders these lists' nodes in the database (app.fast.rendering),
so one request here holds the SQL-rendered path, the Python path and graphql-core's to the
same order. The order itself is checked against the table: a list without `orderBy` is in
ascending id order (app.graphql.pagination.ordering_from, as the schema's `orderBy` says), at
the top and nested, so SQLite and PostgreSQL agree too.

Written for a report that the executors listed the demo's redemptions and assignments in
different orders: they do not (the id is unique, so the order is total on every path).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa

from app.db import tables as t
from app.demo import seed_demo
from app.graphql.ids import parse_global_id
from tests.fast_switch import FAST_PATH, fast_stats

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)

# Without `lineAmounts` (a field only Python builds), so that PostgreSQL renders these nodes.
REDEMPTIONS = """{ redemptions(trashed: WITH, first: 1000) { totalCount nodes { id amount
    currency orderReference channel isLeadBooker redeemedAt voidedAt
    customer { fullName } assignment { customer { fullName } } couponCode { code }
    discountCode { code } coupon { name } } } }"""

ASSIGNMENTS = """{ assignments(trashed: WITH, first: 1000) { totalCount nodes { id externalId
    uniqueId createdAt deletedAt validFrom expiresOn timesUsed notes bookingReference
    referrerUniqueId discountCode { code } couponCode { code } customer { fullName }
    referrer { fullName } } } }"""

NESTED = """{ couponCodes(trashed: WITH, first: 60) { nodes { id
    assignments(trashed: WITH, first: 30) { totalCount nodes { id createdAt deletedAt
      customer { fullName } } }
    redemptions(trashed: WITH, first: 100) { totalCount nodes { id amount redeemedAt
      voidedAt %s customer { fullName } } } } } }"""


# The reported documents as they were (no ids): only the executors' comparison checks them.
# The redemptions' `lineAmounts` keeps that list on the Python path on both executors.
REPORTED = [
    """{ redemptions(trashed: WITH, first: 1000) { totalCount nodes { amount currency
        orderReference channel isLeadBooker lineAmounts redeemedAt voidedAt
        customer { fullName } assignment { customer { fullName } } couponCode { code }
        discountCode { code } coupon { name } } } }""",
    """{ assignments(trashed: WITH, first: 1000) { totalCount nodes { externalId uniqueId
        createdAt deletedAt validFrom expiresOn timesUsed notes bookingReference
        referrerUniqueId discountCode { code } couponCode { code } customer { fullName }
        referrer { fullName } } } }""",
]


def _ids(nodes: list[dict[str, Any]]) -> list[int]:
    return [parse_global_id(node["id"])[1] for node in nodes]


async def _table_ids(engine: Any, model: Any, where: Any = None) -> list[int]:
    table = model.__table__
    query = sa.select(table.c.id).order_by(table.c.id)
    if where is not None:
        query = query.where(where)
    async with engine.connect() as connection:
        return [row.id for row in await connection.execute(query)]


async def test_root_lists_without_order_by_are_in_id_order(
    gql: Any, db: Any, is_postgres: bool
) -> None:
    await seed_demo(db, now=NOW, reset=True)
    rendered = fast_stats()["rendered"]
    for document in REPORTED:
        await gql(document)
    redemptions = (await gql(REDEMPTIONS))["redemptions"]
    assignments = (await gql(ASSIGNMENTS))["assignments"]
    assert redemptions["totalCount"] == 211 and assignments["totalCount"] == 32
    assert _ids(redemptions["nodes"]) == await _table_ids(db, t.Redemption)
    assert _ids(assignments["nodes"]) == await _table_ids(db, t.Assignment)
    # On PostgreSQL the lists' nodes were JSON built in the database (all but the reported
    # redemptions), so the SQL-rendered order was compared too.
    assert fast_stats()["rendered"] - rendered == (3 if is_postgres and FAST_PATH else 0)


# Without `lineAmounts` PostgreSQL renders the whole tree in one statement (the nested pages
# are correlated subqueries); with it the codes and their redemptions are built in Python from
# the pages of every parent at once (window functions), the assignments still rendered.
@pytest.mark.parametrize("extra", ["", "lineAmounts"])
async def test_nested_lists_without_order_by_are_in_id_order(
    gql: Any, db: Any, is_postgres: bool, extra: str
) -> None:
    await seed_demo(db, now=NOW, reset=True)
    rendered = fast_stats()["rendered"]
    codes = (await gql(NESTED % extra))["couponCodes"]["nodes"]
    assert codes and _ids(codes) == (await _table_ids(db, t.CouponCode))[:60]
    shown = 0
    for code in codes:
        code_id = parse_global_id(code["id"])[1]
        lists = (("assignments", t.Assignment, 30), ("redemptions", t.Redemption, 100))
        for field, model, size in lists:
            expected = await _table_ids(db, model, model.__table__.c.coupon_code_id == code_id)
            assert _ids(code[field]["nodes"]) == expected[:size], (field, code_id)
            shown += len(code[field]["nodes"])
    assert shown > 0
    assert fast_stats()["rendered"] - rendered == (1 if is_postgres and FAST_PATH else 0)
