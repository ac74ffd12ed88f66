"""Who may ask the engine what, at a site, and the two views of its answers: data the API
computes from the caller's token before a use case runs, so that the use case needs no
callback into the API (it only learns the site, and with it the caller's rights there, once
it has read the site inside its transaction).

A caller's rights at a site are the code types (CouponCode, DiscountCode) they may read and
those they may redeem there. Codes of a type the caller may neither read nor redeem (or, for
redeemCode, not redeem) are never searched for, so such a code answers exactly like a code
that does not exist. Among the codes that are searched, a caller who may read the code's type
gets the full answer (every reason, the code's details); one who may only redeem it gets the
enumeration-safe view: `public_reason` (deleted, disabled, not yet valid, someone else's or
ambiguous are all NOT_FOUND) and no details. A caller with no right on either type at the
site is refused outright (`NotPermitted`), before any code is looked up.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from app.auth.principal import NOTHING, Scope
from app.auth.roles import Action
from app.db.handles import Record
from app.domain.enums import Reason
from app.domain.rules import public_reason
from app.services.engine_facts import CODE_TYPES, COUPON_CODE, DISCOUNT_CODE, CodeSearch
from app.services.problems import NotPermitted


@dataclass(frozen=True)
class SiteRights:
    """The code types the caller may read and redeem at one site."""

    readable: frozenset[str]
    redeemable: frozenset[str]

    @property
    def usable(self) -> frozenset[str]:
        return self.readable | self.redeemable

    @property
    def reads_every_type(self) -> bool:
        """The caller may list every code of the site anyway: nothing for them to guess."""
        return set(CODE_TYPES) <= self.readable

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

    def hold(self, actions: Iterable[Action]) -> bool:
        """Whether one of `actions` is held on a code type."""
        held = {Action.READ: self.readable, Action.REDEEM: self.redeemable}
        return any(held[action] for action in actions)

    def search(self, types: frozenset[str]) -> CodeSearch:
        """The search for `types`: even (one cost whatever is found) unless the caller may
        read every one of them, and so gets every answer in full anyway."""
        return CodeSearch(types, even=not self.may_read(None, types))


@dataclass(frozen=True)
class CodeRights:
    """Where the caller holds each role the engine asks about (scopes are data:
    app.auth.principal): the code roles by code type, and the Redemption roles."""

    read: Mapping[str, Scope] = field(default_factory=dict)  # by code type
    redeem: Mapping[str, Scope] = field(default_factory=dict)
    date: Scope = NOTHING  # Redemption-Create
    void: Scope = NOTHING  # Redemption-Edit
    read_redemptions: Scope = NOTHING  # Redemption-Read
    # The rights at each site asked about (`_rights`): an instance lives for one request.
    _memo: dict[tuple[int, int], SiteRights] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def at(self, site: Record, *actions: Action) -> SiteRights:
        """The rights at `site`; `NotPermitted` unless one of `actions` is held on a code type
        there."""

        rights = self._rights(site.id, site.organisation_id)
        if not rights.hold(actions):
            roles = [f"{name}-{action.value}" for action in actions for name in CODE_TYPES]
            message = f"one of the roles {', '.join(roles)} is required on this site"
            raise NotPermitted(message, roles)
        return rights

    def before_site(self, site_id: int, *actions: Action) -> SiteRights | None:
        """The rights `at` finds at the site `site_id`, when they do not depend on its
        organisation (no code role is held by organisation), so that a check may read its
        codes with the site; None otherwise, or when none of `actions` is held there."""
        if self._by_organisation:
            return None
        rights = self._rights(site_id, 0)  # no scope names an organisation
        return rights if rights.hold(actions) else None

    def _rights(self, site_id: int, organisation_id: int) -> SiteRights:
        # A check asks twice (`before_site`, then `at` once the site is read): worked out once.
        # Without a code role held by organisation, the organisation changes nothing.
        key = (site_id, organisation_id if self._by_organisation else 0)
        known = self._memo.get(key)
        if known is not None:
            return known

        def holding(scopes: Mapping[str, Scope]) -> frozenset[str]:
            return frozenset(
                type_name
                for type_name in CODE_TYPES
                if scopes.get(type_name, NOTHING).covers(site_id, organisation_id)
            )

        rights = SiteRights(readable=holding(self.read), redeemable=holding(self.redeem))
        if len(self._memo) < _MEMO:
            self._memo[key] = rights
        return rights

    @functools.cached_property
    def _by_organisation(self) -> bool:
        """Whether a code role is held by organisation (`before_site` cannot answer then)."""
        return any(scope.organisation_ids for scope in (*self.read.values(), *self.redeem.values()))

    def may_date(self, site: Record) -> bool:
        return self.date.covers(site.id, site.organisation_id)

    def may_void(self, redemption: Record) -> bool:
        """Voiding needs Redemption-Edit on the redemption's site, or the Redeem role on the
        redeemed code's type there: the checkout that redeemed a code must be able to give
        the use back when the order is cancelled, without holding a second role."""
        where = (redemption.site_id, redemption.organisation_id)
        code_type = code_type_of(redemption)
        return self.void.covers(*where) or self.redeem.get(code_type, NOTHING).covers(*where)

    def may_see(self, redemption: Record) -> bool:
        return self.read_redemptions.covers(redemption.site_id, redemption.organisation_id)


_MEMO = 16  # sites remembered by one CodeRights


def code_type_of(redemption: Record) -> str:
    return COUPON_CODE if redemption.coupon_code_id is not None else DISCOUNT_CODE


def void_roles(redemption: Record) -> list[str]:
    """The roles that would let the caller void `redemption`."""
    return [f"Redemption-{Action.EDIT.value}", f"{code_type_of(redemption)}-{Action.REDEEM.value}"]
