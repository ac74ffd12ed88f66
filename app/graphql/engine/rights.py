"""Who may ask the engine what, at a site, and the two views of its answers.

A caller's rights at a site are the code types (CouponCode, DiscountCode) they may read and
those they may redeem there. Codes of a type the caller may neither read nor redeem (or, for
redeemCode, not redeem) are never searched for, so such a code answers exactly like a code
that does not exist. Among the codes that are searched, a caller who may read the code's type
gets the full answer (every reason, the code's details); one who may only redeem it gets the
enumeration-safe view: `public_reason` (deleted, disabled, not yet valid, someone else's or
ambiguous are all NOT_FOUND) and no details. A caller with no right on either type at the
site is refused outright (FORBIDDEN), before any code is looked up.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Row

from app.auth.roles import Action
from app.domain.enums import Reason
from app.domain.rules import public_reason
from app.graphql.access import Access
from app.graphql.errors import Forbidden
from app.graphql.failed_attempts import FailedAttempts, RateLimited, caller_key
from app.observability.metrics import RATE_LIMITED
from app.services.engine_facts import CODE_TYPES, CodeSearch


@dataclass(frozen=True)
class SiteRights:
    readable: frozenset[str]
    redeemable: frozenset[str]

    @property
    def usable(self) -> frozenset[str]:
        return self.readable | self.redeemable

    def reason_for(
        self, reason: Reason | None, type_name: str | None, searched: frozenset[str]
    ) -> Reason | None:
        """`reason` as this caller may see it. Without a code (NOT_FOUND, AMBIGUOUS_CODE) the
        full reason needs read rights on every type searched."""
        if reason is None or self.may_read(type_name, searched):
            return reason
        return public_reason(reason)

    def may_read(self, type_name: str | None, searched: frozenset[str]) -> bool:
        if type_name is None:
            return searched <= self.readable
        return type_name in self.readable

    def search(self, types: frozenset[str]) -> CodeSearch:
        """The search for `types`: even (one cost whatever is found) unless the caller may
        read every one of them, and so gets every answer in full anyway."""
        return CodeSearch(types, even=not self.may_read(None, types))


def _roles(actions: tuple[Action, ...]) -> list[str]:
    return [f"{type_name}-{action.value}" for action in actions for type_name in CODE_TYPES]


def site_rights(access: Access, site: Row[Any], *actions: Action) -> SiteRights:
    """The caller's rights at `site`; FORBIDDEN unless they hold one of `actions` on a code
    type there."""

    def holding(action: Action) -> frozenset[str]:
        return frozenset(
            type_name
            for type_name in CODE_TYPES
            if access.scope(type_name, action).covers(site.id, site.organisation_id)
        )

    rights = SiteRights(readable=holding(Action.READ), redeemable=holding(Action.REDEEM))
    held = {Action.READ: rights.readable, Action.REDEEM: rights.redeemable}
    if not any(held[action] for action in actions):
        roles = _roles(actions)
        message = f"one of the roles {', '.join(roles)} is required on this site"
        raise Forbidden(message, roles=roles)
    return rights


class GuessBrake:
    """The failed-attempt limiter of app.http.rate_limit, applied to callers who get the
    enumeration-safe view of some code type at the site: a caller who may read every code
    there can list them anyway, so there is nothing to guess. A failure is an answer that is
    NOT_FOUND in the public view (missing or hidden codes), not a refusal for the basket,
    which would count a busy checkout's honest customers against it.

    Asking the limiter may be a Redis round trip (app.http.shared_rate_limit): redeemCode
    `consult()`s it before its transaction, which then `guard(rights)`s with what was fetched
    once the site is read; validateCode knows the rights first (`ensure_allowed`) and asks
    only for guarded callers."""

    def __init__(self, info: Any) -> None:
        request = info.context.request
        state = getattr(getattr(request, "app", None), "state", None)
        self.limiter: FailedAttempts | None = getattr(state, "failed_code_attempts", None)
        self.key = caller_key(info.context.principal, request)
        self.guarded = False
        self._wait: float | None = None

    async def consult(self) -> None:
        if self.limiter is not None:
            self._wait = await self.limiter.check(self.key)

    def guard(self, rights: SiteRights) -> None:
        """Raise `RateLimited` when the caller is guarded at this site and must wait."""
        self.guarded = self._guards(rights)
        if self.guarded and self._wait is not None:
            RATE_LIMITED.inc()
            raise RateLimited(self._wait)

    async def ensure_allowed(self, rights: SiteRights) -> None:
        if self._guards(rights):
            await self.consult()
        self.guard(rights)

    def _guards(self, rights: SiteRights) -> bool:
        return self.limiter is not None and not set(CODE_TYPES) <= rights.readable

    async def record(self, reason: Reason | None) -> None:
        if (
            self.guarded
            and self.limiter is not None
            and reason is not None
            and public_reason(reason) is Reason.NOT_FOUND
        ):
            await self.limiter.record_failure(self.key)
