"""What the engine's operations of one code and of several share: how a dry run (validateCode,
validateCodes) and a redemption (redeemCode, redeemCodes) are run for the caller, with the
caller's rights, the brake on guessing codes and the refusals as GraphQL errors. Each operation
gives its request's builder and its use case, and builds its own answer."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

import strawberry

from app.auth.roles import Action
from app.domain.enums import Reason, StackReason
from app.graphql.checkout.rights import GuessBrake, code_rights, refusals
from app.graphql.mutations.payloads import UserError, run_use_case
from app.observability.metrics import REDEMPTIONS
from app.services.code_rights import SiteRights
from app.services.engine_facts import Ahead, CodeSearch, Place, find_place
from app.services.problems import Problems
from app.services.redemptions import Redeemer


class Attempt(Protocol):
    """A request of one code or of several: where, and for whom."""

    @property
    def site_id(self) -> int: ...

    @property
    def customer_id(self) -> int | None: ...


R = TypeVar("R", bound=Attempt)
C = TypeVar("C")
T = TypeVar("T")


@dataclass(frozen=True)
class Checked(Generic[R, C]):
    """A dry run's request, the caller's rights at its site, and the use case's verdict."""

    request: R
    rights: SiteRights
    verdict: C


async def dry_run(
    info: strawberry.Info,
    build: Callable[[], R],
    check: Callable[[Any, Place, R, CodeSearch], Awaitable[C]],
    reasons: Callable[[C], Iterable[Reason | StackReason | None]],
    ahead: Callable[[R, CodeSearch], Ahead],
) -> Checked[R, C] | Problems:
    """Builds the request, finds its site, checks it (`check`, nothing written) for a caller
    who may redeem or read codes there, with the enumeration-safe view where they may only
    redeem, and counts each of the verdict's `reasons` that is a failed guess; or the
    problems of the input. When the caller's search does not depend on the site's
    organisation, `ahead` says what `check` will look for, read with the site."""
    context = info.context
    context.access.require_authenticated()
    brake = GuessBrake(info)
    try:
        with refusals():
            request = build()
            rights_of = code_rights(context.access)
            known = rights_of.before_site(request.site_id, Action.REDEEM, Action.READ)
            looking = None if known is None else ahead(request, known.search(known.usable))
            place = await find_place(
                context.db, request.site_id, request.customer_id, ahead=looking
            )
            rights = rights_of.at(place.site, Action.REDEEM, Action.READ)
            await brake.ensure_allowed(rights)
            verdict = await check(context.db, place, request, rights.search(rights.usable))
    except Problems as problems:
        return problems
    await brake.record_all(rights, reasons(verdict))
    return Checked(request, rights, verdict)


@dataclass(frozen=True)
class Redeeming(Generic[T]):
    """A redemption's answer from its use case (None on userErrors), and the brake that
    counts its failed guesses (`brake.record_all`)."""

    answer: T | None
    errors: list[UserError]
    brake: GuessBrake


async def redemption(
    info: strawberry.Info, redeem: Callable[[Any, Redeemer], Awaitable[T]]
) -> Redeeming[T]:
    """Runs `redeem(sessions, redeemer)`, the use case of one transaction, for the caller; its
    problems are userErrors (counted as rejected redemptions), its refusals of the whole
    request GraphQL errors. The brake is asked before the transaction, which holds locks."""
    context = info.context
    context.access.require_authenticated()
    brake = GuessBrake(info)
    redeemer = Redeemer(
        code_rights(context.access),
        context.principal.subject,
        await brake.retry_after(),
        context.db,
    )

    async def use_case() -> T:
        return await redeem(context.services.sessions, redeemer)

    with refusals():
        answer, errors = await run_use_case(use_case, context.db)
    if answer is None:
        for error in errors:
            REDEMPTIONS.labels("rejected", str(getattr(error.code, "value", error.code))).inc()
    return Redeeming(answer, errors, brake)
