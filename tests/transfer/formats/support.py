"""Reading a vendor document and writing it back, and comparing the two."""

from __future__ import annotations

import io
import json
from pathlib import Path
from types import ModuleType
from typing import Any

from app.transfer.registry import Refusal
from app.transfer.site_facts import SiteFacts

FIXTURES = Path(__file__).parent / "fixtures"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def read_all(module: ModuleType, document: bytes, site: SiteFacts | None = None) -> list[Any]:
    return list(module.read(io.BytesIO(document), "doc.json", site=site))


def records_of(
    module: ModuleType, document: bytes, site: SiteFacts | None = None
) -> list[dict[str, Any]]:
    """The transfer records of a document that must have no refusals."""
    found = read_all(module, document, site)
    refusals = [r for r in found if isinstance(r, Refusal)]
    assert not refusals, refusals
    return found


def write_all(
    module: ModuleType, records: list[dict[str, Any]], site: SiteFacts | None, envelope: str
) -> Any:
    out = io.StringIO()
    module.write(iter(records), out, site=site, envelope=envelope)
    return json.loads(out.getvalue())


def round_trip(module: ModuleType, document: bytes, site: SiteFacts | None, envelope: str) -> Any:
    return write_all(module, records_of(module, document, site), site, envelope)


def without(document: Any, aside: frozenset[str]) -> Any:
    """The document less the keys set aside, at any depth (server-made values)."""
    if isinstance(document, dict):
        return {k: without(v, aside) for k, v in document.items() if k not in aside}
    if isinstance(document, list):
        return [without(v, aside) for v in document]
    return document
