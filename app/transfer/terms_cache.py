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

# merge_terms' columns for Terms given with no field at all: what every create starts from.
# Nothing given, nothing of the site or the clock is read; a record's own answer is sent from
# the reading worker as its differences from these (app.transfer.fields.Item.__reduce__).
CREATED_BASE: Mapping[str, Any] = merge_terms(
    {}, None, {}, time_zone="UTC", currency="XXX", now=datetime.min, path=()
)[0].columns

# Distinct Terms kept at once: enough for the campaigns of a big import, small in memory.
_LIMIT = 4096
# The key costs about a seventh of a merge: when fewer than one in ten of a trial of lookups
# found an answer (every record with Terms of its own), the cache stands aside, and tries again
# after _REST more merges (the file may reach a campaign's codes later on).
_TRIAL, _WORTH, _REST = 2000, 0.1, 20_000


class TermsCache:
    def __init__(self, *, time_zone: str, currency: str, now: datetime) -> None:
        self._time_zone, self._currency, self._now = time_zone, currency, now
        self._answers: dict[str, tuple[TermsValues, list[Problem]]] = {}
        self._looked = self._found = self._resting = 0

    def validated(
        self,
        changes: Mapping[str, Any],
        current: Mapping[str, Any] | None,
        current_eligible: Mapping[Any, frozenset[str]],
        path: tuple[str, ...],
    ) -> tuple[TermsValues, list[Problem]]:
        if self._resting:
            self._resting -= 1
            return self._merge(changes, current, current_eligible, path)
        stored = None if current is None else (
            [current[name] for name in DEFAULTS], current["percentage_bp"]
        )  # fmt: skip
        eligible = sorted(
            (category.value, sorted(ids)) for category, ids in current_eligible.items()
        )
        key = repr((list(changes.items()), stored, eligible, path))
        answer = self._answers.get(key)
        self._looked += 1
        if answer is None:
            answer = self._merge(changes, current, current_eligible, path)
            if len(self._answers) >= _LIMIT:
                self._answers.clear()
            self._answers[key] = answer
        else:
            self._found += 1
        if self._looked == _TRIAL:
            if self._found < _WORTH * _TRIAL:
                self._resting = _REST
            self._looked = self._found = 0
        return answer

    def _merge(
        self,
        changes: Mapping[str, Any],
        current: Mapping[str, Any] | None,
        current_eligible: Mapping[Any, frozenset[str]],
        path: tuple[str, ...],
    ) -> tuple[TermsValues, list[Problem]]:
        return merge_terms(
            changes, current, current_eligible,  # type: ignore[arg-type]
            time_zone=self._time_zone, currency=self._currency, now=self._now, path=path,
        )  # fmt: skip
