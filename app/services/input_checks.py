"""Checks of plain input values that the database would otherwise refuse with a crash."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any, TypeAlias

from app.db.handles import Columns
from app.domain.calendar import resolve_bound
from app.domain.codes import code_problem
from app.domain.wire_forms import camel as camel
from app.services.problems import Problem, ProblemCode

Path = tuple[str, ...]
# The fields a client gave, by Python name (app.graphql.mutations.support.given): each value
# as its GraphQL input type made it (text, number, instant, list, an input object), checked by
# the use case that takes it; a field left out is absent. The honest boundary: one mapping
# carries values of many types, each read by name where its type is known.
Given: TypeAlias = Mapping[str, Any]


def text_problems(
    values: Mapping[str, Any],
    limits: Mapping[str, int],
    path: Path,
    *,
    required: tuple[str, ...] = (),
) -> list[Problem]:
    """Problems with the text fields present in `values`: too long, or blank when `required`."""
    problems = []
    for name, value in values.items():
        if name not in limits:
            continue
        here, limit = (*path, camel(name)), limits[name]
        if name in required and (value is None or not value.strip()):
            problems.append(Problem(here, ProblemCode.REQUIRED, f"{camel(name)} must not be empty"))
        elif value is not None and len(value) > limit:
            message = f"{camel(name)} must be at most {limit} characters long"
            problems.append(Problem(here, ProblemCode.OUT_OF_RANGE, message))
    return problems


def bound(
    value: date | datetime | None, time_zone: str, *, end: bool, path: Path
) -> tuple[datetime | None, list[Problem]]:
    """A window bound as an instant: a date is the site's local day (its start, or its end
    for an end bound), a datetime without offset is site-local wall time."""
    if value is None:
        return None, []
    try:
        return resolve_bound(value, time_zone, end=end), []
    except (ValueError, OverflowError):
        return None, [Problem(path, ProblemCode.OUT_OF_RANGE, "the date is out of range")]


def window_problems(
    start: datetime | None, end: datetime | None, path: Path, *, start_name: str = "validFrom"
) -> list[Problem]:
    """The end of a window must come after its start (`path` names the end field)."""
    if start is not None and end is not None and end <= start:
        message = f"{path[-1]} must be after {start_name}"
        return [Problem(path, ProblemCode.WINDOW_INVERTED, message)]
    return []


def code_problems(code: str, path: Path) -> list[Problem]:
    """Why `code` (already trimmed) cannot be a code string, if it cannot."""
    message = code_problem(code)
    return [] if message is None else [Problem(path, ProblemCode.INVALID, message)]


def window_changes(
    fields: Given,
    current: Columns,
    names: tuple[str, str],
    time_zone: str,
    path: Path,
) -> tuple[dict[str, datetime | None], list[Problem]]:
    """The bounds among `names` (start, end) that `fields` gives, as instants, and their
    problems; the window they make with the `current` bounds must not be inverted."""
    values: dict[str, datetime | None] = {}
    problems: list[Problem] = []
    for name, is_end in zip(names, (False, True), strict=True):
        if name in fields:
            here = (*path, camel(name))
            values[name], found = bound(fields[name], time_zone, end=is_end, path=here)
            problems += found
    if values and not problems:
        start, end = ({**current, **values}.get(name) for name in names)
        end_path = (*path, camel(names[1]))
        problems += window_problems(start, end, end_path, start_name=camel(names[0]))
    return values, problems
