"""Reading and writing the service's own token claims (`sub`, `admin`, `grants`).

The format is documented in `app.auth.tokens`. Parsing is strict: a grant the service does not
understand is an error, never silently ignored, because ignoring part of a grant could turn a
typo (`"organizations"`) into a token that quietly has less, or more, than intended.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from app.auth.principal import Grant, Principal
from app.auth.roles import UnknownRole, expand_roles, role_name
from app.domain.record_ids import MAX_RECORD_ID, MIN_RECORD_ID, is_record_id

# updatedBy is stored in a bounded column; refuse here rather than fail in the database.
MAX_SUBJECT_LENGTH: Final = 255
GRANT_KEYS: Final = frozenset({"roles", "sites", "organisations"})


class InvalidClaims(ValueError):
    """The verified token's claims do not follow the format; the message names the problem."""


def principal_from_claims(claims: Mapping[str, object]) -> Principal:
    """Build the principal a verified token stands for."""
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject.strip():
        raise InvalidClaims("token has no subject (sub)")
    if len(subject) > MAX_SUBJECT_LENGTH:
        raise InvalidClaims(f"token subject (sub) is longer than {MAX_SUBJECT_LENGTH} characters")
    admin = claims.get("admin", False)
    if not isinstance(admin, bool):
        raise InvalidClaims("token claim admin must be true or false")
    raw_grants = claims.get("grants", [])
    if not isinstance(raw_grants, list):
        raise InvalidClaims("token claim grants must be a list")
    grants = tuple(parse_grant(raw, index) for index, raw in enumerate(raw_grants))
    return Principal(subject=subject, is_admin=admin, grants=grants)


def parse_grant(raw: object, index: int = 0) -> Grant:
    """One element of the `grants` claim; `index` only serves the error message."""
    where = f"grants[{index}]"
    if not isinstance(raw, Mapping):
        raise InvalidClaims(f"{where} must be an object")
    unknown = sorted(str(key) for key in raw if key not in GRANT_KEYS)
    if unknown:
        raise InvalidClaims(f"{where} has unknown key {unknown[0]!r}")
    roles = _role_names(raw.get("roles"), where)
    try:
        permissions = expand_roles(roles)
    except UnknownRole as error:
        raise InvalidClaims(f"{where}: unknown role {error.name!r}") from None
    site_ids = _ids(raw.get("sites"), f"{where}.sites")
    organisation_ids = _ids(raw.get("organisations"), f"{where}.organisations")
    if not site_ids and not organisation_ids:
        raise InvalidClaims(f"{where} must name sites or organisations")
    return Grant(permissions, site_ids, organisation_ids)


def grant_claim(grant: Grant | Mapping[str, object]) -> dict[str, object]:
    """The `grants` element for a grant, validated; role names given in a mapping are kept."""
    if isinstance(grant, Grant):
        roles = sorted(role_name(permission) for permission in grant.permissions)
        site_ids, organisation_ids = grant.site_ids, grant.organisation_ids
    else:
        parsed = parse_grant(grant)
        roles = _role_names(grant.get("roles"), "grants[0]")
        site_ids, organisation_ids = parsed.site_ids, parsed.organisation_ids
    claim: dict[str, object] = {"roles": roles}
    if site_ids:
        claim["sites"] = sorted(site_ids)
    if organisation_ids:
        claim["organisations"] = sorted(organisation_ids)
    # Round-trip so that a token is never minted with a grant that verification would refuse.
    parse_grant(claim)
    return claim


def _list(value: object) -> list[object] | None:
    # JSON arrays arrive as lists; tuples are accepted for grants built in Python.
    return list(value) if isinstance(value, (list, tuple)) else None


def _role_names(value: object, where: str) -> list[str]:
    items = _list(value)
    if not items or not all(isinstance(item, str) for item in items):
        raise InvalidClaims(f"{where}.roles must be a non-empty list of role names")
    return [str(item) for item in items]


def _ids(value: object, where: str) -> frozenset[int]:
    if value is None:
        return frozenset()
    items = _list(value)
    expected = f"{where} must be a list of ids ({MIN_RECORD_ID} to {MAX_RECORD_ID})"
    if items is None:
        raise InvalidClaims(expected)
    ids: set[int] = set()
    for item in items:
        # An id no record can have is refused here: in the scope's SQL it would overflow
        # the driver, not match nothing (app.domain.record_ids).
        if not is_record_id(item):
            raise InvalidClaims(f"{expected}, not {item!r:.40}")
        ids.add(item)
    return frozenset(ids)
