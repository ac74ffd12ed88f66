"""The directory's writes: organisations (administrators), sites (Site-* roles) and customers
(Customer-* roles)."""

from __future__ import annotations

from typing import Annotated

import strawberry

from app.auth.roles import Action
from app.db.handles import Record, Sessions
from app.domain.enums import CustomerKind
from app.graphql import resolvers
from app.graphql.context import Info
from app.graphql.mutations.payloads import UserError, user_errors_field, written
from app.graphql.mutations.state_changes import Target, state_change_mutations
from app.graphql.mutations.support import built, decode_ids, given, record_id, update, write
from app.graphql.types.customer import Customer
from app.graphql.types.organisation import Organisation
from app.graphql.types.site import Site
from app.services import customers as customers_service
from app.services import organisations, sites
from app.services.actor import Actor
from app.services.customers import Upserted
from app.services.kinds import CUSTOMERS, ORGANISATIONS, SITES
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


@strawberry.input(
    description="Changes to a site: an omitted field keeps its value, null clears it."
)
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


@strawberry.type(description="What createOrganisation answers.")
class CreateOrganisationPayload:
    organisation: Organisation | None = written("The organisation created")
    user_errors: list[UserError] = user_errors_field()


@strawberry.type(description="What updateOrganisation answers.")
class UpdateOrganisationPayload:
    organisation: Organisation | None = written("The organisation changed")
    user_errors: list[UserError] = user_errors_field()


@strawberry.type(description="What createSite answers.")
class CreateSitePayload:
    site: Site | None = written("The site created")
    user_errors: list[UserError] = user_errors_field()


@strawberry.type(description="What updateSite answers.")
class UpdateSitePayload:
    site: Site | None = written("The site changed")
    user_errors: list[UserError] = user_errors_field()


@strawberry.type(description="Writing organisations and sites.")
class DirectoryMutation:
    @resolvers.mutation(description="Creates an organisation (administrators only).")
    async def create_organisation(
        self,
        info: Info,
        input: Annotated[
            CreateOrganisationInput, strawberry.argument(description="The organisation to create.")
        ],
    ) -> CreateOrganisationPayload:
        async def work(sessions: Sessions, actor: Actor) -> Record:
            return await organisations.create_organisation(sessions, actor, given(input))

        row, errors = await write(info, "Organisation", Action.CREATE, work)
        return CreateOrganisationPayload(organisation=built(Organisation, row), user_errors=errors)

    @resolvers.mutation(description="Changes the fields given of an organisation (administrators).")
    async def update_organisation(
        self,
        info: Info,
        input: Annotated[
            UpdateOrganisationInput,
            strawberry.argument(description="The organisation and the fields to change."),
        ],
    ) -> UpdateOrganisationPayload:
        use_case = organisations.update_organisation
        row, errors = await update(info, "Organisation", input, use_case)
        return UpdateOrganisationPayload(organisation=built(Organisation, row), user_errors=errors)

    @resolvers.mutation(
        description="Creates a site (needs Site-Create on the organisation): currency checked "
        "against ISO 4217, time zone against the IANA database."
    )
    async def create_site(
        self,
        info: Info,
        input: Annotated[CreateSiteInput, strawberry.argument(description="The site to create.")],
    ) -> CreateSitePayload:
        async def work(sessions: Sessions, actor: Actor) -> Record:
            fields = given(input)
            decode_ids(fields, {"organisation_id": "Organisation"})
            organisation_id = fields.pop("organisation_id")
            return await sites.create_site(
                sessions, actor, organisation_id=organisation_id, fields=fields
            )

        row, errors = await write(info, "Site", Action.CREATE, work)
        return CreateSitePayload(site=built(Site, row), user_errors=errors)

    @resolvers.mutation(description="Changes the fields given of a site (needs Site-Edit).")
    async def update_site(
        self,
        info: Info,
        input: Annotated[
            UpdateSiteInput, strawberry.argument(description="The site and the fields to change.")
        ],
    ) -> UpdateSitePayload:
        row, errors = await update(info, "Site", input, sites.update_site)
        return UpdateSitePayload(site=built(Site, row), user_errors=errors)


_DELETE_RESTORE = (StateChange.DELETE, StateChange.RESTORE)
OrganisationStateMutation = state_change_mutations(
    Target(ORGANISATIONS, Organisation, "organisation", "organisations", _DELETE_RESTORE, False)
)
SiteStateMutation = state_change_mutations(
    Target(SITES, Site, "site", "sites", _DELETE_RESTORE, False)
)


@strawberry.input(description="A customer's own fields (Nexudus coworker, Trybe customer).")
class CustomerFieldsInput:
    kind: CustomerKind | None = strawberry.field(
        default=None, description="Individual (the default) or company."
    )
    full_name: str | None = strawberry.field(default=None, description="Full name (required).")
    billing_name: str | None = strawberry.field(default=None, description="Name on invoices.")
    company_name: str | None = strawberry.field(default=None, description="Company name.")
    email: str | None = strawberry.field(
        default=None, description="E-mail address (checked for syntax, not delivered to)."
    )
    is_member: bool | None = strawberry.field(
        default=None, description="Member (has an active plan) or contact (the default)."
    )
    external_id: str | None = strawberry.field(
        default=None,
        description="The host system's id: unique among the organisation's live customers.",
    )


@strawberry.input(description="A new customer of an organisation.")
class CreateCustomerInput(CustomerFieldsInput):
    organisation_id: strawberry.ID = strawberry.field(description="The customer's organisation.")


@strawberry.input(
    description="Changes to a customer: an omitted field keeps its value, null clears it."
)
class UpdateCustomerInput:
    id: strawberry.ID = strawberry.field(description="The customer to change.")
    kind: strawberry.Maybe[CustomerKind] = strawberry.field(description="Individual or company.")
    full_name: strawberry.Maybe[str] = strawberry.field(description="Full name.")
    billing_name: strawberry.Maybe[str | None] = strawberry.field(description="Name on invoices.")
    company_name: strawberry.Maybe[str | None] = strawberry.field(description="Company name.")
    email: strawberry.Maybe[str | None] = strawberry.field(description="E-mail address.")
    is_member: strawberry.Maybe[bool] = strawberry.field(description="Member or contact.")
    external_id: strawberry.Maybe[str | None] = strawberry.field(
        description="The host system's id: unique among the organisation's live customers."
    )


@strawberry.type(description="What createCustomer answers.")
class CreateCustomerPayload:
    customer: Customer | None = written("The customer created")
    user_errors: list[UserError] = user_errors_field()


@strawberry.type(description="What updateCustomer answers.")
class UpdateCustomerPayload:
    customer: Customer | None = written("The customer changed")
    user_errors: list[UserError] = user_errors_field()


@strawberry.type(description="What upsertCustomers answers.")
class UpsertCustomersPayload:
    customers: list[Customer] | None = strawberry.field(
        description="The customers in the order given; null when there are userErrors."
    )
    created: int = strawberry.field(description="Customers created (external id new).")
    updated: int = strawberry.field(description="Customers whose given fields changed.")
    unchanged: int = strawberry.field(description="Customers the row left as they were.")
    user_errors: list[UserError] = strawberry.field(
        description='Problems with the input, under ["customers", index, field]; when there '
        "are any, nothing was written."
    )


@strawberry.type(description="Writing customers.")
class CustomerMutation:
    @resolvers.mutation(
        description="Creates a customer (needs Customer-Create on the organisation or one of "
        "its sites)."
    )
    async def create_customer(
        self,
        info: Info,
        input: Annotated[
            CreateCustomerInput, strawberry.argument(description="The customer to create.")
        ],
    ) -> CreateCustomerPayload:
        async def work(sessions: Sessions, actor: Actor) -> Record:
            fields = given(input)
            decode_ids(fields, {"organisation_id": "Organisation"})
            organisation_id = fields.pop("organisation_id")
            return await customers_service.create_customer(
                sessions, actor, organisation_id=organisation_id, fields=fields
            )

        row, errors = await write(info, "Customer", Action.CREATE, work)
        return CreateCustomerPayload(customer=built(Customer, row), user_errors=errors)

    @resolvers.mutation(description="Changes the fields given of a customer (Customer-Edit).")
    async def update_customer(
        self,
        info: Info,
        input: Annotated[
            UpdateCustomerInput,
            strawberry.argument(description="The customer and the fields to change."),
        ],
    ) -> UpdateCustomerPayload:
        row, errors = await update(info, "Customer", input, customers_service.update_customer)
        return UpdateCustomerPayload(customer=built(Customer, row), user_errors=errors)

    @resolvers.mutation(
        description="Keeps the directory in step with a host system: up to 1,000 customers "
        "keyed by externalId, created when new to the organisation and updated with the fields "
        "given otherwise; all or nothing. Needs Customer-Create, and Customer-Edit when a row "
        "changes a customer."
    )
    async def upsert_customers(
        self,
        info: Info,
        organisation_id: Annotated[
            strawberry.ID,
            strawberry.argument(description="The organisation whose directory the rows update."),
        ],
        customers: Annotated[
            list[CustomerFieldsInput],
            strawberry.argument(description="Up to 1,000 customers, keyed by externalId."),
        ],
    ) -> UpsertCustomersPayload:
        rows = [given(row) for row in customers]

        async def work(sessions: Sessions, actor: Actor) -> Upserted:
            db_id = record_id(organisation_id, "Organisation", ("organisationId",))
            return await customers_service.upsert_customers(
                sessions, actor, organisation_id=db_id, rows=rows
            )

        done, errors = await write(info, "Customer", Action.CREATE, work)
        if done is None:
            return UpsertCustomersPayload(
                customers=None, created=0, updated=0, unchanged=0, user_errors=errors
            )
        return UpsertCustomersPayload(
            customers=[Customer.from_row(row) for row in done.customers],
            created=done.created,
            updated=done.updated,
            unchanged=done.unchanged,
            user_errors=[],
        )


CustomerStateMutation = state_change_mutations(
    Target(CUSTOMERS, Customer, "customer", "customers", _DELETE_RESTORE, False)
)
