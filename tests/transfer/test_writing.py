"""Writing an export in a worker process (app/transfer/writing.py) gives the document the writer
thread gives, in every format."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from app.transfer.exporter import ExportRefused, run_export
from app.transfer.registry import FORMATS, writer
from tests.transfer.helpers import run_import, write_jsonl
from tests.transfer.test_import_command import records


def _writable() -> list[str]:
    names = []
    for name in FORMATS:
        try:
            writer(name)
        except KeyError:
            continue
        names.append(name)
    return names


@pytest.mark.parametrize("format_name", _writable())
async def test_the_worker_writes_what_the_thread_writes(
    make: Any, db: Any, database_url: str, tmp_path: Path, format_name: str
) -> None:
    site = await make.site(await make.organisation())
    given = records() + [
        {"type": "Customer", "externalId": f"c-{n}", "fullName": f"Zoë {n} “quoted”"}
        for n in range(50)
    ]
    ran = await run_import(
        database_url, site.id, "--format", "jsonl", write_jsonl(tmp_path / "a.jsonl", given)
    )
    assert ran.status == 0, ran.err
    documents, counts = [], []
    for process in (False, True):
        out = io.StringIO()
        counts.append(
            await run_export(
                db,
                site_id=site.id,
                format_name=format_name,
                trashed="WITH",
                stream=out,
                writer_process=process,
            )  # fmt: skip
        )
        documents.append(out.getvalue())
    assert documents[0] and documents[0] == documents[1]
    assert counts[0] == counts[1] == len(given)


async def test_no_site_is_refused_before_a_worker_starts(db: Any) -> None:
    out = io.StringIO()
    with pytest.raises(ExportRefused):
        await run_export(
            db, site_id=10**9, format_name="nuweb", trashed="WITH", stream=out, writer_process=True
        )
    assert out.getvalue() == ""
