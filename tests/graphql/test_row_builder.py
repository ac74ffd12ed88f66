"""Rows become API objects without the dataclass `__init__`: the same objects as with it."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
import sqlalchemy as sa
import strawberry
from sqlalchemy.ext.asyncio import AsyncEngine

from app.db import tables as t
from app.graphql.types.base import build_for, row_builder
from app.graphql.types.coupon_code import CouponCode


def _as_init_would(cls: type, row: Any, type_name: str, **computed: Any) -> Any:
    mapping = row._mapping
    values = {
        f.name: mapping[f.name]
        for f in dataclasses.fields(cls)
        if f.init and f.name in mapping and f.name not in computed and f.name != "id"
    }
    values.update({name: compute(row) for name, compute in computed.items()})
    from app.graphql.ids import to_global_id

    values["id"] = to_global_id(type_name, row.id)
    values["db_id"] = row.id
    return cls(**values)


async def test_built_objects_equal_init_built_ones(engine: AsyncEngine, make: Any) -> None:
    org = await make.organisation()
    site = await make.site(org)
    coupon = await make.coupon(site)
    for _ in range(3):
        await make.coupon_code(coupon)
    async with engine.connect() as connection:
        codes = (await connection.execute(sa.select(t.COUPON_CODE))).all()
        coupons = (await connection.execute(sa.select(t.Coupon.__table__))).all()
        # a different column order (and an extra column): another layout, same objects
        reordered = (
            await connection.execute(
                sa.select(*reversed(list(t.COUPON_CODE.c)), sa.literal(7).label("extra"))
            )
        ).all()
    build = build_for("CouponCode")
    for row in [*codes, *reordered, *codes]:  # layouts alternate: each is worked out again
        built = build(row)
        assert type(built) is CouponCode
        assert vars(built) == vars(_as_init_would(CouponCode, row, "CouponCode"))
    built_coupon = build_for("Coupon")(coupons[0])
    assert built_coupon.row is coupons[0]  # the computed field is filled (Terms come from it)
    assert built_coupon.name == coupons[0].name


async def test_defaults_fill_what_the_row_lacks_and_required_fields_still_fail(
    engine: AsyncEngine,
) -> None:
    @strawberry.type
    class Thing:
        id: strawberry.ID
        db_id: strawberry.Private[int]
        name: str
        note: str | None = None

    build = row_builder(Thing, "Thing")
    async with engine.connect() as connection:
        row = (
            await connection.execute(
                sa.select(sa.literal(5).label("id"), sa.literal("x").label("name"))
            )
        ).one()
        bare = (await connection.execute(sa.select(sa.literal(6).label("id")))).one()
    thing = build(row)
    assert (thing.db_id, thing.name, thing.note) == (5, "x", None)
    with pytest.raises(TypeError, match="name"):
        build(bare)


def test_connections_are_made_as_their_dataclasses_would_be() -> None:
    from app.db.paging import Ordering, Page
    from app.graphql.lists import COUPON_CODES
    from app.graphql.pagination import Connection, PageInfo, to_connection

    ordering = Ordering(COUPON_CODES.sort_columns[0])
    page = Page(rows=[], has_next_page=True, has_previous_page=False, total_count=4)
    made = to_connection(page, ordering, lambda row: row)
    expected = Connection(
        edges=[], nodes=[], total_count=4,
        page_info=PageInfo(has_next_page=True, has_previous_page=False, start_cursor=None, end_cursor=None),
    )  # fmt: skip
    assert type(made) is Connection and type(made.page_info) is PageInfo
    assert vars(made) == {**vars(expected), "page_info": made.page_info}
    assert vars(made.page_info) == vars(expected.page_info)
