"""Role names: `<Type>-<Action>`, the Nexudus alias and the Trybe bundles."""

from __future__ import annotations

import pytest

from app.auth.roles import (
    ALL_PERMISSIONS,
    Action,
    RecordType,
    UnknownRole,
    expand_role,
    expand_roles,
    role_name,
)


@pytest.mark.parametrize("record_type", list(RecordType))
@pytest.mark.parametrize("action", list(Action))
def test_every_type_action_name_expands_to_itself(record_type: RecordType, action: Action) -> None:
    name = f"{record_type.value}-{action.value}"
    assert expand_role(name) == {(record_type, action)}
    assert role_name((record_type, action)) == name


def test_seed_role_names() -> None:
    assert expand_role("DiscountCode-Read") == {(RecordType.DISCOUNT_CODE, Action.READ)}
    assert expand_role("CoworkerDiscountCode-List") == {(RecordType.ASSIGNMENT, Action.LIST)}
    assert expand_role("CoworkerDiscountCode-Delete") == {(RecordType.ASSIGNMENT, Action.DELETE)}


def test_reservations_view_reads_and_lists_everything() -> None:
    expected = {(t, a) for t in RecordType for a in (Action.READ, Action.LIST)}
    assert expand_role("RESERVATIONS_VIEW") == expected


def test_settings_manage_creates_edits_deletes_the_discount_records() -> None:
    permissions = expand_role("SETTINGS_MANAGE")
    assert (RecordType.COUPON_CODE, Action.CREATE) in permissions
    assert (RecordType.ASSIGNMENT, Action.EDIT) in permissions
    assert (RecordType.DISCOUNT_CODE, Action.DELETE) in permissions
    directory_and_ledger = (RecordType.REDEMPTION, RecordType.SITE, RecordType.CUSTOMER)
    assert not any(record_type in directory_and_ledger for record_type, _ in permissions)
    assert not any(action in (Action.READ, Action.REDEEM) for _, action in permissions)
    assert len(permissions) == 4 * 3


def test_customers_view_reads_customers_coupon_codes_and_their_coupons() -> None:
    assert expand_role("CUSTOMERS_VIEW") == {
        (RecordType.CUSTOMER, Action.READ),
        (RecordType.CUSTOMER, Action.LIST),
        (RecordType.COUPON_CODE, Action.READ),
        (RecordType.COUPON, Action.READ),
    }


def test_expand_roles_is_the_union() -> None:
    assert expand_roles(["Coupon-Read", "Coupon-List", "CUSTOMERS_VIEW"]) == {
        (RecordType.COUPON, Action.READ),
        (RecordType.COUPON, Action.LIST),
        (RecordType.CUSTOMER, Action.READ),
        (RecordType.CUSTOMER, Action.LIST),
        (RecordType.COUPON_CODE, Action.READ),
    }
    assert expand_roles([]) == frozenset()
    assert len(ALL_PERMISSIONS) == len(RecordType) * len(Action)


@pytest.mark.parametrize(
    "name",
    [
        "",
        "Coupon",
        "Coupon-",
        "-Read",
        "coupon-read",
        "Coupon-read",
        "Coupon-Read-Extra",
        "Customer-Browse",
        "Site-read",
        "CoworkerDiscountCode-Use",
        "reservations_view",
        "RESERVATIONS_EDIT",
        " Coupon-Read",
    ],
)
def test_unknown_roles_are_refused_with_their_name(name: str) -> None:
    with pytest.raises(UnknownRole) as caught:
        expand_role(name)
    assert caught.value.name == name
    assert isinstance(caught.value, ValueError)
    assert repr(name) in str(caught.value)


def test_one_unknown_role_spoils_the_list() -> None:
    with pytest.raises(UnknownRole, match="Nope-Read"):
        expand_roles(["Coupon-Read", "Nope-Read"])
