"""Bearer tokens: verifying them into a `Principal`, and minting them for scripts, demo and tests.

Tokens are JWTs signed with HS256 (shared secret), RS256 or ES256 (public key PEM or JWKS; the
key is chosen by the token's `kid`, which may be left out when the JWKS holds one key). Which
algorithm is accepted follows from the configured key, never from the token.

Claims:

- `sub` (required, string, at most 255 characters): who is calling, e.g. an email address;
  recorded as `updatedBy` on what they change.
- `exp` (required), `nbf` and `iat` (checked when present), 30 seconds of clock leeway.
- `iss`, `aud`: required and checked when the service is configured with an issuer / audience.
- `admin` (optional, boolean): `true` makes a full unrestricted administrator.
- `grants` (optional, list): each grant is an object with
  - `roles`: a non-empty list of role names: `<Type>-<Action>` with Type one of Coupon,
    CouponCode, DiscountCode, Assignment, Redemption and Action one of Read, List, Create,
    Edit, Delete, Redeem; `CoworkerDiscountCode-<Action>` (= Assignment); or the bundles
    RESERVATIONS_VIEW, SETTINGS_MANAGE, CUSTOMERS_VIEW;
  - `sites` and / or `organisations`: lists of integer database ids. A role granted on an
    organisation applies to every site of that organisation.

Example:

    {"sub": "ana@example.com", "exp": 1767225600,
     "grants": [{"roles": ["Coupon-Read", "RESERVATIONS_VIEW"], "sites": [1, 2]},
                {"roles": ["SETTINGS_MANAGE"], "organisations": [1]}]}

A grant with an unknown role, a non-integer id, an unknown key, or neither sites nor
organisations makes the whole token invalid (the error names the problem).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final, NamedTuple, Protocol

import jwt

from app.auth.claims import InvalidClaims, principal_from_claims
from app.auth.keys import (
    AuthSettings,
    VerificationKey,
    check_production_keys,
    demo_secret,
    hmac_key,
    keys_from_jwks,
    keys_from_settings,
    public_key_from_pem,
)
from app.auth.minting import mint_token
from app.auth.principal import ANONYMOUS, Principal

__all__ = [
    "AuthenticationError",
    "TokenVerifier",
    "check_production_keys",
    "demo_secret",
    "mint_token",
    "principal_from_authorization_header",
]

LEEWAY_SECONDS: Final = 30
# Far above any real token; stops a huge header from costing a JSON parse and a signature check.
MAX_TOKEN_LENGTH: Final = 16 * 1024
# Verified tokens remembered per verifier (see `TokenVerifier.verify`): at most this many, so at
# most 16 MiB of token text even if every one were `MAX_TOKEN_LENGTH` long.
VERIFIED_CACHE_SIZE: Final = 1024


class AuthenticationError(Exception):
    """The presented credentials are unusable; `message` is safe to show to the client."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class _Verified(NamedTuple):
    """What a successful verification of one token established, kept for its next uses."""

    principal: Principal
    expires_at: int  # `exp`
    not_before: int | None  # the later of `nbf` and `iat`, when the token has either


class TokenVerifier:
    """Checks a token's signature and claims with the configured key(s).

    A frontend sends the same bearer token with every request, and checking it (base64 and
    JSON decoding, the signature, the claims, building the principal) was ~13 % of the
    server's CPU time for a small query. So the outcome of a *successful* verification is
    remembered, keyed by the exact token text, in a bounded LRU (`cache_size` entries): the
    same text always carries the same signature and claims, and the keys, issuer and audience
    are fixed for the life of a verifier (new keys mean a new verifier and an empty cache).
    What can change with time is re-checked on every use, with the same leeway as a full
    verification: `exp` (a remembered token stops working the moment it expires) and
    `nbf` / `iat`. Refused tokens are never remembered, so nobody without a valid token can
    fill the cache, and each refusal costs a full verification as before.
    """

    def __init__(
        self,
        keys: Sequence[VerificationKey],
        *,
        issuer: str | None = None,
        audience: str | None = None,
        leeway_seconds: float = LEEWAY_SECONDS,
        cache_size: int = VERIFIED_CACHE_SIZE,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not keys:
            raise ValueError("a token verifier needs at least one key")
        self._keys = tuple(keys)
        self._issuer = issuer
        self._audience = audience
        self._leeway = leeway_seconds
        self._cache_size = cache_size
        # The clock of the re-checks on remembered tokens (PyJWT reads the system clock for
        # full verifications); tests move it forward.
        self._clock = clock
        self._verified: OrderedDict[str, _Verified] = OrderedDict()

    @classmethod
    def from_settings(cls, settings: AuthSettings) -> TokenVerifier:
        """The verifier for the configured key; refuses unsafe production configurations."""
        return cls(
            keys_from_settings(settings),
            issuer=settings.jwt_issuer or None,
            audience=settings.jwt_audience or None,
        )

    @classmethod
    def from_secret(
        cls, secret: str, *, issuer: str | None = None, audience: str | None = None
    ) -> TokenVerifier:
        """HS256 with a shared secret."""
        return cls((hmac_key(secret),), issuer=issuer, audience=audience)

    @classmethod
    def from_public_key_pem(
        cls, pem: str | bytes, *, issuer: str | None = None, audience: str | None = None
    ) -> TokenVerifier:
        """RS256 or ES256 (from the key type) with a PEM public key or certificate."""
        return cls((public_key_from_pem(pem),), issuer=issuer, audience=audience)

    @classmethod
    def from_jwks(
        cls,
        jwks: str | bytes | Mapping[str, object],
        *,
        issuer: str | None = None,
        audience: str | None = None,
    ) -> TokenVerifier:
        """RS256 / ES256 with the signing keys of a JWKS document, chosen by `kid`."""
        return cls(keys_from_jwks(jwks), issuer=issuer, audience=audience)

    def verify(self, token: str) -> Principal:
        """The principal a valid token stands for; `AuthenticationError` otherwise.

        A token verified before is answered from the cache after re-checking its lifetime
        (see the class docstring); any other is verified in full.
        """
        remembered = self._verified.get(token)
        if remembered is not None:
            self._check_lifetime(token, remembered)
            self._verified.move_to_end(token)
            return remembered.principal
        claims = self.verify_claims(token)
        try:
            principal = principal_from_claims(claims)
        except InvalidClaims as error:
            raise AuthenticationError(str(error)) from None
        self._remember(token, principal, claims)
        return principal

    def _check_lifetime(self, token: str, remembered: _Verified) -> None:
        """PyJWT's lifetime checks (`exp`, `nbf`, `iat`), with the same leeway and wording."""
        now = self._clock()
        if remembered.expires_at <= now - self._leeway:
            self._verified.pop(token, None)
            raise AuthenticationError("token has expired")
        if remembered.not_before is not None and remembered.not_before > now + self._leeway:
            raise AuthenticationError("token is not yet valid")

    def _remember(self, token: str, principal: Principal, claims: Mapping[str, Any]) -> None:
        if self._cache_size <= 0:
            return
        # PyJWT has checked that these are integers (or convert to one) before accepting them.
        not_before = [int(claims[name]) for name in ("nbf", "iat") if name in claims]
        self._verified[token] = _Verified(
            principal, int(claims["exp"]), max(not_before) if not_before else None
        )
        while len(self._verified) > self._cache_size:
            self._verified.popitem(last=False)

    def verify_claims(self, token: str) -> dict[str, Any]:
        """The claims of a token whose signature, lifetime, issuer and audience are valid."""
        if len(token) > MAX_TOKEN_LENGTH:
            raise AuthenticationError("token is too long")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise AuthenticationError("token is malformed") from None
        key = self._select_key(header.get("kid"))
        if header.get("alg") != key.algorithm:
            raise AuthenticationError(f"token algorithm is not accepted (expected {key.algorithm})")
        required = ["exp", "sub"]
        required += ["iss"] if self._issuer else []
        required += ["aud"] if self._audience else []
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key.key,
                algorithms=[key.algorithm],
                options={"require": required, "verify_aud": self._audience is not None},
                issuer=self._issuer,
                audience=self._audience,
                leeway=self._leeway,
            )
        except jwt.PyJWTError as error:
            raise AuthenticationError(_describe(error)) from None
        return claims

    def _select_key(self, kid: object) -> VerificationKey:
        if kid is not None and not isinstance(kid, str):
            raise AuthenticationError("token kid must be a string")
        if kid is not None:
            for key in self._keys:
                if key.key_id == kid:
                    return key
        # A single key without a kid (secret, PEM, one-key JWKS) is the only candidate anyway.
        if len(self._keys) == 1 and (kid is None or self._keys[0].key_id is None):
            return self._keys[0]
        if kid is None:
            raise AuthenticationError("token has no kid and the key set holds several keys")
        raise AuthenticationError("token kid does not name a known key")


def _describe(error: jwt.PyJWTError) -> str:
    # Own wording rather than the library's, so nothing about keys can leak to clients.
    if isinstance(error, jwt.ExpiredSignatureError):
        return "token has expired"
    if isinstance(error, jwt.ImmatureSignatureError):
        return "token is not yet valid"
    if isinstance(error, jwt.MissingRequiredClaimError):
        return f"token has no {error.claim} claim"
    if isinstance(error, jwt.InvalidIssuerError):
        return "token issuer is not accepted"
    if isinstance(error, jwt.InvalidAudienceError):
        return "token audience is not accepted"
    if isinstance(error, jwt.InvalidSignatureError):
        return "token signature is invalid"
    if isinstance(error, jwt.InvalidAlgorithmError):
        return "token algorithm is not accepted"
    if isinstance(error, jwt.InvalidIssuedAtError):
        return "token iat claim must be a number"
    if isinstance(error, jwt.exceptions.InvalidSubjectError):
        return "token sub claim must be a string"
    return "token is malformed"


class Verifier(Protocol):
    """Anything that turns a token into a principal (a `TokenVerifier`, or a test double)."""

    def verify(self, token: str) -> Principal: ...


def principal_from_authorization_header(header: str | None, verifier: Verifier) -> Principal:
    """`ANONYMOUS` without a header; the token's principal for `Bearer <token>`; else an error.

    Refusing anonymous callers is the API layer's decision, not this function's.
    """
    if header is None or not header.strip():
        return ANONYMOUS
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    # The scheme is case-insensitive (RFC 7235); the token itself has no spaces.
    if scheme.lower() != "bearer" or not token or " " in token:
        raise AuthenticationError("the Authorization header must be 'Bearer <token>'")
    return verifier.verify(token)
