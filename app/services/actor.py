"""Who is writing: the name recorded as `updatedBy`, and where they may do what, as data.

A use case learns a record's site only once it has read the record, inside its transaction,
so it checks the caller's rights there itself; the rights come in computed (the API derives
them from the caller's token before the use case runs, as app.services.code_rights does for
the engine), and the use case knows no transport and calls nothing back.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

from app.auth.principal import EVERYTHING, NOTHING, Scope
from app.auth.roles import Action
from app.services.problems import NotPermitted

# Who alone may create or change organisations (the API's `administrator` role).
ADMINISTRATOR = "administrator"


@dataclass(frozen=True)
class Rights:
    """Where the caller may do each (record type, action) a use case checks. A pair that is
    not listed is held nowhere; `everywhere` holds every pair everywhere (an operator at the
    terminal, such as an import)."""

    scopes: Mapping[tuple[str, Action], Scope] = field(default_factory=dict)
    everywhere: bool = False

    def scope(self, type_name: str, action: Action) -> Scope:
        if self.everywhere:
            return EVERYTHING
        return self.scopes.get((type_name, action), NOTHING)


OPERATOR = Rights(everywhere=True)


def refusal(type_name: str, action: Action, where: str = "") -> NotPermitted:
    """The caller lacks the role for `action` on `type_name` records (`where`: " on this
    site", " on this organisation", or nowhere at all)."""
    if type_name == "Organisation":
        return NotPermitted("only administrators may change organisations", [ADMINISTRATOR])
    role = f"{type_name}-{action.value}"
    return NotPermitted(f"the {role} role is required{where}", [role])


@dataclass(frozen=True)
class Actor:
    """The caller of a use case."""

    subject: str
    rights: Rights = OPERATOR
    # Whether the caller may record history: an assignment dated in the past (`assignedAt`).
    # Administrators through the API, and operators at the terminal (imports), may.
    records_history: bool = True

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

    def authorize(
        self, type_name: str, action: Action, *, site_ids: Collection[int], organisation_id: int
    ) -> None:
        """`NotPermitted` unless the caller may do `action` on `type_name` records of one of
        the sites or of the organisation (no sites: a grant on the organisation itself)."""
        scope = self.rights.scope(type_name, action)
        if not any(scope.covers(site_id, organisation_id) for site_id in site_ids or (0,)):
            raise refusal(
                type_name, action, " on this site" if site_ids else " on this organisation"
            )
