"""Principal.can / scope / visibility for site grants, organisation grants, admin, anonymous."""

from __future__ import annotations

from app.auth.principal import ANONYMOUS, Grant, Principal, Scope
from app.auth.roles import Action, RecordType, expand_role, expand_roles

COUPON = RecordType.COUPON
CODE = RecordType.COUPON_CODE
READ, CREATE = Action.READ, Action.CREATE

# Organisation 10 has sites 1 and 2; organisation 20 has sites 3 and 4.
SITE_READER = Principal(
    "site@example.com", grants=(Grant(expand_role("RESERVATIONS_VIEW"), site_ids=frozenset({1})),)
)
ORG_MANAGER = Principal(
    "org@example.com",
    grants=(Grant(expand_role("SETTINGS_MANAGE"), organisation_ids=frozenset({20})),),
)


def test_site_grant_reaches_that_site_only() -> None:
    assert SITE_READER.can(COUPON, READ, site_id=1, organisation_id=10)
    assert not SITE_READER.can(COUPON, READ, site_id=2, organisation_id=10)
    assert not SITE_READER.can(COUPON, CREATE, site_id=1, organisation_id=10)
    assert SITE_READER.scope(COUPON, READ) == Scope(False, frozenset({1}), frozenset())
    assert SITE_READER.scope(COUPON, CREATE).is_empty


def test_organisation_grant_reaches_every_site_of_the_organisation() -> None:
    assert ORG_MANAGER.can(CODE, CREATE, site_id=3, organisation_id=20)
    assert ORG_MANAGER.can(CODE, CREATE, site_id=99, organisation_id=20)
    assert not ORG_MANAGER.can(CODE, CREATE, site_id=1, organisation_id=10)
    assert not ORG_MANAGER.can(CODE, READ, site_id=3, organisation_id=20)
    scope = ORG_MANAGER.scope(CODE, CREATE)
    assert scope == Scope(False, frozenset(), frozenset({20}))
    assert scope.covers(3, 20) and not scope.covers(1, 10)


def test_scope_is_the_union_of_the_grants_holding_the_permission() -> None:
    principal = Principal(
        "both@example.com",
        grants=(
            Grant(expand_roles(["Coupon-Read"]), site_ids=frozenset({1, 2})),
            Grant(expand_roles(["Coupon-Read", "Coupon-Edit"]), organisation_ids=frozenset({20})),
            Grant(expand_roles(["Coupon-Edit"]), site_ids=frozenset({7})),
        ),
    )
    assert principal.scope(COUPON, READ) == Scope(False, frozenset({1, 2}), frozenset({20}))
    assert principal.scope(COUPON, Action.EDIT) == Scope(False, frozenset({7}), frozenset({20}))
    assert principal.any_scope() == Scope(False, frozenset({1, 2, 7}), frozenset({20}))


def test_administrator_can_do_everything_everywhere() -> None:
    admin = Principal.administrator("root@example.com")
    assert admin.is_admin and admin.authenticated and not admin.is_anonymous
    assert admin.can(RecordType.REDEMPTION, Action.REDEEM, site_id=5, organisation_id=50)
    scope = admin.scope(COUPON, Action.DELETE)
    assert scope.everything and not scope.is_empty and scope.covers(123, 456)
    assert admin.can_see_site(5, 50)
    assert admin.can_see_organisation(50, [])
    assert admin.any_scope().everything


def test_anonymous_can_do_nothing() -> None:
    assert ANONYMOUS.subject == "anonymous"
    assert ANONYMOUS.is_anonymous and not ANONYMOUS.is_admin and ANONYMOUS.grants == ()
    assert not ANONYMOUS.can(COUPON, READ, site_id=1, organisation_id=10)
    assert ANONYMOUS.scope(COUPON, READ).is_empty
    assert ANONYMOUS.any_scope().is_empty
    assert not ANONYMOUS.can_see_site(1, 10)
    assert not ANONYMOUS.can_see_organisation(10, [1, 2])


def test_a_token_without_grants_is_authenticated_but_powerless() -> None:
    nobody = Principal("nobody@example.com")
    assert not nobody.is_anonymous
    assert nobody.any_scope().is_empty


def test_site_visibility_follows_any_permission() -> None:
    assert SITE_READER.can_see_site(1, 10)
    assert not SITE_READER.can_see_site(2, 10)
    assert ORG_MANAGER.can_see_site(4, 20)
    assert not ORG_MANAGER.can_see_site(1, 10)


def test_organisation_and_customer_visibility() -> None:
    # A site grant makes its organisation (and that organisation's customers) visible.
    assert SITE_READER.can_see_organisation(10, [1, 2])
    assert not SITE_READER.can_see_organisation(20, [3, 4])
    assert ORG_MANAGER.can_see_organisation(20, [])
    assert not ORG_MANAGER.can_see_organisation(10, [1, 2])


def test_grant_without_permissions_shows_nothing() -> None:
    principal = Principal("x@example.com", grants=(Grant(frozenset(), site_ids=frozenset({1})),))
    assert not principal.can_see_site(1, 10)
    assert principal.any_scope().is_empty
