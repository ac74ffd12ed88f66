"""Fixtures of the fast path's tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest


@pytest.fixture
def rendering(settings: Any, monkeypatch: pytest.MonkeyPatch) -> Callable[[bool], None]:
    """Switches `render_in_database` of the app's (session-wide) settings for this test only:
    monkeypatch puts it back when the test ends, failed or not."""

    def switch(on: bool) -> None:
        monkeypatch.setattr(settings, "render_in_database", on)

    return switch
