"""Authentication and authorisation: bearer tokens in, a `Principal` with scoped permissions out.

Pure Python (no SQL, no GraphQL): the API layer calls `principal_from_authorization_header`
and asks the principal `can(...)` / `scope(...)`; the data layer turns a `Scope` into a filter.
"""

from __future__ import annotations

from app.auth.claims import InvalidClaims
from app.auth.keys import KeyConfigurationError
from app.auth.principal import ANONYMOUS, Grant, Principal, Scope
from app.auth.roles import Action, Permission, RecordType, UnknownRole, expand_role, expand_roles
from app.auth.tokens import (
    AuthenticationError,
    TokenVerifier,
    check_production_keys,
    demo_secret,
    mint_token,
    principal_from_authorization_header,
)

__all__ = [
    "ANONYMOUS",
    "Action",
    "AuthenticationError",
    "Grant",
    "InvalidClaims",
    "KeyConfigurationError",
    "Permission",
    "Principal",
    "RecordType",
    "Scope",
    "TokenVerifier",
    "UnknownRole",
    "check_production_keys",
    "demo_secret",
    "expand_role",
    "expand_roles",
    "mint_token",
    "principal_from_authorization_header",
]
