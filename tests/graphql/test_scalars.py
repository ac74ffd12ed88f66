"""The scalars read their documented wire forms and nothing else (issue 22, item 8)."""

from __future__ import annotations

import contextlib
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.graphql.scalars import (
    WireFormError,
    parse_date,
    parse_date_or_datetime,
    parse_datetime,
    parse_decimal,
    parse_uuid,
)
from tests.engine.support import VALIDATE, open_shop

LENIENT_DATES = [
    "20300101",  # ISO 8601 basic form: Python 3.11's fromisoformat reads it
    "2030-W01-1",  # ISO week date
    "2030-001",  # ordinal date
    "２０３０-０１-０１",  # full-width digits
    "2030-1-1",
    " 2030-01-01",
    "2030-02-30",  # the right shape, not a day
]
LENIENT_DATETIMES = [
    "20300101T000000Z",
    "2030-W01-1T00:00:00Z",
    "2030-01-01T00:00:00,5Z",  # comma fraction
    "2030-01-01 00:00:00Z",  # a space for the T
    "2030-01-01T00Z",
    "2030-01-01T24:00:00Z",
    "2030-01-01T00:00:00+2400",
    "2030-01-01T00:00:00+24:00",
    "2030-01-01T0０:00:00Z",
]
LENIENT_DECIMALS = ["１０", "1e1", "NaN", "Infinity", "1_0", " 10", "+10", "10.", ".5", "٣"]


@pytest.mark.parametrize("text", LENIENT_DATES)
def test_dates_other_than_calendar_dates_are_refused(text: str) -> None:
    with pytest.raises(WireFormError):
        parse_date(text)
    with pytest.raises(WireFormError):
        parse_date_or_datetime(text)


@pytest.mark.parametrize("text", LENIENT_DATETIMES)
def test_date_times_other_than_rfc_3339_are_refused(text: str) -> None:
    with pytest.raises(WireFormError):
        parse_datetime(text)


@pytest.mark.parametrize("text", LENIENT_DECIMALS)
def test_decimals_other_than_ascii_digits_are_refused(text: str) -> None:
    with pytest.raises(WireFormError):
        parse_decimal(text)


def test_the_documented_forms_are_read() -> None:
    utc, plus_two = UTC, timezone(timedelta(hours=2))
    assert parse_date("2030-01-31") == date(2030, 1, 31)
    assert parse_datetime("2030-01-31T10:15:30Z") == datetime(2030, 1, 31, 10, 15, 30, tzinfo=utc)
    assert parse_datetime("2030-01-31t10:15z") == datetime(2030, 1, 31, 10, 15, tzinfo=utc)
    assert parse_datetime("2030-01-31T10:15:30.123456789+02:00") == datetime(
        2030, 1, 31, 10, 15, 30, 123456, tzinfo=plus_two
    )
    assert parse_datetime("2030-01-31T10:15:30") == datetime(2030, 1, 31, 10, 15, 30)
    assert parse_date_or_datetime("2030-01-31") == date(2030, 1, 31)
    assert parse_decimal("12.50") == Decimal("12.50")
    assert parse_decimal(15) == Decimal(15) and parse_decimal(12.5) == Decimal("12.5")
    assert str(parse_uuid("0b9c5a6e-2f54-4d1c-9d4c-5b1f0a7e3c21")).startswith("0b9c5a6e")
    for bad in ("{0b9c5a6e-2f54-4d1c-9d4c-5b1f0a7e3c21}", "0b9c5a6e2f544d1c9d4c5b1f0a7e3c21"):
        with pytest.raises(WireFormError):
            parse_uuid(bad)


@given(st.datetimes(timezones=st.sampled_from([UTC, timezone(timedelta(hours=-5))])))
def test_every_instant_reads_back_from_its_own_output(moment: datetime) -> None:
    assert parse_datetime(moment.isoformat()) == moment


@given(st.text(max_size=30))
def test_any_text_is_read_or_refused_with_a_wire_form_error(text: str) -> None:
    for parse in (parse_date, parse_datetime, parse_date_or_datetime, parse_decimal, parse_uuid):
        with contextlib.suppress(WireFormError):
            parse(text)


async def test_lenient_forms_are_refused_through_http(gql: Any, make: Any) -> None:
    shop = await open_shop(make)
    await make.discount_code(shop.site, code="TEN", percentage=Decimal(10))
    cases: list[tuple[str, dict[str, Any]]] = [
        ("$at", {"at": "2030-W01-1T00:00:00Z"}),
        ("$at", {"at": "20300101T000000Z"}),
    ]
    for variable, extra in cases:
        errors = await gql.errors(VALIDATE, {"input": shop.attempt("TEN", **extra)})
        assert "RFC 3339" in errors[0]["message"], (variable, errors)
    create = """mutation($p: Decimal) {{ createDiscountCode(input: {{siteId: "{}", code: "X1",
        terms: {{kind: PERCENTAGE, percentage: $p}}}}) {{ discountCode {{ id }} }} }}""".format(
        shop.attempt("x")["siteId"]
    )
    errors = await gql.errors(create, {"p": "１０"})
    assert "ASCII digits" in errors[0]["message"]
    stats = """{ codeUsageStats(code: "TEN", bookingDate: "20300101", siteId: "%s") { limit } }"""
    errors = await gql.errors(stats % shop.attempt("x")["siteId"])
    assert "YYYY-MM-DD" in errors[0]["message"]
