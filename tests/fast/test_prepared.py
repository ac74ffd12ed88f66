"""Prepared reads (app.fast.prepared): the rows of a compiled shape are the rows SQLAlchemy gives."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from app.db import tables as t
from app.db.keyed_reads import rows_by_column
from app.db.paging import Ordering, PageWants, Window, fetch_page
from app.db.session import RequestDatabase
from app.domain.enums import CustomerKind
from app.fast import prepared
from app.fast.prepared_reads import request_database
from tests.graphql.test_statement_count import count_statements


async def _customers(make: Any) -> tuple[Any, list[Any]]:
    org = await make.organisation()
    kinds = [CustomerKind.INDIVIDUAL, CustomerKind.COMPANY]
    customers = [
        await make.customer(org, kind=kinds[i % 2], email=None if i % 3 else f"c{i}@example.com")
        for i in range(7)
    ]
    return org, customers


async def test_a_shape_read_twice_gives_what_sqlalchemy_gives(
    make: Any, engine: Any, is_postgres: bool
) -> None:
    org, customers = await _customers(make)
    table = t.CUSTOMER
    where = [table.c.organisation_id.in_([org.id, org.id + 1000]), table.c.deleted_at.is_(None)]
    shape = ("test", org.id)
    async with engine.connect() as connection:
        result = await connection.execute(sa.select(table).order_by(table.c.id))
        expected = {row.id: row for row in result.all()}
    # each read with the prepared reads (the fast path on, twice: compiled, then sent to
    # asyncpg on PostgreSQL) and without them (off)
    ways = (request_database, request_database, RequestDatabase)
    for keys, way in itertools.product(
        ([customers[0].id, customers[3].id], [c.id for c in customers], [10**6]), ways
    ):
        db = way(engine)
        try:
            with count_statements(engine) as seen:
                grouped = await rows_by_column(db, table, table.c.id, keys, where, shape)
        finally:
            await db.close()
        assert len(seen) == 1  # counted, whichever way it went
        assert {k: rows[0] for k, rows in grouped.items()} == {
            k: expected[k] for k in keys if k in expected
        }
        for rows in grouped.values():  # the enum comes back as the enum, not its name
            assert isinstance(rows[0].kind, CustomerKind)
    known = prepared.lookup(engine, ("rows_by_column", "customer", "id", shape))
    assert (known is not None) == is_postgres


async def test_pages_through_a_prepared_shape_match_pages_without_one(
    make: Any, engine: Any
) -> None:
    org = await make.organisation()
    site = await make.site(org)
    coupon = await make.coupon(site)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    for i in range(9):  # valid_from: some equal, some null, to walk ties and NULLs
        valid_from = None if i % 4 == 0 else start + timedelta(days=i // 2)
        await make.coupon_code(coupon, valid_from=valid_from)
    table = t.COUPON_CODE
    sort = next(s for s in _sorts() if s.column.name == "valid_from")
    where = [table.c.coupon_id == coupon.id]
    for descending in (False, True):
        ordering = Ordering(sort, descending)
        pages = {}
        for shaped in (None, ("test pages", coupon.id)):
            walked, after = [], None
            while True:
                db = request_database(engine)
                try:
                    page = await fetch_page(
                        db, table, tuple(table.c), where, ordering,
                        Window(first=2, after=after), PageWants(), shaped,
                    )  # fmt: skip
                finally:
                    await db.close()
                walked.append(([row.id for row in page.rows], page.has_next_page,
                               page.has_previous_page, page.total_count))  # fmt: skip
                if not page.has_next_page:
                    break
                after = ordering.cursor_values(page.rows[-1])
            pages[shaped is None] = walked
        assert pages[True] == pages[False]
        assert sum(len(ids) for ids, *_ in pages[True]) == 9


def _sorts() -> Any:
    from app.graphql.lists import COUPON_CODES

    return COUPON_CODES.sort_columns


async def test_callers_never_share_a_statement_their_scopes_would_write_differently(
    gql: Any, make: Any
) -> None:
    """A filter through a relationship (an assignment's discount code) reads the caller's
    scope on the related records: a caller who may not read discount codes must not match
    on them, even right after a caller who may (the same list shape otherwise)."""
    from tests.conftest import token

    org = await make.organisation()
    site = await make.site(org)
    customer = await make.customer(org)
    code = await make.discount_code(site, code="SECRET-1")
    await make.assignment(customer, code)
    lister = ["Assignment-List", "Assignment-Read"]
    may = token(
        subject="may@example.com",
        grants=[{"roles": [*lister, "DiscountCode-Read"], "sites": [site.id]}],
    )
    may_not = token(subject="may-not@example.com", grants=[{"roles": lister, "sites": [site.id]}])
    query = '{ assignments(filter: {discountCodeCode: {startsWith: "SECRET"}}) { nodes { id } } }'
    for first, second in ((may, may_not), (may_not, may), (may, may_not)):
        seen = {}
        for caller in (first, second):
            data = await gql(query, token=caller)
            seen[caller] = len(data["assignments"]["nodes"])
        assert seen == {may: 1, may_not: 0}


def test_a_statement_of_built_in_sizes_only_is_written_without_parameters() -> None:
    # PostgreSQL plans a statement without parameters once; with its LIMIT and row positions
    # as parameters it planned a nested page again on every execution
    from sqlalchemy.dialects.postgresql import asyncpg

    table = t.COUPON_CODE
    position = sa.func.row_number().over(order_by=[table.c.id])
    sizes_only = (
        sa.select(sa.case((position <= 10, table.c.code)), position.label("n"))
        .where(table.c.deleted_at.is_(None))
        .limit(11)
    )
    compiled = prepared.with_sizes_written_in(sizes_only).compile(
        dialect=asyncpg.dialect(), compile_kwargs={"render_postcompile": True}
    )
    assert not compiled.positiontup
    assert "<= 10" in compiled.string and "LIMIT 11" in compiled.string
    # a request's own value keeps every parameter where it was: the planner had settled on
    # one plan for the assignments page with its LIMIT a parameter, not with it written in
    with_an_id = sizes_only.where(table.c.coupon_id == sa.bindparam("coupon_id", 0))
    assert prepared.with_sizes_written_in(with_an_id) is with_an_id


async def test_a_nested_page_read_again_gives_the_same_rows_with_its_sizes_written_in(
    make: Any, engine: Any, is_postgres: bool
) -> None:
    org, customers = await _customers(make)
    table = t.CUSTOMER
    position = sa.func.row_number().over(order_by=[table.c.id])
    shape = ("test sizes", org.id)

    def build() -> Any:
        return (
            sa.select(table.c.id, sa.case((position <= 3, table.c.email)), position.label("n"))
            .where(table.c.organisation_id == org.id)
            .order_by(table.c.id)
            .limit(4)
        )

    answers = []
    for _ in range(3):  # through SQLAlchemy, then (PostgreSQL) twice as a prepared read
        db = request_database(engine)
        try:
            answers.append([tuple(row) for row in await db.fetch(shape, build, {})])
        finally:
            await db.close()
    assert answers[0] == answers[1] == answers[2]
    assert [row[0] for row in answers[0]] == sorted(c.id for c in customers)[:4]
    assert [row[2] for row in answers[0]] == [1, 2, 3, 4] and answers[0][3][1] is None
    known = prepared.lookup(engine, shape)
    assert (known is not None) == is_postgres
    if known is not None:
        assert known.names == () and "LIMIT 4" in known.sql
