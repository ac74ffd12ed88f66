"""Who is writing: the name recorded as `updatedBy`, and the permission check for each record."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from app.auth.roles import Action

# (type name, action, site_id=, organisation_id=) -> None; raises when the caller may not.
Authorize = Callable[..., None]


def _anyone(type_name: str, action: Action, *, site_id: int, organisation_id: int) -> None:
    return None


@dataclass(frozen=True)
class Actor:
    """The caller of a use case.

    Use cases only learn a record's site after loading it, so they run the check themselves,
    inside the transaction, before writing; the check is passed in (the API's access rules,
    or nothing for an operator at the terminal) so that services know no transport.
    """

    subject: str
    authorize: Authorize = _anyone

    def require(
        self, type_name: str, action: Action, *, site_id: int, organisation_id: int
    ) -> None:
        self.authorize(type_name, action, site_id=site_id, organisation_id=organisation_id)
