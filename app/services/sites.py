"""Sites: where codes are used, each with a currency and an IANA time zone.

Changing a site's place on the calendar or in money, once codes exist:

- **Currency.** Baskets are in the site's currency, and a discount applies only in the
  currencies it is priced in (a FIXED amount, and the minimum spend and maximum discount when
  they are set: `app.domain.terms.priced_in`). A live coupon or discount code not priced in the
  new currency would stop applying at once, so the change is refused (CONFLICT at
  input.currency, naming how many) until each is priced in it.
- **Time zone.** Window bounds are stored as instants, resolved in the site's zone when they
  were written (`2030-05-31` in London is 2030-05-31T23:00Z). They keep their instant: a
  change of zone does not move a window that was agreed, and it cannot know which bounds were
  given as dates. Bounds written afterwards, usage periods ("per day") and assignment expiry
  are read in the new zone.

Deleting a site is soft: its codes, assignments and redemptions stay, leave every list and
cannot be redeemed (the engine finds no live site); restoring it brings them back.
"""

from __future__ import annotations

from app.auth.roles import Action
from app.clock import utcnow
from app.db import sites as stored
from app.db import usage_counters
from app.db.handles import Record, Sessions
from app.domain.calendar import is_time_zone
from app.domain.currencies import currency_problem, is_currency_code
from app.domain.enums import DiscountKind
from app.domain.terms import Terms, priced_in
from app.services.actor import Actor
from app.services.input_checks import Given, text_problems
from app.services.kinds import ORGANISATIONS, SITES
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

INPUT = ("input",)
TEXTS = {"name": 200, "external_id": 128}


def _terms(pricing: Record) -> Terms:
    return Terms(
        kind=DiscountKind(pricing.kind),
        amounts=pricing.amounts or {},
        minimum_spend=pricing.minimum_spend or {},
        maximum_discount=pricing.maximum_discount or {},
    )


def place_problems(fields: Given, path: tuple[str, ...] = INPUT) -> list[Problem]:
    """Problems with a currency and a time zone among `fields` (those given)."""
    problems = []
    currency = fields.get("currency")
    if "currency" in fields and not is_currency_code(currency):
        message = currency_problem(str(currency))
        problems.append(Problem((*path, "currency"), ProblemCode.INVALID_CURRENCY, message))
    if "time_zone" in fields and not is_time_zone(fields["time_zone"]):
        message = f"{fields['time_zone']!r} is not an IANA time zone (like 'America/New_York')"
        problems.append(Problem((*path, "timeZone"), ProblemCode.INVALID, message))
    return problems


async def create_site(
    sessions: Sessions, actor: Actor, *, organisation_id: int, fields: Given
) -> Record:
    """`fields`: name, currency, time_zone, external_id. Needs Site-Create on the organisation."""
    async with transaction(sessions) as session:
        path = (*INPUT, "organisationId")
        organisation = await find(session, ORGANISATIONS, organisation_id, path)
        actor.require_in_organisation("Site", Action.CREATE, organisation_id=organisation.id)
        require_live(ORGANISATIONS, organisation, path)
        values = {name: fields.get(name) for name in (*TEXTS, "currency", "time_zone")}
        problems = text_problems(values, TEXTS, INPUT, required=("name",)) + place_problems(values)
        raise_problems(problems)
        values["organisation_id"] = organisation.id
        return await insert_row(session, SITES, values, actor, utcnow())


async def update_site(sessions: Sessions, actor: Actor, *, db_id: int, fields: Given) -> Record:
    """Changes the fields given (a given null clears); see the module on currency and zone."""
    async with transaction(sessions) as session:
        row = await find_for_write(session, SITES, db_id, actor, Action.EDIT, (*INPUT, "id"))
        values = {
            name: fields[name] for name in (*TEXTS, "currency", "time_zone") if name in fields
        }
        problems = text_problems(values, TEXTS, INPUT, required=("name",)) + place_problems(values)
        currency = values.get("currency")
        if not problems and currency is not None and currency != row.currency:
            stranded = [
                pricing
                for pricing in await stored.live_pricing(session, row.id)
                if not priced_in(_terms(pricing), currency)
            ]
            if stranded:
                message = (
                    f"{len(stranded)} live coupon(s) or discount code(s) of this site are not priced"
                    f" in {currency} (amount, minimum spend or maximum discount) and would stop"
                    " applying: price each one in it first"
                )
                problems.append(Problem((*INPUT, "currency"), ProblemCode.CONFLICT, message))
        raise_problems(problems)
        updated = await update_row(session, SITES, row.id, values, actor, utcnow())
        if updated.time_zone != row.time_zone:
            # Usage-period buckets are the site's local days, weeks...: count them again in the
            # new zone (each owner locked first, as a redemption would).
            await usage_counters.recount(
                session, await usage_counters.owners_of_site(session, row.id)
            )
        return updated
