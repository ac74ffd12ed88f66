"""Who is writing: the name recorded as `updatedBy`, and the permission check for each record."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass

from app.auth.roles import Action

# (type name, action, site_ids=, organisation_id=) -> None; raises unless the caller may do it
# on one of the sites or on the organisation.
Authorize = Callable[..., None]


def _anyone(
    type_name: str, action: Action, *, site_ids: Collection[int], organisation_id: int
) -> None:
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
        """The caller may do `action` on `type_name` records of that site."""
        self.authorize(type_name, action, site_ids=(site_id,), organisation_id=organisation_id)

    def require_in_organisation(
        self,
        type_name: str,
        action: Action,
        *,
        organisation_id: int,
        site_ids: Collection[int] = (),
    ) -> None:
        """The caller may do `action` on `type_name` records of the organisation: granted on
        the organisation, or on one of `site_ids` (its sites, for the records that belong to
        the organisation rather than to a site, such as customers). With no `site_ids` only a
        grant on the organisation will do (creating a site)."""
        self.authorize(type_name, action, site_ids=site_ids, organisation_id=organisation_id)
