"""The import's Terms cache answers as merge_terms does, and only shares an answer between
inputs merge_terms could not tell apart."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from app.domain.enums import DiscountKind
from app.services.terms_input import merge_terms
from app.transfer import terms_cache
from app.transfer.terms_cache import TermsCache

NOW = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
SITE = {"time_zone": "Europe/London", "currency": "GBP", "now": NOW}


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[dict]:
    seen: list[dict] = []

    def counting(changes, *args, **kwargs):
        seen.append(dict(changes))
        return merge_terms(changes, *args, **kwargs)

    monkeypatch.setattr(terms_cache, "merge_terms", counting)
    return seen


def _merge(cache: TermsCache, changes: dict) -> tuple:
    merged, problems = cache.validated(changes, None, {}, ("terms",))
    return merged.columns, merged.eligible, [(p.field, p.message) for p in problems]


def test_the_same_terms_are_validated_once_with_merge_terms_answer(calls: list[dict]) -> None:
    cache = TermsCache(**SITE)
    given = {"kind": DiscountKind.PERCENTAGE, "percentage": Decimal("12.5"), "max_uses": 10}
    first, again = _merge(cache, dict(given)), _merge(cache, dict(given))
    direct, problems = merge_terms(given, None, {}, path=("terms",), **SITE)
    assert (
        first
        == again
        == (direct.columns, direct.eligible, [(p.field, p.message) for p in problems])
    )
    assert len(calls) == 1


def test_a_refused_input_keeps_its_problems_when_remembered(calls: list[dict]) -> None:
    cache = TermsCache(**SITE)
    given = {"kind": DiscountKind.PERCENTAGE, "percentage": Decimal("12.345")}
    assert _merge(cache, dict(given))[2] == _merge(cache, dict(given))[2] != []
    assert len(calls) == 1


@pytest.mark.parametrize(
    ("one", "other"),
    [
        (
            {"percentage": Decimal("12.5")},
            {"percentage": Decimal("12.50")},
        ),  # equal, not the same text
        ({"max_uses": 1}, {"max_uses": True}),  # 1 == True in Python
        ({"max_uses": 10}, {"max_uses": 11}),
    ],
)
def test_inputs_that_merely_compare_equal_are_validated_apart(
    calls: list[dict], one: dict, other: dict
) -> None:
    cache = TermsCache(**SITE)
    kind = {"kind": DiscountKind.PERCENTAGE, "percentage": Decimal("10")}
    _merge(cache, {**kind, **one})
    _merge(cache, {**kind, **other})
    assert len(calls) == 2


def test_the_stored_terms_are_part_of_the_key(calls: list[dict]) -> None:
    cache = TermsCache(**SITE)
    created, _ = merge_terms({"kind": DiscountKind.PERCENTAGE, "percentage": Decimal("10")}, None, {},
                             path=("terms",), **SITE)  # fmt: skip
    changes = {"max_uses": 5}
    cache.validated(changes, None, {}, ("terms",))
    cache.validated(changes, created.columns, {}, ("terms",))
    assert len(calls) == 2


def test_the_cache_stands_aside_while_nothing_repeats_and_tries_again(
    calls: list[dict], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(terms_cache, "_TRIAL", 10)
    monkeypatch.setattr(terms_cache, "_REST", 5)
    cache = TermsCache(**SITE)
    kind = {"kind": DiscountKind.PERCENTAGE, "percentage": Decimal("10")}
    for n in range(10):  # a trial of distinct Terms: none found
        _merge(cache, {**kind, "max_uses": n + 1})
    # Resting: every lookup merges, the same answer as merge_terms, remembered or not.
    for _ in range(5):
        columns, _, problems = _merge(cache, {**kind, "max_uses": 1})
        assert columns["max_uses"] == 1 and problems == []
    assert len(calls) == 15
    # A new trial: repeated Terms are found again.
    for _ in range(10):
        _merge(cache, {**kind, "max_uses": 1})
    assert len(calls) == 15
