"""The verified-token cache of `TokenVerifier`: a remembered token is re-checked for its
lifetime on every use, refusals are never remembered, and the cache stays bounded."""

from __future__ import annotations

import time
from typing import Any

import jwt
import pytest

from app.auth.keys import hmac_key
from app.auth.tokens import LEEWAY_SECONDS, AuthenticationError, TokenVerifier, mint_token

from .support import SECRET


class Clock:
    """A clock the test moves (the verifier's re-checks read it)."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


def _verifier(clock: Clock, **kwargs: Any) -> TokenVerifier:
    return TokenVerifier((hmac_key(SECRET),), clock=clock, **kwargs)


def _token(**claims: Any) -> str:
    now = int(time.time())
    return jwt.encode({"sub": "ana@example.com", "exp": now + 600, **claims}, SECRET, "HS256")


def test_a_verified_token_is_remembered() -> None:
    verifier = _verifier(Clock())
    token = mint_token(SECRET, subject="a@b.c", admin=True)
    first = verifier.verify(token)
    assert verifier.verify(token) is first  # the same principal, without a second decode
    assert len(verifier._verified) == 1


def test_a_remembered_token_expires_on_time() -> None:
    # given a token valid for ten more minutes, verified and remembered
    clock = Clock()
    verifier = _verifier(clock)
    token = _token(exp=int(clock.now) + 600)
    assert verifier.verify(token).subject == "ana@example.com"
    # when the clock passes its expiry (and the leeway)
    clock.now += 600 + LEEWAY_SECONDS
    # then it is refused as a full verification would refuse it, and forgotten
    with pytest.raises(AuthenticationError, match="token has expired"):
        verifier.verify(token)
    assert token not in verifier._verified


def test_a_remembered_token_is_accepted_within_the_leeway() -> None:
    clock = Clock()
    verifier = _verifier(clock)
    token = _token(exp=int(clock.now) + 600)
    verifier.verify(token)
    clock.now += 600 + LEEWAY_SECONDS - 1
    assert verifier.verify(token).subject == "ana@example.com"


def test_a_remembered_token_is_refused_before_its_nbf() -> None:
    # given a token verified while valid (nbf just inside the leeway)
    clock = Clock()
    verifier = _verifier(clock)
    token = _token(nbf=int(clock.now) + LEEWAY_SECONDS - 5)
    verifier.verify(token)
    # when the clock goes back (a corrected system clock)
    clock.now -= 60
    # then the cached entry is checked as the library would check it
    with pytest.raises(AuthenticationError, match="token is not yet valid"):
        verifier.verify(token)


def test_refused_tokens_are_not_remembered() -> None:
    verifier = _verifier(Clock())
    expired = mint_token(SECRET, subject="a@b.c", ttl_seconds=-3600)
    forged = jwt.encode({"sub": "a@b.c", "exp": int(time.time()) + 600}, "x" * 48, "HS256")
    bad_claims = _token(grants=[{"roles": ["Nope-Read"], "sites": [1]}])
    for token in (expired, forged, bad_claims):
        for _ in range(2):  # refused every time, by a full verification
            with pytest.raises(AuthenticationError):
                verifier.verify(token)
    assert len(verifier._verified) == 0


def test_the_cache_is_bounded_least_recently_used_first() -> None:
    verifier = _verifier(Clock(), cache_size=2)
    first, second, third = (mint_token(SECRET, subject=f"{n}@b.c") for n in range(3))
    verifier.verify(first)
    verifier.verify(second)
    verifier.verify(first)  # first is now the most recently used
    verifier.verify(third)
    assert list(verifier._verified) == [first, third]


def test_another_verifier_does_not_share_the_cache() -> None:
    # a token remembered by one verifier proves nothing to a verifier with other keys
    token = mint_token(SECRET, subject="a@b.c")
    _verifier(Clock()).verify(token)
    with pytest.raises(AuthenticationError, match="signature is invalid"):
        TokenVerifier.from_secret("another-secret-" + "y" * 40).verify(token)


def test_issuer_and_audience_are_part_of_the_first_verification() -> None:
    verifier = TokenVerifier.from_secret(SECRET, issuer="https://auth.example.com/", audience="d")
    token = mint_token(SECRET, subject="a@b.c", issuer="https://auth.example.com/", audience="d")
    assert verifier.verify(token).subject == "a@b.c"
    wrong = mint_token(SECRET, subject="a@b.c", issuer="https://evil.example.com/", audience="d")
    for _ in range(2):
        with pytest.raises(AuthenticationError, match="issuer"):
            verifier.verify(wrong)
