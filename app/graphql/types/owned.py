"""The site and organisation relationships that every site-owned record has."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry

from app.graphql.types.base import load_related

if TYPE_CHECKING:
    from app.graphql.types.organisation import Organisation
    from app.graphql.types.site import Site


@strawberry.interface(description="A record that belongs to a site (and so to its organisation).")
class SiteOwned:
    site_id: strawberry.Private[int]
    organisation_id: strawberry.Private[int]

    @strawberry.field(description="The site the record belongs to.")
    async def site(
        self, info: strawberry.Info
    ) -> Annotated["Site", strawberry.lazy("app.graphql.types.site")] | None:
        return await load_related(info, "Site", self.site_id)

    @strawberry.field(description="The organisation the record belongs to.")
    async def organisation(
        self, info: strawberry.Info
    ) -> Annotated["Organisation", strawberry.lazy("app.graphql.types.organisation")] | None:
        return await load_related(info, "Organisation", self.organisation_id)
