"""The setting that bounds the codes of one order."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from app.domain.stacking import MAX_CODES_PER_ORDER
from app.settings import Settings


def test_five_codes_by_default_and_the_environment_can_change_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert Settings().max_codes_per_order == MAX_CODES_PER_ORDER == 5
    monkeypatch.setenv("DISCOUNTS_MAX_CODES_PER_ORDER", "3")
    assert Settings().max_codes_per_order == 3


@pytest.mark.parametrize("value", ["0", "51", "two"])
def test_a_limit_out_of_range_is_refused(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("DISCOUNTS_MAX_CODES_PER_ORDER", value)
    with pytest.raises(ValidationError):
        Settings()
