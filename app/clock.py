"""The clock: the one place the service reads the time.

The rules never read it (app.domain takes `now`); the use cases read it once per call and
pass it on, and the tables' default timestamps come from here too, so that a test or a
script that must fix the time has one function to replace.
"""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Now, as an aware UTC time (what every timestamp column stores)."""
    return datetime.now(UTC)
