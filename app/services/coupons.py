"""Coupons: campaigns with Terms (Trybe Coupon). Deleting one keeps its codes' rows."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.services.actor import Actor
from app.services.handles import Record, Session
from app.services.kinds import COUPONS
from app.services.terms_records import TermsOwner, create_with_terms, update_with_terms

OWNER = TermsOwner(
    COUPONS,
    owner_column="coupon_id",
    texts={"name": 200, "description": 2000, "external_id": 128},
    required=("name",),
)


async def create_coupon(
    session: Session,
    actor: Actor,
    *,
    site_id: int,
    fields: Mapping[str, Any],
    terms: Mapping[str, Any],
) -> Record:
    """`fields`: name, description, external_id."""
    return await create_with_terms(
        session, OWNER, actor, site_id=site_id, fields=fields, terms=terms
    )


async def update_coupon(
    session: Session,
    actor: Actor,
    *,
    db_id: int,
    fields: Mapping[str, Any],
    terms: Mapping[str, Any] | None,
) -> Record:
    """Changes only the fields and Terms given (a given null clears)."""
    return await update_with_terms(session, OWNER, actor, db_id=db_id, fields=fields, terms=terms)
