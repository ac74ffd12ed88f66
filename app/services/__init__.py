"""Use cases that write: one transaction per call, committed here and nowhere else."""

from __future__ import annotations

from app.db.handles import Engine
from app.db.session import write_sessions


class Services:
    """The write use cases, bound to the app's engine."""

    def __init__(self, engine: Engine, *, events: bool = True) -> None:
        self.engine = engine
        self.sessions = write_sessions(engine, events=events)
