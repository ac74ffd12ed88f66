"""A bulk write's events, made by the database (app.db.event_batches), are the events
app.db.events makes of the same rows in Python: same payload, key for key, same owners."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from app.db import codes as stored_codes
from app.db import event_batches, events
from app.db import tables as t
from app.db.session import write_sessions
from app.domain.enums import (
    Channel,
    CodeCharset,
    CustomerKind,
    DiscountKind,
    ExpirationUnit,
    UsagePeriod,
)
from app.domain.global_ids import TYPE_NAMES
from app.services.actor import Actor
from app.services.code_generation import generate_coupon_codes

ODD_TEXT = 'Zoë "Q" \\ O\'Neil\n\t€ 😀'
ROUND = datetime(2026, 1, 31, 23, 0, tzinfo=UTC)  # no microseconds: isoformat leaves them out
FINE = datetime(2026, 3, 1, 9, 30, 15, 120000, tzinfo=UTC)


async def _rows(make: Any) -> dict[sa.Table, list[int]]:
    """Rows of every table whose objects have events, with values of every kind: NULLs,
    money maps, percentages, flags, instants with and without microseconds, odd text."""
    organisation = await make.organisation(name=ODD_TEXT)
    site = await make.site(organisation, time_zone="America/New_York", external_id="s-1")
    member = await make.customer(organisation, email="a@example.com", is_member=True)
    other = await make.customer(
        organisation, kind=CustomerKind.COMPANY, full_name=ODD_TEXT, deleted_at=FINE
    )
    percentage = await make.coupon(
        site,
        percentage_bp=1250,
        minimum_spend={"USD": 500, "GBP": 1000, "EUR": 0},
        valid_from=ROUND,
        valid_to=FINE,
        description=ODD_TEXT,
        usage_period=UsagePeriod.P1M,
        max_uses_per_customer=2,
    )
    fixed = await make.coupon(
        site,
        kind=DiscountKind.FIXED,
        amounts={"GBP": 500},
        maximum_discount={"GBP": 2000},
        expiration_unit=ExpirationUnit.MONTH,
        expires_in=1,
        disabled_at=FINE,
        members_only=True,
    )
    first = await make.coupon_code(percentage, valid_to=ROUND, revenue=1999)
    second = await make.coupon_code(
        fixed, customer_id=member.id, customer_credit_id="credit-1", multi_use=True
    )
    small = await make.discount_code(site, percentage_bp=5, external_id="nx-7", exclusive=True)
    plain = await make.discount_code(site, kind=DiscountKind.FIXED, amounts={"EUR": 1, "GBP": 2})
    given = await make.assignment(member, small, notes=ODD_TEXT, expires_on=FINE)
    referred = await make.assignment(other, first, referrer_id=member.id, booking_reference="b")
    used = await make.redemption(
        small, customer_id=member.id, assignment_id=given.id, line_amounts=[100, 0, 25]
    )
    voided = await make.redemption(
        first, channel=Channel.BOX_OFFICE, voided_at=FINE, imported_at=ROUND, order_reference="o"
    )
    return {
        t.ORGANISATION: [organisation.id],
        t.SITE: [site.id],
        t.CUSTOMER: [member.id, other.id],
        t.COUPON: [percentage.id, fixed.id],
        t.COUPON_CODE: [first.id, second.id],
        t.DISCOUNT_CODE: [small.id, plain.id],
        t.ASSIGNMENT: [given.id, referred.id],
        t.REDEMPTION: [used.id, voided.id],
    }


async def _compare(db: Any, table: sa.Table, ids: list[int], same: dict[str, Any]) -> int:
    """Writes the rows' events in bulk (rolled back afterwards) and compares each with
    `events.event_row` of the row as stored; how many were compared."""
    async with write_sessions(db)() as session, session.begin():
        condition = table.c.id.in_(ids)
        written = await event_batches.add_events(
            session, table, events.Verb.CREATED, condition, same=same
        )
        rows = (await session.execute(sa.select(table).where(condition, *[
            table.c[name] == value for name, value in same.items()
        ]))).all()  # fmt: skip
        stored = (
            await session.execute(
                sa.select(t.EVENT).where(t.EVENT.c.object_type == TYPE_NAMES[table.name])
            )
        ).all()
        assert written == len(rows) == len(stored)
        by_id = {row.id: row for row in rows}
        for event in stored:
            row = by_id[event.object_id]
            expected = events.event_row(table, events.Verb.CREATED, row.id, row._mapping, FINE)
            assert event.payload == expected["payload"]
            assert list(event.payload) == list(expected["payload"])  # the same key order
            for column in ("type", "site_id", "organisation_id", "object_type"):
                assert event._mapping[column] == expected[column]
            assert event.object_updated_at == row.updated_at
            assert (event.id.version, event.id.variant) == (7, uuid.RFC_4122)
            assert event.id.int & (2**40 - 1) == row.id  # in the rows' order (event_id_prefix)
        assert len({event.id for event in stored}) == len(stored)
        await session.rollback()
    return written


@pytest.mark.parametrize("fixed", [(), ("site_id", "organisation_id", "created_at", "kind")])
async def test_the_database_writes_the_payload_python_would(
    make: Any, db: Any, fixed: tuple[str, ...]
) -> None:
    """Every column from the database; then some of them given as the same in every row."""
    for table, ids in (await _rows(make)).items():
        async with db.connect() as connection:
            first = (await connection.execute(sa.select(table).where(table.c.id == ids[0]))).one()
        same = {name: first._mapping[name] for name in fixed if name in table.c}
        assert await _compare(db, table, ids, same) >= 1


async def test_the_events_follow_those_recorded_before(make: Any, db: Any) -> None:
    """Events a write recorded on its session before a bulk write's are sent first: the feed
    keeps the order of the writes."""
    rows = await _rows(make)
    async with write_sessions(db)() as session, session.begin():
        site = (await session.execute(sa.select(t.SITE))).one()
        events.record(session, t.SITE, events.Verb.UPDATED, site)
        condition = t.COUPON_CODE.c.id.in_(rows[t.COUPON_CODE])
        await event_batches.add_events(session, t.COUPON_CODE, events.Verb.CREATED, condition)
    async with db.connect() as connection:
        order = sa.select(t.EVENT.c.type).order_by(t.EVENT.c.position, t.EVENT.c.seq)
        types = list((await connection.execute(order)).scalars())
    assert types == ["site.updated", "couponCode.created", "couponCode.created"]


def test_bulk_event_ids_are_version_7_in_time_order() -> None:
    """The instant's milliseconds lead (a later write's ids sort after), then random bits."""
    earlier = event_batches.event_id_prefix(FINE)
    later = event_batches.event_id_prefix(FINE + timedelta(milliseconds=1))
    first, second = (uuid.UUID(prefix + "0" * 10) for prefix in (earlier, later))
    assert (first.version, first.variant) == (7, uuid.RFC_4122)
    assert first.int >> 80 == int(FINE.timestamp() * 1000)
    assert first < second
    assert len({event_batches.event_id_prefix(FINE) for _ in range(100)}) == 100


async def test_generated_codes_events_are_python_s_in_the_codes_order(
    make: Any, db: Any, monkeypatch: Any
) -> None:
    """Code generation writes its events with each chunk's INSERT on PostgreSQL (a CTE of its
    RETURNING), after the generation on SQLite: either way one per code added, each the
    event Python makes of the stored row, in the order of the codes' ids, none for the codes
    the coupon had. Four-digit codes (4,096) against 1,200 taken ones make chunks collide, so the
    skipping statement writes events too."""
    coupon = await make.coupon(await make.site(await make.organisation()))
    shape = {"length": 4, "charset": CodeCharset.DIGITS, "rng": random.Random(7)}
    sessions = write_sessions(db)
    await generate_coupon_codes(
        sessions, Actor(subject="first@example.com"), coupon_id=coupon.id, count=1200, **shape
    )
    monkeypatch.setattr(stored_codes, "CHUNK", 5)  # some chunks collide, some do not
    before = await _stored_events(db)
    generated = await generate_coupon_codes(
        sessions, Actor(subject="gen@example.com"), coupon_id=coupon.id, count=100, **shape
    )
    assert generated.count == 100
    async with db.connect() as connection:
        rows = (
            await connection.execute(
                sa.select(t.COUPON_CODE)
                .where(t.COUPON_CODE.c.updated_by == "gen@example.com")
                .order_by(t.COUPON_CODE.c.id)
            )
        ).all()
    written = (await _stored_events(db))[len(before) :]
    assert len(rows) == 100 and [event.object_id for event in written] == [r.id for r in rows]
    for event, row in zip(written, rows, strict=True):
        expected = events.event_row(t.COUPON_CODE, events.Verb.CREATED, row.id, row._mapping, FINE)
        assert event.payload == expected["payload"]
        assert list(event.payload) == list(expected["payload"])
        for column in ("type", "site_id", "organisation_id", "object_type"):
            assert event._mapping[column] == expected[column]
        assert event.object_updated_at == row.updated_at
        assert (event.id.version, event.id.variant) == (7, uuid.RFC_4122)
        assert event.id.int & (2**40 - 1) == row.id
    assert len({event.position for event in written}) == 1


async def _stored_events(db: Any) -> list[Any]:
    async with db.connect() as connection:
        order = sa.select(t.EVENT).order_by(t.EVENT.c.position, t.EVENT.c.seq)
        return list((await connection.execute(order)).all())
