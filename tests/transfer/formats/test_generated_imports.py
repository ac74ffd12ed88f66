"""Property: a vendor document imported through scripts/import into an empty site and exported
through scripts/export comes back equal (the times and author the import sets aside), and
importing it again changes nothing."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from tests.transfer.formats import importable
from tests.transfer.formats.support import without
from tests.transfer.formats.test_nuweb import comparable
from tests.transfer.helpers import Ran, last_line, run_export, run_import

_files = itertools.count(1)
_SETTINGS = settings(
    max_examples=20, deadline=None, suppress_health_check=list(HealthCheck), database=None
)
NEXUDUS_ASIDE = frozenset({"UpdatedOn", "UpdatedBy", "ToStringText"})


async def _site(make: Any) -> Any:
    organisation = await make.organisation()
    facts = importable.SITE
    return await make.site(
        organisation, name=facts.name, currency=facts.currency, external_id=facts.external_id
    )


def _write(tmp_path: Path, document: Any) -> Path:
    path = tmp_path / f"doc-{next(_files)}.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


async def _round_trip(
    database_url: str, site: Any, vendor: str, tmp_path: Path, *files: Path
) -> tuple[Any, Ran]:
    ran = await run_import(database_url, site.id, "--format", vendor, *files)
    assert ran.status == 0, ran.err
    out = tmp_path / f"out-{next(_files)}.json"
    exported = await run_export(
        database_url, site.id, "--format", vendor, "--trashed", "WITH", "--out", out
    )
    assert exported.status == 0, exported.err
    again = await run_import(database_url, site.id, "--format", vendor, *files)
    return json.loads(out.read_text(encoding="utf-8")), again


@pytest.mark.slow
@_SETTINGS
@given(files=importable.nexudus())
async def test_nexudus_documents_import_and_export_back_equal(
    files: tuple[list[dict[str, Any]], list[dict[str, Any]]],
    make: Any,
    database_url: str,
    tmp_path: Path,
) -> None:
    codes, assignments = files
    site = await _site(make)
    paths = [_write(tmp_path, codes), _write(tmp_path, {"Records": assignments})]
    page, again = await _round_trip(database_url, site, "nexudus", tmp_path, *paths)
    assert without(page["Records"], NEXUDUS_ASIDE) == without(codes + assignments, NEXUDUS_ASIDE)
    assert "0 created, 0 updated" in last_line(again), again.err


@_SETTINGS
@given(document=importable.trybe())
async def test_trybe_documents_import_and_export_back_equal(
    document: list[dict[str, Any]], make: Any, database_url: str, tmp_path: Path
) -> None:
    site = await _site(make)
    page, again = await _round_trip(
        database_url, site, "trybe", tmp_path, _write(tmp_path, document)
    )
    assert without(page["data"], frozenset({"updated_at"})) == without(
        document, frozenset({"updated_at"})
    )
    assert "0 created, 0 updated" in last_line(again), again.err


@_SETTINGS
@given(document=importable.nuweb())
async def test_nuweb_documents_import_and_export_back_equal(
    document: dict[str, Any], make: Any, database_url: str, tmp_path: Path
) -> None:
    site = await _site(make)
    written, again = await _round_trip(
        database_url, site, "nuweb", tmp_path, _write(tmp_path, document)
    )
    for resource in written["data"] + document["data"]:
        resource["attributes"].pop("updatedAt", None)
    assert comparable(written) == comparable(document)
    assert "0 created, 0 updated" in last_line(again), again.err
