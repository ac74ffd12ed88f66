"""What the engine asks of a failed-attempt limiter, and what it raises when a caller must wait.

`GuessBrake` (app.graphql.checkout.rights) holds the brake on guessing discount codes: it asks
`check(caller)` before a code is looked up and calls `record_failure(caller)` when the code was
missing, hidden or refused. The limiters themselves (this process's window, or Redis shared by
every process) are the HTTP room's (`app.http.rate_limit`, `app.http.shared_rate_limit`): the
app factory builds one and hands it to the endpoint, which puts it in every request's context
(`Context.failed_code_attempts`), so the API needs only this protocol, not the stores behind it.
"""

from __future__ import annotations

import math
from typing import Any, Protocol

from app.auth.principal import Principal
from app.graphql.errors import ExpectedError


class RateLimited(ExpectedError):
    """`extensions.code` `RATE_LIMITED`, `extensions.retryAfter` in seconds (HTTP 429 with
    `Retry-After` when that is the whole response: app.http.responses)."""

    code = "RATE_LIMITED"

    def __init__(self, retry_after_seconds: float) -> None:
        seconds = max(1, math.ceil(retry_after_seconds))
        super().__init__(f"Too many failed attempts: try again in {seconds} s.", retryAfter=seconds)


class FailedAttempts(Protocol):
    """What `GuessBrake` (app.graphql.checkout.rights) asks of a limiter."""

    max_failures: int

    async def check(self, caller_key: str) -> float | None:
        """Seconds until `caller_key` may try again, or None when it may try now."""

    async def record_failure(self, caller_key: str) -> None: ...

    async def close(self) -> None:
        """Let go of what the limiter holds (connections), when the app stops."""


def caller_key(principal: Principal, request: Any) -> str:
    """Who is guessing: the token's subject, or the client address for anonymous callers."""
    if not principal.is_anonymous:
        return f"subject:{principal.subject}"
    client = getattr(request, "client", None)
    return f"address:{client.host if client else 'unknown'}"
