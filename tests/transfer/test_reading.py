"""Reading in a worker process (app/transfer/reading.py): the same items as reading here, and an
import through it keeps every rule (all or nothing, idempotent, refusals named)."""

from __future__ import annotations

import functools
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from app.db import tables as t
from app.transfer.formats import nuweb
from app.transfer.importer import ImportRefused, run_import
from app.transfer.planner import Outcome
from app.transfer.reading import Reading, Source, batches
from app.transfer.site_facts import SiteFacts

NOW = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
READING = Reading("nuweb", SiteFacts("7", "Venue", "GBP"), "Europe/London", "GBP", NOW)


def code(n: int, **terms: Any) -> dict[str, Any]:
    return {
        "type": "DiscountCode", "externalId": str(n), "code": f"CODE{n}",
        "createdAt": "2025-01-10T08:00:00+00:00",
        "terms": {"kind": "PERCENTAGE", "percentage": f"{5 + n % 40}.50", "maxUses": 10 + n,
                  "validFrom": "2025-03-15", "validTo": "2026-12-31T23:59:00+00:00",
                  "eligibleCategories": [{"category": "OFFERING", "itemIds": [str(n)]}]
                  if n % 2 else [], **terms},
    }  # fmt: skip


def nuweb_file(path: Path, records: list[dict[str, Any]]) -> Source:
    with path.open("w", encoding="utf-8") as out:
        nuweb.write(records, out, site=READING.site)
    return Source(str(path), functools.partial(path.open, "rb"), path.stat().st_size)


def _seen(item: Any) -> tuple[Any, ...]:
    created = item.created
    if created is not None:
        columns, eligible, problems = created
        created = (columns, eligible, [(p.field, p.message) for p in problems])
    return (
        item.file, item.number, item.type, item.key, item.unique_id, item.columns, item.bounds,
        item.disabled_at, item.refs, item.problems, item.has_terms, item.terms_active, created,
        item.record, item.terms,
    )  # fmt: skip


async def _read(sources: list[Source], *, worker: bool, reading: Reading = READING) -> list[Any]:
    return [
        _seen(item) async for batch in batches(reading, sources, 4, worker=worker) for item in batch
    ]


async def test_the_worker_reads_what_this_process_reads(tmp_path: Path) -> None:
    records = [code(n) for n in range(1, 10)]
    records[2]["terms"]["percentage"] = "12.345"  # refused by the Terms merge
    records[4]["terms"]["disabledAt"] = "2025-06-01T00:00:00+00:00"
    records[5]["terms"]["maxUses"] = "many"  # refused by the vendor reader
    records[6]["code"] = ""  # refused later, by the planner
    source = nuweb_file(tmp_path / "codes.json", records)
    here = await _read([source], worker=False)
    assert len(here) == 9 and any(seen[9] for seen in here)  # some refused
    assert await _read([source], worker=True) == here

    # JSON Lines with numbers ijson reads as Decimal: the record comes back exactly.
    lines = tmp_path / "codes.jsonl"
    jsonl = [{**code(n), "terms": {**code(n)["terms"], "percentage": 12.5}} for n in range(3)]
    lines.write_text("".join(json.dumps(r) + "\n" for r in jsonl), encoding="utf-8")
    source = Source(str(lines), functools.partial(lines.open, "rb"), lines.stat().st_size)
    as_lines = Reading("jsonl", READING.site, "Europe/London", "GBP", NOW)
    here = await _read([source], worker=False, reading=as_lines)
    assert await _read([source], worker=True, reading=as_lines) == here


async def test_a_file_the_worker_cannot_read_is_refused_as_here(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"data": [{"type": "discountCodes", ', encoding="utf-8")
    source = Source(str(path), functools.partial(path.open, "rb"), path.stat().st_size)
    errors = []
    for worker in (False, True):
        with pytest.raises(Exception) as raised:
            await _read([source], worker=worker)
        errors.append((type(raised.value), str(raised.value)))
    assert errors[0] == errors[1]


async def _codes(db: Any, site: Any) -> dict[str, Any]:
    async with db.connect() as connection:
        rows = await connection.execute(
            sa.select(t.DISCOUNT_CODE).where(t.DISCOUNT_CODE.c.site_id == site.id)
        )
        return {row.external_id: row for row in rows}


@pytest.mark.slow
async def test_an_import_through_the_worker_keeps_every_rule(
    make: Any, db: Any, tmp_path: Path
) -> None:
    site = await make.site(await make.organisation())

    async def imported(records: list[dict[str, Any]], name: str) -> Any:
        source = nuweb_file(tmp_path / name, records)
        refused: list[Any] = []
        summary = await run_import(
            db, site_id=site.id, format_name="nuweb", sources=[source], subject="test",
            on_refused=refused.append, batch_size=3, reader_process=True,
        )  # fmt: skip
        return summary, refused

    records = [code(n) for n in range(1, 8)]
    records[3]["terms"]["percentage"] = "12.345"
    with pytest.raises(ImportRefused, match="1 records refused; nothing was written"):
        await imported(records, "bad.json")
    assert await _codes(db, site) == {}

    records[3] = code(4, disabledAt="2025-06-01T00:00:00+00:00")
    summary, _ = await imported(records, "a.json")
    assert summary.total(Outcome.CREATED) == 7
    assert summary.reader_peak_rss_kib and summary.reader_peak_rss_kib > 1024
    assert (await _codes(db, site))["4"].disabled_at is not None

    again, _ = await imported(records, "b.json")
    assert again.total(Outcome.UNCHANGED) == 7

    # A Terms field the file does not name (nuwebgroup has no membersOnly), set since through
    # the API: kept, as merging over the stored Terms keeps it.
    async with db.begin() as connection:
        await connection.execute(
            sa.update(t.DISCOUNT_CODE)
            .where(t.DISCOUNT_CODE.c.external_id == "5")
            .values(members_only=True)
        )
    kept, _ = await imported(records, "b2.json")
    assert kept.total(Outcome.UNCHANGED) == 7
    assert (await _codes(db, site))["5"].members_only is True

    # Edited Terms (one changed field; one code's Terms made invalid): what changed is
    # updated, the invalid one refused with its field, and nothing written.
    records[0] = code(1, maxUses=99)
    records[1] = code(2, validFrom="2027-01-01")  # after validTo
    with pytest.raises(ImportRefused):
        await imported(records, "c.json")
    records[1] = code(2)
    edited, _ = await imported(records, "d.json")
    assert edited.total(Outcome.UPDATED) == 1 and edited.total(Outcome.UNCHANGED) == 6
    assert (await _codes(db, site))["1"].max_uses == 99


async def test_refusals_from_the_worker_name_file_record_and_field(
    make: Any, db: Any, tmp_path: Path
) -> None:
    site = await make.site(await make.organisation())
    records = [code(n) for n in range(1, 6)]
    records[1]["terms"]["validFrom"] = "2027-01-01"
    records[3]["terms"]["maxUses"] = "many"
    source = nuweb_file(tmp_path / "codes.json", records)
    refused: list[Any] = []
    with pytest.raises(ImportRefused):
        await run_import(
            db, site_id=site.id, format_name="nuweb", sources=[source], subject="test",
            on_refused=refused.append, reader_process=True,
        )  # fmt: skip
    by_number = {r.number: r for r in refused}
    assert sorted(by_number) == [2, 4]
    assert list(by_number[2].messages()) == [
        f"{source.name}: record 2: terms.validTo: validTo must be after validFrom"
    ]
    assert list(by_number[4].messages()) == [
        f"{source.name}: record 4: attributes.maximumUses: 'many' is not a whole number"
    ]
    # The record as the file gives it, for the rejects file.
    assert by_number[2].record["code"] == "CODE2"
    assert by_number[4].record["attributes"]["maximumUses"] == "many"


def test_the_reading_worker_starts_without_graphql() -> None:
    # The worker (a fresh interpreter per import) loads only what reading needs: the API's
    # wire forms come from app.domain.wire_forms, not from the GraphQL layer.
    import subprocess
    import sys

    from app.transfer.pipes import worker_environment

    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, app.transfer.reading, app.transfer.formats.nuweb;"
         " print(sorted({m.split('.')[0] for m in sys.modules} & {'strawberry', 'graphql'}))"],
        env=worker_environment(), capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    assert loaded.stdout.strip() == "[]"
