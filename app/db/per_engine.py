"""Values made once per engine and kept on it (the read engine, the readers, liveness), and
values the app factory installs on an engine for its sessions (`OnDialect`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.ext.asyncio import AsyncSession as Session

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


class OnDialect(Generic[T]):
    """A value installed on an engine (`install`; None takes it away) and found from any
    session on it (`of`). Kept on the dialect: a write session's engine is an option engine
    over the app's (app.db.session.write_sessions), which shares its dialect."""

    def __init__(self, name: str) -> None:
        self._key = f"_discounts_{name}"

    def install(self, engine: AsyncEngine, value: T | None) -> None:
        engine.sync_engine.dialect.__dict__[self._key] = value

    def of(self, session: Session) -> T | None:
        bind = session.bind
        if bind is None:
            return None
        found: T | None = bind.sync_engine.dialect.__dict__.get(self._key)
        return found
