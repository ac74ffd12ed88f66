"""Discount codes: standalone codes with their own Terms, unique within their site among live
codes in any letter case (Nexudus DiscountCode, nuwebgroup discount codes)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.services.actor import Actor
from app.services.handles import Record, Session
from app.services.kinds import DISCOUNT_CODE_RULE, DISCOUNT_CODES
from app.services.terms_records import TermsOwner, create_with_terms, update_with_terms

OWNER = TermsOwner(
    DISCOUNT_CODES,
    owner_column="discount_code_id",
    texts={"code": 64, "description": 2000, "external_id": 128},
    required=("code",),
    code_rule=DISCOUNT_CODE_RULE,
)


async def create_discount_code(
    session: Session,
    actor: Actor,
    *,
    site_id: int,
    fields: Mapping[str, Any],
    terms: Mapping[str, Any],
) -> Record:
    """`fields`: code, description, external_id."""
    return await create_with_terms(
        session, OWNER, actor, site_id=site_id, fields=fields, terms=terms
    )


async def update_discount_code(
    session: Session,
    actor: Actor,
    *,
    db_id: int,
    fields: Mapping[str, Any],
    terms: Mapping[str, Any] | None,
) -> Record:
    """Changes only the fields and Terms given (a given null clears)."""
    return await update_with_terms(session, OWNER, actor, db_id=db_id, fields=fields, terms=terms)
