"""The caller's rights as the engine's use cases take them (app.services.code_rights), the
brake on guessing codes, and the engine's refusals as GraphQL errors."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from typing import Any

from app.auth.roles import Action
from app.domain.enums import Reason, StackReason
from app.domain.rules import public_reason
from app.graphql.access import Access
from app.graphql.errors import Forbidden
from app.graphql.failed_attempts import FailedAttempts, RateLimited, caller_key
from app.observability.metrics import RATE_LIMITED
from app.services.code_rights import CodeRights, SiteRights
from app.services.engine_facts import CODE_TYPES
from app.services.problems import NotPermitted, TooManyGuesses


def code_rights(access: Access) -> CodeRights:
    """Where the caller holds each role the engine asks about, from their token."""
    return CodeRights(
        read={name: access.scope(name, Action.READ) for name in CODE_TYPES},
        redeem={name: access.scope(name, Action.REDEEM) for name in CODE_TYPES},
        date=access.scope("Redemption", Action.CREATE),
        void=access.scope("Redemption", Action.EDIT),
        read_redemptions=access.scope("Redemption", Action.READ),
    )


@contextlib.contextmanager
def refusals() -> Iterator[None]:
    """The engine's refusals of a whole request as the API's errors: FORBIDDEN for a caller
    without the role, RATE_LIMITED for one who has failed too many lookups."""
    try:
        yield
    except NotPermitted as refused:
        raise Forbidden(str(refused), roles=refused.roles) from None
    except TooManyGuesses as braked:
        RATE_LIMITED.inc()
        raise RateLimited(braked.retry_after) from None


class GuessBrake:
    """The failed-attempt limiter of app.http.rate_limit, applied to callers who get the
    enumeration-safe view of some code type at the site: a caller who may read every code
    there can list them anyway, so there is nothing to guess. A failure is an answer that is
    NOT_FOUND in the public view (missing or hidden codes), not a refusal for the basket,
    which would count a busy checkout's honest customers against it.

    Asking the limiter may be a Redis round trip (app.http.shared_rate_limit): redeemCode
    asks it (`retry_after`) before its transaction and hands the answer to the use case, which
    applies it once it knows the caller's rights at the site; validateCode knows the rights
    first (`ensure_allowed`) and asks only for guarded callers."""

    def __init__(self, info: Any) -> None:
        self.limiter: FailedAttempts | None = info.context.failed_code_attempts
        self.key = caller_key(info.context.principal, info.context.request)

    async def retry_after(self) -> float | None:
        """Seconds until the caller may fail another lookup; None when they may now."""
        return None if self.limiter is None else await self.limiter.check(self.key)

    async def ensure_allowed(self, rights: SiteRights) -> None:
        """`TooManyGuesses` when the caller is guarded at this site and must wait."""
        if self._guards(rights):
            wait = await self.retry_after()
            if wait is not None:
                raise TooManyGuesses(wait)

    def _guards(self, rights: SiteRights) -> bool:
        return self.limiter is not None and not rights.reads_every_type

    async def record_all(
        self, rights: SiteRights, reasons: Iterable[Reason | StackReason | None]
    ) -> None:
        """`record` for each code's reason of an answer (a set's refusal for the stack says
        nothing of whether a code exists)."""
        for reason in reasons:
            if isinstance(reason, Reason):
                await self.record(rights, reason)

    async def record(self, rights: SiteRights, reason: Reason | None) -> None:
        if (
            self.limiter is not None
            and self._guards(rights)
            and reason is not None
            and public_reason(reason) is Reason.NOT_FOUND
        ):
            await self.limiter.record_failure(self.key)
