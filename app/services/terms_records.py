"""Creating and updating the records that carry Terms: coupons and discount codes, one path.

They differ only in their own text fields and in the discount code's code string, which must be
unique among the live codes of its site; everything about Terms is shared.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from app.auth.roles import Action
from app.clock import utcnow
from app.db import usage_counters
from app.db.handles import Record, Session, Sessions
from app.services.actor import Actor
from app.services.eligible_items import load_eligible, store_eligible
from app.services.input_checks import Given, code_problems, text_problems
from app.services.kinds import SITES
from app.services.problems import Problem
from app.services.records import (
    RecordKind,
    find,
    find_for_write,
    insert_row,
    raise_problems,
    require_live,
    transaction,
    update_row,
)
from app.services.terms_input import merge_terms
from app.services.uniqueness import LiveUnique, conflicts_reported, ensure_free

INPUT, TERMS, CODE = ("input",), ("input", "terms"), ("input", "code")


@dataclass(frozen=True)
class TermsOwner:
    kind: RecordKind
    owner_column: str  # the eligible_item column pointing at this kind of record
    texts: Mapping[str, int]  # the record's own text fields and their maximum lengths
    required: tuple[str, ...]
    code_rule: LiveUnique | None = None  # discount codes: one live code per string and site


async def find_site(session: Session, site_id: int, path: tuple[str, ...]) -> Record:
    site = await find(session, SITES, site_id, path)
    require_live(SITES, site, path)
    return site


async def create_with_terms(
    sessions: Sessions,
    owner: TermsOwner,
    actor: Actor,
    *,
    site_id: int,
    fields: Given,
    terms: Given,
) -> Record:
    async with transaction(sessions) as session:
        now = utcnow()
        site = await find_site(session, site_id, (*INPUT, "siteId"))
        actor.require(
            owner.kind.type_name,
            Action.CREATE,
            site_id=site.id,
            organisation_id=site.organisation_id,
        )
        values = {name: fields.get(name) for name in owner.texts}
        problems = await _field_problems(session, owner, values, site.id, None)
        merged, found = merge_terms(
            terms, None, {}, time_zone=site.time_zone, currency=site.currency, now=now, path=TERMS
        )
        raise_problems(problems + found)
        values.update(merged.columns, site_id=site.id, organisation_id=site.organisation_id)
        with _conflicts(owner):
            row = await insert_row(session, owner.kind, values, actor, now)
        await store_eligible(session, owner.owner_column, row.id, merged.eligible)
        return row


async def update_with_terms(
    sessions: Sessions,
    owner: TermsOwner,
    actor: Actor,
    *,
    db_id: int,
    fields: Given,
    terms: Given | None,
) -> Record:
    """Changes what is given; `terms` None leaves the Terms as they are."""
    async with transaction(sessions) as session:
        now = utcnow()
        row = await find_for_write(session, owner.kind, db_id, actor, Action.EDIT, (*INPUT, "id"))
        values = {name: fields[name] for name in owner.texts if name in fields}
        problems = await _field_problems(session, owner, values, row.site_id, row.id)
        store = None
        if terms is not None:
            site = await find(session, SITES, row.site_id, (*INPUT, "id"))
            current = await load_eligible(session, owner.owner_column, row)
            merged, found = merge_terms(
                terms,
                row._mapping,
                current,
                time_zone=site.time_zone,
                currency=site.currency,
                now=now,
                path=TERMS,
            )
            problems += found
            values.update(merged.columns)
            store = merged.eligible if merged.eligible != current else None
        raise_problems(problems)
        with _conflicts(owner):
            updated = await update_row(session, owner.kind, row.id, values, actor, now)
        if store is not None:
            await store_eligible(session, owner.owner_column, row.id, store)
        if updated.usage_period != row.usage_period:
            # Its usage counters hold buckets of the old period: count the new ones from the
            # ledger, under the row lock the update holds, before any redemption reads them.
            await usage_counters.recount(session, [(owner.owner_column, row.id)])
        return updated


async def _field_problems(
    session: Session,
    owner: TermsOwner,
    values: dict[str, Any],
    site_id: int,
    db_id: int | None,
) -> list[Problem]:
    """Problems with the record's own fields; trims the code string in `values` first."""
    if owner.code_rule is not None and values.get("code") is not None:
        values["code"] = values["code"].strip()
    problems = text_problems(values, owner.texts, INPUT, required=owner.required)
    if owner.code_rule is None or "code" not in values or any(p.field == CODE for p in problems):
        return problems
    found = code_problems(values["code"], CODE)
    if not found:
        key = {"site_id": site_id, "code": values["code"]}
        found = await ensure_free(session, owner.code_rule, key, CODE, exclude_id=db_id)
    return problems + found


def _conflicts(owner: TermsOwner) -> contextlib.AbstractContextManager[None]:
    if owner.code_rule is None:
        return contextlib.nullcontext()
    return conflicts_reported(owner.code_rule, CODE)
