"""The one place resolvers ask what the caller may see and do."""

from __future__ import annotations

from dataclasses import dataclass

from app.auth.principal import EVERYTHING, NOTHING, Principal, Scope
from app.auth.roles import Action, RecordType
from app.graphql.errors import Forbidden, Unauthenticated
from app.services.actor import refusal
from app.services.problems import NotPermitted

# API types guarded by their own roles; sites and organisations are seen by anyone holding any
# permission where they are (see app.auth.principal).
RECORD_TYPES: dict[str, RecordType] = {
    "Coupon": RecordType.COUPON,
    "CouponCode": RecordType.COUPON_CODE,
    "DiscountCode": RecordType.DISCOUNT_CODE,
    "Assignment": RecordType.ASSIGNMENT,
    "Redemption": RecordType.REDEMPTION,
    "Customer": RecordType.CUSTOMER,
}


@dataclass(frozen=True)
class Access:
    principal: Principal
    # Why a presented token was refused (None when there was none or it was valid).
    token_problem: str | None = None

    def require_authenticated(self) -> None:
        if self.principal.is_anonymous:
            if self.token_problem:
                raise Unauthenticated(f"the bearer token was refused: {self.token_problem}")
            raise Unauthenticated("a bearer token is required (Authorization: Bearer <token>)")

    def scope(self, type_name: str, action: Action) -> Scope:
        """Where the caller may do `action` on `type_name` records (may be empty)."""
        self.require_authenticated()
        record_type = RECORD_TYPES.get(type_name)
        if record_type is not None:
            return self.principal.scope(record_type, action)
        if action in (Action.READ, Action.LIST):
            return self.principal.any_scope()
        # Writing the directory: sites by their own roles, organisations by administrators.
        if type_name == "Site":
            return self.principal.scope(RecordType.SITE, action)
        return EVERYTHING if self.principal.is_admin else NOTHING

    def require_scope(self, type_name: str, action: Action) -> Scope:
        """Like `scope`, but a caller without the role on any site is refused (FORBIDDEN)."""
        scope = self.scope(type_name, action)
        if scope.is_empty:
            raise forbidden(refusal(type_name, action))
        return scope


def forbidden(refused: NotPermitted) -> Forbidden:
    """A use case's refusal (app.services.actor) as the API's FORBIDDEN, naming the role."""
    return Forbidden(str(refused), role=refused.roles[0])
