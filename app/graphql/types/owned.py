"""The site and organisation relationships that every site-owned record has."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry

from app.graphql.loaders import OrganisationByIdLoader, SiteByIdLoader
from app.graphql.types.base import related_field

if TYPE_CHECKING:
    from app.graphql.types.organisation import Organisation
    from app.graphql.types.site import Site


@strawberry.interface(description="A record that belongs to a site (and so to its organisation).")
class SiteOwned:
    site_id: strawberry.Private[int]
    organisation_id: strawberry.Private[int]

    site = related_field(
        SiteByIdLoader,
        "site_id",
        Annotated["Site", strawberry.lazy("app.graphql.types.site")],
        description="The site the record belongs to.",
    )

    organisation = related_field(
        OrganisationByIdLoader,
        "organisation_id",
        Annotated["Organisation", strawberry.lazy("app.graphql.types.organisation")],
        description="The organisation the record belongs to.",
    )
