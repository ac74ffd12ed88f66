"""Who is calling, and which sites and organisations each of their permissions reaches.

A principal is an administrator (everything, everywhere) or a list of grants. A grant gives a
set of permissions on some sites and / or some organisations; a permission on an organisation
reaches every site of that organisation, including sites created after the token was issued.

Visibility of sites and organisations follows from the grants:

- a site is visible to anyone holding any permission on that site or on its organisation;
- an organisation is visible to anyone holding any permission on it or on one of its sites.

A customer belongs to an organisation and needs its own roles (`Customer-Read`, `-List`; see
app.auth.roles): one held on a site reaches the customers of that site's organisation.

The data layer turns a `Scope` into `site_id IN (...) OR organisation_id IN (...)`.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Final

from app.auth.roles import Action, Permission, RecordType


@dataclass(frozen=True)
class Grant:
    """Permissions held on some sites and / or some organisations (database ids)."""

    permissions: frozenset[Permission]
    site_ids: frozenset[int] = frozenset()
    organisation_ids: frozenset[int] = frozenset()

    def covers(self, site_id: int, organisation_id: int) -> bool:
        """Whether this grant reaches a site (given with its organisation)."""
        return site_id in self.site_ids or organisation_id in self.organisation_ids


@dataclass(frozen=True)
class Scope:
    """Where a principal may do something: everywhere, or on these sites and organisations.

    A record is in scope when `everything` is set, its site is in `site_ids`, or its
    organisation is in `organisation_ids`.
    """

    everything: bool
    site_ids: frozenset[int] = frozenset()
    organisation_ids: frozenset[int] = frozenset()

    @property
    def is_empty(self) -> bool:
        """Nothing is in scope: the data layer can answer without a query."""
        return not self.everything and not self.site_ids and not self.organisation_ids

    def covers(self, site_id: int, organisation_id: int) -> bool:
        """Whether a record of that site (and its organisation) is in scope."""
        return (
            self.everything or site_id in self.site_ids or organisation_id in self.organisation_ids
        )


EVERYTHING: Final = Scope(everything=True)
NOTHING: Final = Scope(everything=False)


@dataclass(frozen=True)
class Principal:
    """The caller, as established by a verified token (or `ANONYMOUS` without one).

    `subject` is the token's `sub` and is recorded as `updatedBy`. `authenticated` is false only
    for `ANONYMOUS`, so the API can tell "no token" (UNAUTHENTICATED) from "no permission"
    (FORBIDDEN) even for a token that carries no grants.
    """

    subject: str
    is_admin: bool = False
    grants: tuple[Grant, ...] = ()
    authenticated: bool = True

    @classmethod
    def administrator(cls, subject: str) -> Principal:
        """A full unrestricted administrator."""
        return cls(subject=subject, is_admin=True)

    @property
    def is_anonymous(self) -> bool:
        """No token was presented."""
        return not self.authenticated

    def can(
        self, record_type: RecordType, action: Action, *, site_id: int, organisation_id: int
    ) -> bool:
        """Whether the principal may do `action` on a `record_type` record of that site."""
        if self.is_admin:
            return True
        permission = (record_type, action)
        return any(
            permission in grant.permissions and grant.covers(site_id, organisation_id)
            for grant in self.grants
        )

    def scope(self, record_type: RecordType, action: Action) -> Scope:
        """Every site and organisation where the principal may do `action` on `record_type`."""
        if self.is_admin:
            return EVERYTHING
        permission = (record_type, action)
        return _union(grant for grant in self.grants if permission in grant.permissions)

    def any_scope(self) -> Scope:
        """Every site and organisation where the principal holds any permission at all.

        This is the scope for sites and organisations (see the module docstring): a site is
        listed when `site_id IN sites OR organisation_id IN organisations`; an organisation
        when `id IN organisations OR id IN (organisations of sites)`.
        """
        if self.is_admin:
            return EVERYTHING
        return _union(grant for grant in self.grants if grant.permissions)

    def can_see_site(self, site_id: int, organisation_id: int) -> bool:
        """Any permission at all on that site or on its organisation."""
        return self.any_scope().covers(site_id, organisation_id)

    def can_see_organisation(self, organisation_id: int, site_ids_of_org: Collection[int]) -> bool:
        """Any permission at all on the organisation or on one of its sites."""
        scope = self.any_scope()
        if scope.everything or organisation_id in scope.organisation_ids:
            return True
        return any(site_id in scope.site_ids for site_id in site_ids_of_org)


def _union(grants: Iterable[Grant]) -> Scope:
    site_ids: set[int] = set()
    organisation_ids: set[int] = set()
    for grant in grants:
        site_ids |= grant.site_ids
        organisation_ids |= grant.organisation_ids
    return Scope(False, frozenset(site_ids), frozenset(organisation_ids))


ANONYMOUS: Final = Principal(subject="anonymous", authenticated=False)
