"""Soft deletion across a response: a choice made on a field holds for everything below it.

Arguments are the same for every item of a list, so the choice is keyed by the response path
without list indices; a nested field that passes its own choice starts a new scope.
"""

from __future__ import annotations

from graphql.pyutils import Path

from app.db.filters import Trashed
from app.graphql.context import Info


def response_path(info: Info) -> tuple[str, ...]:
    """The field's response path without list indices (the same for every item of a list)."""
    keys: list[str] = []
    path: Path | None = info.path
    while path is not None:
        if isinstance(path.key, str):
            keys.append(path.key)
        path = path.prev
    return tuple(reversed(keys))


def effective_trashed(info: Info, given: Trashed | None) -> Trashed:
    """The choice for this field: its own argument, else the nearest ancestor's, else WITHOUT."""
    keys = response_path(info)
    registry: dict[tuple[str, ...], Trashed] = info.context.trashed_by_path
    if given is not None:
        registry[keys] = given
        return given
    for end in range(len(keys) - 1, 0, -1):
        found = registry.get(keys[:end])
        if found is not None:
            return found
    return Trashed.WITHOUT
