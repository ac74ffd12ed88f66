"""Minting tokens in the format `app.auth.tokens` verifies: for scripts/token, demo and tests."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from app.auth.claims import grant_claim, principal_from_claims
from app.auth.keys import (
    HMAC_ALGORITHM,
    AuthSettings,
    algorithm_for,
    check_secret_length,
    demo_secret,
)
from app.auth.principal import Grant

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


def mint_token(
    settings_or_key: AuthSettings | str | bytes | PrivateKey,
    *,
    subject: str,
    admin: bool = False,
    grants: Iterable[Grant | Mapping[str, object]] = (),
    ttl_seconds: int = 3600,
    issuer: str | None = None,
    audience: str | None = None,
    not_before: datetime | None = None,
    algorithm: str = HMAC_ALGORITHM,
    key_id: str | None = None,
) -> str:
    """A signed token with the claims documented in `app.auth.tokens`.

    `settings_or_key` is the settings (HS256 with `jwt_secret` or the demo secret; their issuer
    and audience are the defaults), an HS256 secret, or for RS256 / ES256 a private key (PEM or
    object). Grants are validated as verification would, so a bad role fails here, not later.
    """
    key: str | PrivateKey
    if isinstance(settings_or_key, (str, bytes, rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey)):
        key = _signing_key(settings_or_key, algorithm)
    else:
        if algorithm != HMAC_ALGORITHM:
            raise ValueError(f"settings hold no private key; pass a private key for {algorithm}")
        key = demo_secret(settings_or_key)
        check_secret_length(key)
        issuer = issuer if issuer is not None else settings_or_key.jwt_issuer
        audience = audience if audience is not None else settings_or_key.jwt_audience
    now = datetime.now(UTC)
    claims: dict[str, object] = {
        "sub": subject,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(seconds=ttl_seconds)).timestamp()),
    }
    if admin:
        claims["admin"] = True
    grant_claims = [grant_claim(grant) for grant in grants]
    if grant_claims:
        claims["grants"] = grant_claims
    if issuer:
        claims["iss"] = issuer
    if audience:
        claims["aud"] = audience
    if not_before is not None:
        claims["nbf"] = int(not_before.timestamp())
    principal_from_claims(claims)  # same checks as verification (subject length, grants)
    headers = {"kid": key_id} if key_id else None
    return jwt.encode(claims, key, algorithm=algorithm, headers=headers)


def _signing_key(key: str | bytes | PrivateKey, algorithm: str) -> str | PrivateKey:
    if algorithm == HMAC_ALGORITHM:
        if not isinstance(key, (str, bytes)):
            raise ValueError("HS256 signs with a shared secret, not a private key")
        secret = key.decode() if isinstance(key, bytes) else key
        if "-----BEGIN" in secret:
            raise ValueError("HS256 signs with a shared secret, not a PEM key")
        check_secret_length(secret)
        return secret
    if isinstance(key, (str, bytes)):
        data = key.encode() if isinstance(key, str) else key
        loaded = load_pem_private_key(data, password=None)
        if not isinstance(loaded, (rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey)):
            raise ValueError("tokens are signed with RSA (RS256) or EC P-256 (ES256) keys")
        key = loaded
    if algorithm_for(key) != algorithm:
        raise ValueError(f"this key signs {algorithm_for(key)}, not {algorithm}")
    return key
