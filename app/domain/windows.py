"""Validity windows: the span of time in which a code, coupon or assignment may be used."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import overload


@overload
def _to_utc(value: datetime, name: str) -> datetime: ...
@overload
def _to_utc(value: datetime | None, name: str) -> datetime | None: ...
def _to_utc(value: datetime | None, name: str) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {value.isoformat()}")
    return value.astimezone(UTC)


@dataclass(frozen=True)
class Window:
    """A validity interval, inclusive at both ends; a missing bound is open.

    An inverted window (end before start) is allowed: it is what intersecting two disjoint
    windows gives, and it simply contains nothing. Bounds are normalised to UTC and must be
    timezone-aware, because a naive bound names no instant.
    """

    start: datetime | None = None
    end: datetime | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "start", _to_utc(self.start, "Window.start"))
        object.__setattr__(self, "end", _to_utc(self.end, "Window.end"))

    def contains(self, t: datetime) -> bool:
        t = _to_utc(t, "t")
        return not self.starts_after(t) and not self.ended_before(t)

    def starts_after(self, t: datetime) -> bool:
        """Whether `t` comes before the start: the window has not opened yet."""
        return self.start is not None and _to_utc(t, "t") < self.start

    def ended_before(self, t: datetime) -> bool:
        """Whether `t` comes after the end: the window has closed."""
        return self.end is not None and _to_utc(t, "t") > self.end

    @property
    def is_empty(self) -> bool:
        return self.start is not None and self.end is not None and self.end < self.start


def intersect(*windows: Window) -> Window:
    """The window inside all of `windows`: the latest start and the earliest end win."""
    starts = [w.start for w in windows if w.start is not None]
    ends = [w.end for w in windows if w.end is not None]
    return Window(max(starts) if starts else None, min(ends) if ends else None)
