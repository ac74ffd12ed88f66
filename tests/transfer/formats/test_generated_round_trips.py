"""Generated documents of each vendor read into transfer records and write back equal."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from app.transfer.formats import nexudus, nuweb, trybe
from tests.transfer.formats import strategies
from tests.transfer.formats.support import round_trip, without
from tests.transfer.formats.test_nexudus import ASIDE as NEXUDUS_ASIDE
from tests.transfer.formats.test_nuweb import comparable

_SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def as_bytes(document: Any) -> bytes:
    return json.dumps(document, ensure_ascii=False).encode()


@pytest.mark.slow
@_SETTINGS
@given(strategies.nexudus_pages())
def test_nexudus_documents_write_back_equal(case: tuple[Any, str]) -> None:
    document, envelope = case
    written = round_trip(nexudus, as_bytes(document), strategies.SITE, envelope)
    assert without(written, NEXUDUS_ASIDE) == without(document, NEXUDUS_ASIDE)


@_SETTINGS
@given(strategies.trybe_pages())
def test_trybe_documents_write_back_equal(document: dict[str, Any]) -> None:
    assert round_trip(trybe, as_bytes(document), strategies.SITE, "page") == document


@_SETTINGS
@given(strategies.nuweb_documents())
def test_nuweb_documents_write_back_equal(document: dict[str, Any]) -> None:
    assert comparable(round_trip(nuweb, as_bytes(document), None, "page")) == comparable(document)
