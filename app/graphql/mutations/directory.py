"""The directory's writes: organisations (administrators) and sites (Site-* roles)."""

from __future__ import annotations

from typing import Any

import strawberry

from app.auth.roles import Action
from app.graphql.mutations.payloads import payload_type
from app.graphql.mutations.state_changes import Target, state_change_mutations
from app.graphql.mutations.support import built, decode_ids, given, record_id, write
from app.graphql.types.organisation import Organisation
from app.graphql.types.site import Site
from app.services import organisations, sites
from app.services.kinds import ORGANISATIONS, SITES
from app.services.records import StateChange


@strawberry.input(description="A new organisation: a business with sites and customers.")
class CreateOrganisationInput:
    name: str = strawberry.field(description="The organisation's name.")
    external_id: str | None = strawberry.field(default=None, description="The source system's id.")


@strawberry.input(
    description="Changes to an organisation: an omitted field keeps its value, null clears it."
)
class UpdateOrganisationInput:
    id: strawberry.ID = strawberry.field(description="The organisation to change.")
    name: strawberry.Maybe[str] = strawberry.field(description="The organisation's name.")
    external_id: strawberry.Maybe[str | None] = strawberry.field(
        description="The source system's id."
    )


@strawberry.input(description="A new site of an organisation, with its currency and time zone.")
class CreateSiteInput:
    organisation_id: strawberry.ID = strawberry.field(description="The organisation it belongs to.")
    name: str = strawberry.field(description="The site's name.")
    currency: str = strawberry.field(
        description="A current ISO 4217 currency code (GBP, EUR, USD...): its baskets' currency."
    )
    time_zone: str = strawberry.field(
        description="An IANA time zone (Europe/London, America/New_York): date-only bounds and "
        "usage periods are this zone's days."
    )
    external_id: str | None = strawberry.field(default=None, description="The source system's id.")


@strawberry.input(description="Changes to a site: an omitted field keeps its value, null clears it.")
class UpdateSiteInput:
    id: strawberry.ID = strawberry.field(description="The site to change.")
    name: strawberry.Maybe[str] = strawberry.field(description="The site's name.")
    currency: strawberry.Maybe[str] = strawberry.field(
        description="A new currency: refused (CONFLICT) while a live coupon or discount code of "
        "the site is not priced in it."
    )
    time_zone: strawberry.Maybe[str] = strawberry.field(
        description="A new IANA time zone: bounds already stored keep their instant; dates "
        "given afterwards, usage periods and expiry are read in the new zone."
    )
    external_id: strawberry.Maybe[str | None] = strawberry.field(
        description="The source system's id."
    )


CreateOrganisationPayload = payload_type(
    "CreateOrganisationPayload", "organisation", Organisation, "The organisation created"
)
UpdateOrganisationPayload = payload_type(
    "UpdateOrganisationPayload", "organisation", Organisation, "The organisation changed"
)
CreateSitePayload = payload_type("CreateSitePayload", "site", Site, "The site created")
UpdateSitePayload = payload_type("UpdateSitePayload", "site", Site, "The site changed")


@strawberry.type(description="Writing organisations and sites.")
class DirectoryMutation:
    @strawberry.mutation(description="Creates an organisation (administrators only).")
    async def create_organisation(
        self, info: strawberry.Info, input: CreateOrganisationInput
    ) -> CreateOrganisationPayload:  # type: ignore[valid-type]
        async def work(session: Any, actor: Any) -> Any:
            return await organisations.create_organisation(session, actor, given(input))

        row, errors = await write(info, "Organisation", Action.CREATE, work)
        return CreateOrganisationPayload(organisation=built(Organisation, row), user_errors=errors)

    @strawberry.mutation(description="Changes the fields given of an organisation (administrators).")
    async def update_organisation(
        self, info: strawberry.Info, input: UpdateOrganisationInput
    ) -> UpdateOrganisationPayload:  # type: ignore[valid-type]
        async def work(session: Any, actor: Any) -> Any:
            fields = given(input)
            db_id = record_id(fields.pop("id"), "Organisation", ("input", "id"))
            return await organisations.update_organisation(
                session, actor, db_id=db_id, fields=fields
            )

        row, errors = await write(info, "Organisation", Action.EDIT, work)
        return UpdateOrganisationPayload(organisation=built(Organisation, row), user_errors=errors)

    @strawberry.mutation(
        description="Creates a site (needs Site-Create on the organisation): currency checked "
        "against ISO 4217, time zone against the IANA database."
    )
    async def create_site(
        self, info: strawberry.Info, input: CreateSiteInput
    ) -> CreateSitePayload:  # type: ignore[valid-type]
        async def work(session: Any, actor: Any) -> Any:
            fields = given(input)
            decode_ids(fields, {"organisation_id": "Organisation"})
            organisation_id = fields.pop("organisation_id")
            return await sites.create_site(
                session, actor, organisation_id=organisation_id, fields=fields
            )

        row, errors = await write(info, "Site", Action.CREATE, work)
        return CreateSitePayload(site=built(Site, row), user_errors=errors)

    @strawberry.mutation(description="Changes the fields given of a site (needs Site-Edit).")
    async def update_site(
        self, info: strawberry.Info, input: UpdateSiteInput
    ) -> UpdateSitePayload:  # type: ignore[valid-type]
        async def work(session: Any, actor: Any) -> Any:
            fields = given(input)
            db_id = record_id(fields.pop("id"), "Site", ("input", "id"))
            return await sites.update_site(session, actor, db_id=db_id, fields=fields)

        row, errors = await write(info, "Site", Action.EDIT, work)
        return UpdateSitePayload(site=built(Site, row), user_errors=errors)


_DELETE_RESTORE = (StateChange.DELETE, StateChange.RESTORE)
OrganisationStateMutation = state_change_mutations(
    Target(ORGANISATIONS, Organisation, "organisation", "organisations", _DELETE_RESTORE, False)
)
SiteStateMutation = state_change_mutations(
    Target(SITES, Site, "site", "sites", _DELETE_RESTORE, False)
)
