"""Creating and changing the records that carry Terms, coupons and discount codes: one path
for both, as in app.services.terms_records; only their inputs and payloads differ."""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.auth.roles import Action
from app.db.handles import Record, Sessions
from app.graphql.context import Info
from app.graphql.mutations.payloads import UserError
from app.graphql.mutations.support import decode_ids, given, record_id, write
from app.services.actor import Actor
from app.services.terms_records import TermsOwner, create_with_terms, update_with_terms

if TYPE_CHECKING:
    from _typeshed import DataclassInstance


async def create_owner(
    info: Info, owner: TermsOwner, input: DataclassInstance
) -> tuple[Record | None, list[UserError]]:
    """`input`: the site's id, the owner's own fields and its Terms."""

    async def use_case(sessions: Sessions, actor: Actor) -> Record:
        fields = given(input)
        decode_ids(fields, {"site_id": "Site"})
        site_id, terms = fields.pop("site_id"), given(fields.pop("terms"))
        return await create_with_terms(
            sessions, owner, actor, site_id=site_id, fields=fields, terms=terms
        )

    return await write(info, owner.kind.type_name, Action.CREATE, use_case)


async def update_owner(
    info: Info, owner: TermsOwner, input: DataclassInstance
) -> tuple[Record | None, list[UserError]]:
    """`input`: the record's id and the fields given; Terms, when given, are partial too."""

    async def use_case(sessions: Sessions, actor: Actor) -> Record:
        fields = given(input)
        db_id = record_id(fields.pop("id"), owner.kind.type_name, ("input", "id"))
        terms = fields.pop("terms", None)
        terms = None if terms is None else given(terms)
        return await update_with_terms(
            sessions, owner, actor, db_id=db_id, fields=fields, terms=terms
        )

    return await write(info, owner.kind.type_name, Action.EDIT, use_case)
