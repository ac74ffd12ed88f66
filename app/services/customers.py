"""Customers: the people and companies codes are given to, kept in step with a host system.

A customer belongs to an organisation and is written with the `Customer-*` roles granted on
the organisation or on any of its sites (the same reach as reading them). Deleting one is soft:
its assignments and redemptions stay in the ledger.

`upsert_customers` keeps the directory in step with Nexudus coworkers or Trybe customers: rows
keyed by `external_id`, each checked, all written or none, reported per row under
["customers", index, field]. A row that changes nothing is left alone (no write, no new
`updatedAt`), so syncing the same list twice writes nothing the second time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from email_validator import EmailNotValidError, validate_email

from app.auth.roles import Action
from app.clock import utcnow
from app.db import customers as stored
from app.db.handles import Record, Session, Sessions
from app.db.row_statements import site_ids_of
from app.domain.enums import CustomerKind
from app.services.actor import Actor
from app.services.input_checks import Given, text_problems
from app.services.kinds import CUSTOMER_EXTERNAL_ID_RULE, CUSTOMERS, ORGANISATIONS
from app.services.problems import Problem, ProblemCode
from app.services.records import (
    find,
    find_for_write,
    insert_row,
    raise_problems,
    require_live,
    transaction,
    update_row,
)
from app.services.uniqueness import conflicts_reported, ensure_free

INPUT = ("input",)
TEXTS = {
    "full_name": 200,
    "billing_name": 200,
    "company_name": 200,
    "email": 320,
    "external_id": 128,
}
FIELDS = (*TEXTS, "kind", "is_member")
# What a new customer is unless told otherwise (the tables have no server-side defaults).
DEFAULTS = {"kind": CustomerKind.INDIVIDUAL, "is_member": False}
MAX_UPSERT = 1000


def customer_problems(values: Mapping[str, Any], path: tuple[str, ...]) -> list[Problem]:
    """Problems with a customer's own fields among `values` (those given)."""
    problems = text_problems(values, TEXTS, path, required=("full_name",))
    email = values.get("email")
    if email is not None and not any(p.field == (*path, "email") for p in problems):
        try:
            validate_email(email, check_deliverability=False)
        except EmailNotValidError as error:
            problems.append(Problem((*path, "email"), ProblemCode.INVALID, f"email: {error}"))
    return problems


async def _organisation(session: Session, organisation_id: int) -> tuple[Record, list[int]]:
    """The organisation (NOT_FOUND at input.organisationId) and its sites' ids."""
    organisation = await find(session, ORGANISATIONS, organisation_id, (*INPUT, "organisationId"))
    return organisation, await site_ids_of(session, organisation.id)


def _require(actor: Actor, action: Action, organisation: Record, sites: list[int]) -> None:
    actor.require_in_organisation(
        "Customer", action, organisation_id=organisation.id, site_ids=sites
    )
    require_live(ORGANISATIONS, organisation, (*INPUT, "organisationId"))


async def create_customer(
    sessions: Sessions, actor: Actor, *, organisation_id: int, fields: Given
) -> Record:
    """`fields`: FIELDS. Needs Customer-Create on the organisation or one of its sites."""
    async with transaction(sessions) as session:
        organisation, sites = await _organisation(session, organisation_id)
        _require(actor, Action.CREATE, organisation, sites)
        values = {name: fields[name] for name in FIELDS if name in fields}
        problems = customer_problems({"full_name": None, **values}, INPUT)
        external_id = values.get("external_id")
        if external_id is not None and not problems:
            key = {"organisation_id": organisation.id, "external_id": external_id}
            path = (*INPUT, "externalId")
            problems += await ensure_free(session, CUSTOMER_EXTERNAL_ID_RULE, key, path)
        raise_problems(problems)
        values = {**DEFAULTS, **values, "organisation_id": organisation.id}
        with conflicts_reported(CUSTOMER_EXTERNAL_ID_RULE, (*INPUT, "externalId")):
            return await insert_row(session, CUSTOMERS, values, actor, utcnow())


async def update_customer(sessions: Sessions, actor: Actor, *, db_id: int, fields: Given) -> Record:
    """Changes the fields given (a given null clears)."""
    async with transaction(sessions) as session:
        row = await find_for_write(session, CUSTOMERS, db_id, actor, Action.EDIT, (*INPUT, "id"))
        values = {name: fields[name] for name in FIELDS if name in fields}
        problems = customer_problems(values, INPUT)
        external_id = values.get("external_id")
        if external_id is not None and not problems:
            key = {"organisation_id": row.organisation_id, "external_id": external_id}
            path = (*INPUT, "externalId")
            problems += await ensure_free(
                session, CUSTOMER_EXTERNAL_ID_RULE, key, path, exclude_id=row.id
            )
        raise_problems(problems)
        with conflicts_reported(CUSTOMER_EXTERNAL_ID_RULE, (*INPUT, "externalId")):
            return await update_row(session, CUSTOMERS, row.id, values, actor, utcnow())


def _changes(current: Record | None, row: Mapping[str, Any]) -> bool:
    """Whether `row` changes the existing customer `current` (None: there is none)."""
    return current is not None and any(
        current._mapping[name] != row[name] for name in FIELDS if name in row
    )


@dataclass(frozen=True)
class Upserted:
    """The customers of an upsert in the order given, and what happened to them."""

    customers: list[Record]
    created: int
    updated: int
    unchanged: int


def _rows_problems(rows: Sequence[Given]) -> list[Problem]:
    problems: list[Problem] = []
    if len(rows) > MAX_UPSERT:
        message = f"at most {MAX_UPSERT} customers per call"
        return [Problem(("customers",), ProblemCode.OUT_OF_RANGE, message)]
    first_at: dict[str, int] = {}
    for index, row in enumerate(rows):
        path = ("customers", str(index))
        found = customer_problems({"full_name": None, **row}, path)
        external_id = row.get("external_id")
        if external_id is None or not str(external_id).strip():
            message = "externalId is required: it is what the customer is matched by"
            found.append(Problem((*path, "externalId"), ProblemCode.REQUIRED, message))
        elif external_id in first_at:
            message = f"the same externalId as customers[{first_at[external_id]}]"
            found.append(Problem((*path, "externalId"), ProblemCode.CONFLICT, message))
        else:
            first_at[external_id] = index
        problems += found
    return problems


async def upsert_customers(
    sessions: Sessions, actor: Actor, *, organisation_id: int, rows: Sequence[Given]
) -> Upserted:
    """Creates the customers whose external id is new to the organisation and updates the
    others with the fields each row gives; all or nothing. Needs Customer-Create on the
    organisation or one of its sites, and Customer-Edit too when a row changes a customer."""
    async with transaction(sessions) as session:
        organisation, sites = await _organisation(session, organisation_id)
        _require(actor, Action.CREATE, organisation, sites)
        raise_problems(_rows_problems(rows))
        existing = await stored.live_by_external_id(
            session, organisation.id, [row["external_id"] for row in rows]
        )
        if any(_changes(existing.get(row["external_id"]), row) for row in rows):
            _require(actor, Action.EDIT, organisation, sites)
        now, written, counts = utcnow(), [], {"created": 0, "updated": 0, "unchanged": 0}
        for index, row in enumerate(rows):
            values = {name: row[name] for name in FIELDS if name in row}
            current = existing.get(row["external_id"])
            path = ("customers", str(index), "externalId")
            with conflicts_reported(CUSTOMER_EXTERNAL_ID_RULE, path):
                if current is None:
                    values = {**DEFAULTS, **values, "organisation_id": organisation.id}
                    written.append(await insert_row(session, CUSTOMERS, values, actor, now))
                    counts["created"] += 1
                elif _changes(current, values):
                    written.append(
                        await update_row(session, CUSTOMERS, current.id, values, actor, now)
                    )
                    counts["updated"] += 1
                else:
                    written.append(current)
                    counts["unchanged"] += 1
        return Upserted(written, **counts)
