"""Memory stays flat however big the document: readers hand over one record at a time and
writers write each record as it comes (the Nexudus writer's lookups go to disk).

Each document here is written by the format's own writer from a generator and read back; the
Python memory traced at the peak of either must stay far below the document's size (a reader
that loaded the whole JSON would need several times the file).
"""

from __future__ import annotations

import io
import json
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from app.transfer.formats import nexudus, nuweb, trybe
from app.transfer.site_facts import SiteFacts

COUNT = 12_000
SITE = SiteFacts(external_id="7", name="Big site", currency="GBP")
PEAK_LIMIT = 3 * 2**20


def nexudus_records(count: int) -> Iterator[dict[str, Any]]:
    yield {"type": "DiscountCode", "externalId": "1", "code": "ONE", "createdAt": "2025-01-01T00:00:00+00:00",
           "terms": {"kind": "PERCENTAGE", "percentage": "10.00", "eligibleCategories": []}}  # fmt: skip
    for n in range(count):
        yield {
            "type": "Customer",
            "externalId": str(10 + n),
            "fullName": f"Coworker number {n}",
            "kind": "INDIVIDUAL",
        }
        yield {"type": "Assignment", "externalId": str(10 + n), "customer": {"externalId": str(10 + n)},
               "discountCode": {"externalId": "1"}, "notes": "a note " * 10, "timesUsed": 1,
               "createdAt": "2025-01-01T00:00:00+00:00", "uniqueId": f"00000000-0000-4000-8000-{n:012d}"}  # fmt: skip


def nuweb_records(count: int) -> Iterator[dict[str, Any]]:
    for n in range(count):
        yield {"type": "DiscountCode", "externalId": str(n + 1), "code": f"CODE{n}",
               "createdAt": "2025-01-01T00:00:00+00:00", "updatedAt": "2025-01-01T00:00:00+00:00",
               "terms": {"kind": "FIXED", "amounts": [{"currency": "GBP", "amount": 500}],
                         "maximumDiscount": [{"currency": "EUR", "amount": 900}],
                         "eligibleCategories": [{"category": "OFFERING", "itemIds": ["1", "2", "3"]}]}}  # fmt: skip


def trybe_records(count: int) -> Iterator[dict[str, Any]]:
    yield {"type": "Coupon", "externalId": "c", "name": "Campaign",
           "terms": {"kind": "PERCENTAGE", "percentage": "15.00"}}  # fmt: skip
    for n in range(count):
        yield {"type": "CouponCode", "externalId": f"code-{n}", "coupon": {"externalId": "c"}, "code": f"GEN{n:08d}",
               "multiUse": False, "createdAt": "2025-01-01T00:00:00+00:00"}  # fmt: skip
        yield {"type": "Redemption", "externalId": f"use-{n}", "couponCode": {"externalId": f"code-{n}"},
               "amount": 100, "currency": "GBP", "redeemedAt": "2025-02-01T00:00:00+00:00"}  # fmt: skip


def peak_of(work: Callable[[], Any]) -> tuple[Any, int]:
    tracemalloc.start()
    try:
        result = work()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.slow
@pytest.mark.parametrize(
    ("module", "generate", "expected"),
    [
        (nexudus, nexudus_records, 1 + 3 * COUNT),
        (nuweb, nuweb_records, COUNT),
        (trybe, trybe_records, 1 + 2 * COUNT),
    ],
    ids=["nexudus", "nuweb", "trybe"],
)
def test_reading_and_writing_a_big_document_keeps_memory_flat(
    module: ModuleType,
    generate: Callable[[int], Iterator[dict[str, Any]]],
    expected: int,
    tmp_path: Path,
) -> None:
    path = tmp_path / "big.json"

    def write() -> None:
        with path.open("w", encoding="utf-8") as out:
            module.write(generate(COUNT), out, site=SITE)

    def read() -> int:
        with path.open("rb") as stream:
            return sum(
                1
                for record in module.read(stream, path.name, site=SITE)
                if isinstance(record, dict)
            )

    _, written_peak = peak_of(write)
    size = path.stat().st_size
    assert size > 1.5 * PEAK_LIMIT, size
    found, read_peak = peak_of(read)
    assert found == expected
    assert written_peak < PEAK_LIMIT, f"writing {size:,} bytes peaked at {written_peak:,} bytes"
    assert read_peak < PEAK_LIMIT, f"reading {size:,} bytes peaked at {read_peak:,} bytes"


def test_the_limit_would_catch_a_reader_that_loads_the_whole_document() -> None:
    out = io.StringIO()
    nuweb.write(nuweb_records(COUNT // 4), out)
    _, peak = peak_of(lambda: json.loads(out.getvalue()))
    assert peak > PEAK_LIMIT
