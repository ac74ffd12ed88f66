"""What a use case reports when the input is wrong: problems naming the field, never a write."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass


class ProblemCode(str, enum.Enum):
    """Machine-readable user error codes (the `code` of `userErrors`)."""

    REQUIRED = "REQUIRED"
    INVALID = "INVALID"
    NOT_ALLOWED = "NOT_ALLOWED"
    OUT_OF_RANGE = "OUT_OF_RANGE"
    INVALID_CURRENCY = "INVALID_CURRENCY"
    WINDOW_INVERTED = "WINDOW_INVERTED"
    NOT_FOUND = "NOT_FOUND"
    CODE_TAKEN = "CODE_TAKEN"
    ALREADY_ASSIGNED = "ALREADY_ASSIGNED"
    ALREADY_DELETED = "ALREADY_DELETED"
    NOT_DELETED = "NOT_DELETED"
    ALREADY_DISABLED = "ALREADY_DISABLED"
    NOT_DISABLED = "NOT_DISABLED"
    CONFLICT = "CONFLICT"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"
    ALREADY_VOIDED = "ALREADY_VOIDED"
    CODE_NOT_REDEEMABLE = "CODE_NOT_REDEEMABLE"
    FORBIDDEN = "FORBIDDEN"


@dataclass(frozen=True)
class Problem:
    field: tuple[str, ...]  # the input path, e.g. ("input", "terms", "percentage")
    code: ProblemCode
    message: str


class Problems(Exception):
    """Raised by a use case to abandon its transaction and report every problem found."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(p.message for p in self.problems))


def problem(path: str, code: ProblemCode, message: str) -> Problems:
    """One problem at a dotted input path ("input.terms.percentage")."""
    return Problems([Problem(tuple(path.split(".")), code, message)])


class NotPermitted(Exception):
    """The caller holds none of `roles` where the use case acts: the request is refused as a
    whole (the API's FORBIDDEN), which is not a problem with its input."""

    def __init__(self, message: str, roles: list[str]) -> None:
        self.roles = roles
        super().__init__(message)


class TooManyGuesses(Exception):
    """The caller has failed too many code lookups lately and gets the enumeration-safe view
    where they ask: they may try again in `retry_after` seconds (the API's RATE_LIMITED)."""

    def __init__(self, retry_after: float) -> None:
        self.retry_after = retry_after
        super().__init__(f"too many failed code lookups: retry in {retry_after:.0f} s")
