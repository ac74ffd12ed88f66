"""Role names carried by tokens, and the (record type, action) permissions they stand for.

A role is named `<Type>-<Action>` (`DiscountCode-Read`, `Coupon-Create`, `Customer-List`, ...).
Two vendor vocabularies map onto the same permissions so that tokens issued for them keep
working:

- Nexudus calls an assignment a `CoworkerDiscountCode`: `CoworkerDiscountCode-<Action>` is
  `Assignment-<Action>`.
- Trybe grants coarse permissions:
  - `RESERVATIONS_VIEW`: read and list everything, customers and sites included (the
    reservations screens show who booked, and where);
  - `SETTINGS_MANAGE`: create, edit and delete the discount records (coupons, codes,
    assignments); not redemptions, which are a ledger, nor sites and customers, which are the
    directory, not discount settings;
  - `CUSTOMERS_VIEW`: read and list customers, and read coupon codes and their coupon (the
    offering lookup behind a code a customer holds).

Customers are people's names and e-mail addresses: reading them takes `Customer-Read` (one by
id, or nested under an assignment, a redemption or a coupon code) or `Customer-List` (the
list), granted on a site or an organisation (a customer is seen from every site of its
organisation). A checkout that may only redeem passes its customer's id, which it knows from
its own system, and sees no customer. Sites and organisations are still seen by anyone holding
any role where they are (see app.auth.principal); the `Site-*` roles are there for the
directory's writes.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from typing import Final


class RecordType(str, enum.Enum):
    """The kinds of record a permission is about."""

    COUPON = "Coupon"
    COUPON_CODE = "CouponCode"
    DISCOUNT_CODE = "DiscountCode"
    ASSIGNMENT = "Assignment"
    REDEMPTION = "Redemption"
    SITE = "Site"
    CUSTOMER = "Customer"


class Action(str, enum.Enum):
    """What a permission allows on a record type."""

    READ = "Read"
    LIST = "List"
    CREATE = "Create"
    EDIT = "Edit"
    DELETE = "Delete"
    REDEEM = "Redeem"


Permission = tuple[RecordType, Action]


class UnknownRole(ValueError):
    """A role name that is neither `<Type>-<Action>`, an alias, nor a bundle."""

    def __init__(self, name: str) -> None:
        super().__init__(f"unknown role {name!r}")
        self.name = name


def role_name(permission: Permission) -> str:
    """The canonical `<Type>-<Action>` name of one permission."""
    record_type, action = permission
    return f"{record_type.value}-{action.value}"


def _product(types: Iterable[RecordType], actions: Iterable[Action]) -> frozenset[Permission]:
    action_list = tuple(actions)
    return frozenset((record_type, action) for record_type in types for action in action_list)


# Redemptions are left out of SETTINGS_MANAGE on purpose: they are a ledger that is voided,
# never created or deleted through the management screens.
_MANAGED_TYPES: Final = (
    RecordType.COUPON,
    RecordType.COUPON_CODE,
    RecordType.DISCOUNT_CODE,
    RecordType.ASSIGNMENT,
)

BUNDLES: Final[dict[str, frozenset[Permission]]] = {
    "RESERVATIONS_VIEW": _product(RecordType, (Action.READ, Action.LIST)),
    "SETTINGS_MANAGE": _product(_MANAGED_TYPES, (Action.CREATE, Action.EDIT, Action.DELETE)),
    "CUSTOMERS_VIEW": _product((RecordType.COUPON_CODE, RecordType.COUPON), (Action.READ,))
    | _product((RecordType.CUSTOMER,), (Action.READ, Action.LIST)),
}

TYPE_ALIASES: Final[dict[str, RecordType]] = {
    "CoworkerDiscountCode": RecordType.ASSIGNMENT,
}

ALL_PERMISSIONS: Final = _product(RecordType, Action)

_TYPES_BY_NAME: Final = {record_type.value: record_type for record_type in RecordType}
_ACTIONS_BY_NAME: Final = {action.value: action for action in Action}


def expand_role(name: str) -> frozenset[Permission]:
    """The permissions one role name grants; raises `UnknownRole` for anything else.

    Names are matched exactly (case matters) so that a typo is refused, not guessed.
    """
    bundle = BUNDLES.get(name)
    if bundle is not None:
        return bundle
    type_name, dash, action_name = name.partition("-")
    record_type = TYPE_ALIASES.get(type_name) or _TYPES_BY_NAME.get(type_name)
    action = _ACTIONS_BY_NAME.get(action_name)
    if not dash or record_type is None or action is None:
        raise UnknownRole(name)
    return frozenset({(record_type, action)})


def expand_roles(names: Iterable[str]) -> frozenset[Permission]:
    """The union of the permissions of several role names."""
    permissions: set[Permission] = set()
    for name in names:
        permissions |= expand_role(name)
    return frozenset(permissions)
