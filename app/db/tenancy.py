"""Tenancy as SQL: which rows a caller's scope lets a query see."""

from __future__ import annotations

from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from app.db import tables as t


class ScopeLike(Protocol):
    @property
    def everything(self) -> bool: ...
    @property
    def site_ids(self) -> frozenset[int]: ...
    @property
    def organisation_ids(self) -> frozenset[int]: ...


def scope_condition(table: sa.Table, scope: ScopeLike) -> list[ColumnElement[bool]]:
    """Rows of `table` inside `scope`: site-owned rows by site or organisation; sites and
    customers by their organisation (a customer is seen from any site of its organisation)."""
    if scope.everything:
        return []
    sites, organisations = sorted(scope.site_ids), sorted(scope.organisation_ids)
    if not sites and not organisations:
        return [sa.false()]
    site_table = t.SITE
    if table.name == "organisation":
        of_sites = sa.select(site_table.c.organisation_id).where(site_table.c.id.in_(sites))
        return [sa.or_(table.c.id.in_(organisations), table.c.id.in_(of_sites))]
    if table.name == "site":
        return [sa.or_(table.c.id.in_(sites), table.c.organisation_id.in_(organisations))]
    if "site_id" not in table.c:
        of_sites = sa.select(site_table.c.organisation_id).where(site_table.c.id.in_(sites))
        return [
            sa.or_(
                table.c.organisation_id.in_(organisations),
                table.c.organisation_id.in_(of_sites),
            )
        ]
    return [sa.or_(table.c.site_id.in_(sites), table.c.organisation_id.in_(organisations))]
