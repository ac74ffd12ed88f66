"""Terms validation (the API's merge_terms) remembered for the records of one import.

Many codes of a campaign share their Terms: validating the same input over the same stored
Terms again gives the same answer, so an import validates each distinct pair once. The key is
the repr of the input and of what merge_terms reads of the stored row, which names every
value's type and exact value (Decimal('5.10') is not Decimal('5.1'), True is not 1, a date is
not a date-time, an offset is part of an instant), so two inputs share an answer only when
merge_terms could not tell them apart. What else it reads (site time zone and currency, the
import's `now`) is fixed for one import, which owns the cache. The answers are only read by the
planner (it copies the columns before adding to them).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from app.services.problems import Problem
from app.services.terms_input import DEFAULTS, TermsValues, merge_terms

# Distinct Terms kept at once: enough for the campaigns of a big import, small in memory.
_LIMIT = 4096


class TermsCache:
    def __init__(self, *, time_zone: str, currency: str, now: datetime) -> None:
        self._time_zone, self._currency, self._now = time_zone, currency, now
        self._answers: dict[str, tuple[TermsValues, list[Problem]]] = {}

    def validated(
        self,
        changes: Mapping[str, Any],
        current: Mapping[str, Any] | None,
        current_eligible: Mapping[Any, frozenset[str]],
        path: tuple[str, ...],
    ) -> tuple[TermsValues, list[Problem]]:
        stored = None if current is None else (
            [current[name] for name in DEFAULTS], current["percentage_bp"]
        )  # fmt: skip
        eligible = sorted(
            (category.value, sorted(ids)) for category, ids in current_eligible.items()
        )
        key = repr((list(changes.items()), stored, eligible, path))
        answer = self._answers.get(key)
        if answer is None:
            answer = merge_terms(
                changes, current, current_eligible,
                time_zone=self._time_zone, currency=self._currency, now=self._now, path=path,
            )  # fmt: skip
            if len(self._answers) >= _LIMIT:
                self._answers.clear()
            self._answers[key] = answer
        return answer
