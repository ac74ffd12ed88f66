"""Token verification: signatures, algorithms, lifetimes, issuer, audience, claims, header."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from app.auth.principal import ANONYMOUS, Grant
from app.auth.roles import Action, RecordType, expand_role
from app.auth.tokens import (
    AuthenticationError,
    TokenVerifier,
    mint_token,
    principal_from_authorization_header,
)

from .support import (
    SECRET,
    ec_private_key,
    handmade_token,
    private_pem,
    public_pem,
    rsa_private_key,
)

VERIFIER = TokenVerifier.from_secret(SECRET)


def _claims(**extra: Any) -> dict[str, Any]:
    now = int(time.time())
    return {"sub": "ana@example.com", "iat": now, "exp": now + 600, **extra}


def _refused(verifier: TokenVerifier, token: str, fragment: str) -> None:
    with pytest.raises(AuthenticationError) as caught:
        verifier.verify(token)
    assert fragment in caught.value.message
    assert SECRET not in caught.value.message


def test_valid_hs256_token_with_grants() -> None:
    token = mint_token(
        SECRET,
        subject="ana@example.com",
        grants=[
            {"roles": ["Coupon-Read", "RESERVATIONS_VIEW"], "sites": [1, 2]},
            Grant(expand_role("SETTINGS_MANAGE"), organisation_ids=frozenset({7})),
        ],
    )
    principal = VERIFIER.verify(token)
    assert principal.subject == "ana@example.com"
    assert not principal.is_admin and not principal.is_anonymous
    assert principal.grants[0].site_ids == {1, 2}
    assert principal.grants[0].permissions == expand_role("RESERVATIONS_VIEW")
    assert principal.grants[1] == Grant(expand_role("SETTINGS_MANAGE"), frozenset(), frozenset({7}))
    assert principal.can(RecordType.COUPON, Action.LIST, site_id=2, organisation_id=99)
    assert principal.can(RecordType.COUPON, Action.CREATE, site_id=50, organisation_id=7)


def test_admin_claim() -> None:
    principal = VERIFIER.verify(mint_token(SECRET, subject="root@example.com", admin=True))
    assert principal.is_admin and principal.subject == "root@example.com"


def test_expired_token_is_refused_after_the_leeway() -> None:
    assert VERIFIER.verify(mint_token(SECRET, subject="a@b.c", ttl_seconds=-10))
    _refused(VERIFIER, mint_token(SECRET, subject="a@b.c", ttl_seconds=-60), "expired")


def test_token_not_yet_valid_is_refused_after_the_leeway() -> None:
    now = datetime.now(UTC)
    soon = mint_token(SECRET, subject="a@b.c", not_before=now + timedelta(seconds=10))
    assert VERIFIER.verify(soon)
    later = mint_token(SECRET, subject="a@b.c", not_before=now + timedelta(minutes=5))
    _refused(VERIFIER, later, "not yet valid")
    future_iat = jwt.encode(_claims(iat=int(time.time()) + 300), SECRET, algorithm="HS256")
    _refused(VERIFIER, future_iat, "not yet valid")


def test_exp_and_sub_are_required() -> None:
    _refused(VERIFIER, jwt.encode({"sub": "a@b.c"}, SECRET, algorithm="HS256"), "no exp claim")
    no_sub = {k: v for k, v in _claims().items() if k != "sub"}
    _refused(VERIFIER, jwt.encode(no_sub, SECRET, algorithm="HS256"), "no sub claim")
    _refused(VERIFIER, jwt.encode(_claims(sub=""), SECRET, algorithm="HS256"), "subject")
    _refused(VERIFIER, jwt.encode(_claims(sub=42), SECRET, algorithm="HS256"), "sub")
    _refused(VERIFIER, jwt.encode(_claims(sub="x" * 300), SECRET, algorithm="HS256"), "longer")


def test_issuer_and_audience_when_configured() -> None:
    verifier = TokenVerifier.from_secret(SECRET, issuer="https://idp", audience="discounts")
    good = mint_token(SECRET, subject="a@b.c", issuer="https://idp", audience="discounts")
    assert verifier.verify(good).subject == "a@b.c"
    wrong_iss = mint_token(SECRET, subject="a@b.c", issuer="https://evil", audience="discounts")
    _refused(verifier, wrong_iss, "issuer")
    wrong_aud = mint_token(SECRET, subject="a@b.c", issuer="https://idp", audience="other")
    _refused(verifier, wrong_aud, "audience")
    _refused(verifier, mint_token(SECRET, subject="a@b.c", issuer="https://idp"), "no aud claim")
    _refused(verifier, mint_token(SECRET, subject="a@b.c", audience="discounts"), "no iss claim")


def test_audience_is_not_checked_when_not_configured() -> None:
    assert VERIFIER.verify(mint_token(SECRET, subject="a@b.c", audience="anything"))


def test_bad_signature() -> None:
    token = mint_token("another-secret-that-is-long-enough-0123456789", subject="a@b.c")
    _refused(VERIFIER, token, "signature is invalid")
    head, payload, signature = mint_token(SECRET, subject="a@b.c").split(".")
    tampered = jwt.utils.base64url_encode(json.dumps(_claims(admin=True)).encode()).decode()
    _refused(VERIFIER, f"{head}.{tampered}.{signature}", "signature is invalid")


def test_alg_none_is_refused() -> None:
    token = handmade_token({"alg": "none", "typ": "JWT"}, _claims(admin=True), None)
    _refused(VERIFIER, token, "algorithm is not accepted")


def test_hs256_signed_with_the_rsa_public_key_is_refused() -> None:
    pem = public_pem(rsa_private_key())
    verifier = TokenVerifier.from_public_key_pem(pem)
    forged = handmade_token({"alg": "HS256", "typ": "JWT"}, _claims(admin=True), pem)
    _refused(verifier, forged, "algorithm is not accepted")


def test_rs256_via_pem() -> None:
    verifier = TokenVerifier.from_public_key_pem(public_pem(rsa_private_key()))
    token = mint_token(
        private_pem(rsa_private_key()), subject="a@b.c", admin=True, algorithm="RS256"
    )
    assert verifier.verify(token).is_admin
    _refused(verifier, mint_token(SECRET, subject="a@b.c"), "algorithm is not accepted")
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    other = mint_token(stranger, subject="a@b.c", algorithm="RS256")
    _refused(verifier, other, "signature is invalid")


def _jwks() -> dict[str, Any]:
    ec_jwk = ECAlgorithm.to_jwk(ec_private_key().public_key(), as_dict=True)
    rsa_jwk = RSAAlgorithm.to_jwk(rsa_private_key().public_key(), as_dict=True)
    hmac_jwk = {"kty": "oct", "k": "c2VjcmV0", "kid": "hmac"}  # must never be used
    return {"keys": [{**ec_jwk, "kid": "ec-1"}, {**rsa_jwk, "kid": "rsa-1"}, hmac_jwk]}


def test_es256_via_jwks_selects_the_key_by_kid() -> None:
    verifier = TokenVerifier.from_jwks(json.dumps(_jwks()))
    es = mint_token(ec_private_key(), subject="a@b.c", algorithm="ES256", key_id="ec-1")
    assert verifier.verify(es).subject == "a@b.c"
    rs = mint_token(rsa_private_key(), subject="a@b.c", algorithm="RS256", key_id="rsa-1")
    assert verifier.verify(rs).subject == "a@b.c"
    wrong_kid = mint_token(ec_private_key(), subject="a@b.c", algorithm="ES256", key_id="rsa-1")
    _refused(verifier, wrong_kid, "algorithm is not accepted")
    unknown = mint_token(ec_private_key(), subject="a@b.c", algorithm="ES256", key_id="nope")
    _refused(verifier, unknown, "kid does not name a known key")
    no_kid = mint_token(ec_private_key(), subject="a@b.c", algorithm="ES256")
    _refused(verifier, no_kid, "no kid")
    forged = handmade_token({"alg": "HS256", "kid": "hmac"}, _claims(), b"secret")
    _refused(verifier, forged, "kid does not name a known key")


def test_jwks_with_one_key_works_without_kid() -> None:
    ec_jwk = ECAlgorithm.to_jwk(ec_private_key().public_key(), as_dict=True)
    verifier = TokenVerifier.from_jwks({"keys": [{**ec_jwk, "kid": "only"}]})
    token = mint_token(ec_private_key(), subject="a@b.c", algorithm="ES256")
    assert verifier.verify(token).subject == "a@b.c"


@pytest.mark.parametrize(
    ("grants", "fragment"),
    [
        ([{"roles": ["Coupon-Read", "Nope-Read"], "sites": [1]}], "unknown role 'Nope-Read'"),
        ([{"roles": ["Coupon-Read"], "sites": ["1"]}], "grants[0].sites must be a list of ids"),
        (
            [{"roles": ["Coupon-Read"], "sites": [1.5]}],
            "must be a list of ids (1 to 2147483647), not 1.5",
        ),
        ([{"roles": ["Coupon-Read"], "organisations": [True]}], "grants[0].organisations"),
        ([{"roles": ["Coupon-Read"], "sites": 1}], "must be a list of ids (1 to 2147483647)"),
        ([{"roles": ["Coupon-Read"]}], "must name sites or organisations"),
        ([{"roles": ["Coupon-Read"], "sites": []}], "must name sites or organisations"),
        ([{"roles": ["Coupon-Read"], "organizations": [1]}], "unknown key 'organizations'"),
        ([{"roles": [], "sites": [1]}], "roles must be a non-empty list"),
        ([{"roles": "Coupon-Read", "sites": [1]}], "roles must be a non-empty list"),
        ([{"sites": [1]}], "roles must be a non-empty list"),
        ([{"roles": ["Coupon-Read"], "sites": [1]}, "x"], "grants[1] must be an object"),
        ({"roles": ["Coupon-Read"], "sites": [1]}, "grants must be a list"),
    ],
)
def test_malformed_grants_make_the_token_invalid(grants: object, fragment: str) -> None:
    token = jwt.encode(_claims(grants=grants), SECRET, algorithm="HS256")
    _refused(VERIFIER, token, fragment)


def test_admin_must_be_a_boolean() -> None:
    _refused(VERIFIER, jwt.encode(_claims(admin="yes"), SECRET, algorithm="HS256"), "admin")


def test_mint_refuses_what_verification_would_refuse() -> None:
    with pytest.raises(ValueError, match="unknown role 'Nope-Read'"):
        mint_token(SECRET, subject="a@b.c", grants=[{"roles": ["Nope-Read"], "sites": [1]}])
    with pytest.raises(ValueError, match="sites or organisations"):
        mint_token(SECRET, subject="a@b.c", grants=[{"roles": ["Coupon-Read"]}])
    with pytest.raises(ValueError, match="PEM"):
        mint_token(public_pem(rsa_private_key()), subject="a@b.c")
    with pytest.raises(ValueError, match="ES256"):
        mint_token(rsa_private_key(), subject="a@b.c", algorithm="ES256")
    with pytest.raises(RuntimeError, match="at least 32"):
        mint_token("short", subject="a@b.c")


def test_garbage_tokens_are_malformed() -> None:
    for token in ("", "abc", "a.b.c", "a.b", "x" * 20000):
        with pytest.raises(AuthenticationError):
            VERIFIER.verify(token)


@pytest.mark.parametrize("header", [None, "", "   "])
def test_missing_authorization_header_is_anonymous(header: str | None) -> None:
    assert principal_from_authorization_header(header, VERIFIER) is ANONYMOUS


def test_bearer_header() -> None:
    token = mint_token(SECRET, subject="a@b.c")
    assert principal_from_authorization_header(f"Bearer {token}", VERIFIER).subject == "a@b.c"
    assert principal_from_authorization_header(f"bearer  {token} ", VERIFIER).subject == "a@b.c"


@pytest.mark.parametrize("header", ["Basic dXNlcjpwYXNz", "Bearer", "Bearer ", "Bearer a b", "tok"])
def test_malformed_authorization_header(header: str) -> None:
    with pytest.raises(AuthenticationError, match="Bearer <token>"):
        principal_from_authorization_header(header, VERIFIER)


def test_bearer_with_a_bad_token_is_an_authentication_error() -> None:
    with pytest.raises(AuthenticationError, match="malformed"):
        principal_from_authorization_header("Bearer not-a-token", VERIFIER)
