"""Values made once per engine and kept on it (the read engine, the readers, liveness)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncEngine

T = TypeVar("T")


class PerEngine(Generic[T]):
    """A value made once per engine, kept on the engine itself (so it goes with the engine,
    even when the value refers back to it). `make` answers None while it cannot tell yet
    (that is not remembered). The latest engine looked up is kept at hand: a process serves
    from one engine, so most calls are one identity check."""

    def __init__(self, name: str, make: Callable[[AsyncEngine], T | None]) -> None:
        self._key = f"_discounts_{name}"
        self._make = make
        self._latest: tuple[AsyncEngine, T] | None = None

    def __call__(self, engine: AsyncEngine) -> T | None:
        latest = self._latest
        if latest is not None and latest[0] is engine:
            return latest[1]
        # AsyncEngine has slots; the Engine under it takes attributes
        made = engine.sync_engine.__dict__
        value: T | None = made.get(self._key)
        if value is None:
            value = self._make(engine)
            if value is None:
                return None
            made[self._key] = value
        self._latest = (engine, value)
        return value
