"""Keys from settings: the demo secret file, production refusals, PEM and JWKS files."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm

from app.auth.keys import KeyConfigurationError, keys_from_jwks, public_key_from_pem
from app.auth.tokens import TokenVerifier, check_production_keys, demo_secret, mint_token
from app.settings import Mode

from .support import SECRET, ec_private_key, public_pem, rsa_private_key, settings


def test_demo_secret_is_created_once_with_mode_0600(tmp_path: Path) -> None:
    config = settings(tmp_path)
    path = tmp_path / ".demo-secret"
    first = demo_secret(config)
    assert first.startswith("demo-") and len(first) > 60
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert demo_secret(config) == first
    assert demo_secret(settings(tmp_path)) == first
    assert [p.name for p in tmp_path.iterdir()] == [".demo-secret"]  # no temporary left over


def test_demo_secret_reuses_an_existing_file(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "secret"
    path.parent.mkdir()
    path.write_text("demo-existing-secret-0123456789-0123456789\n")
    assert demo_secret(settings(tmp_path, demo_secret_file=path)) == (
        "demo-existing-secret-0123456789-0123456789"
    )


def test_demo_secret_creates_missing_directories(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "secret"
    assert demo_secret(settings(tmp_path, demo_secret_file=path)).startswith("demo-")
    assert path.exists()


def test_configured_secret_wins_over_the_demo_file(tmp_path: Path) -> None:
    assert demo_secret(settings(tmp_path, jwt_secret=SECRET)) == SECRET
    assert not (tmp_path / ".demo-secret").exists()


def test_production_has_no_demo_secret(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError):
        demo_secret(settings(tmp_path, mode=Mode.PRODUCTION))
    assert not (tmp_path / ".demo-secret").exists()


@pytest.mark.parametrize(
    ("secret", "fragment"),
    [
        (None, "needs a token key"),
        ("demo-" + "x" * 60, "demo secret"),
        ("too-short", "at least 32"),
        ("", "at least 32"),
    ],
)
def test_production_refuses_missing_demo_and_short_secrets(
    tmp_path: Path, secret: str | None, fragment: str
) -> None:
    config = settings(tmp_path, mode=Mode.PRODUCTION, jwt_secret=secret)
    with pytest.raises(RuntimeError, match=fragment) as caught:
        check_production_keys(config)
    if secret:
        assert secret not in str(caught.value)
    with pytest.raises(RuntimeError):
        TokenVerifier.from_settings(config)


def test_production_accepts_a_real_key(tmp_path: Path) -> None:
    check_production_keys(settings(tmp_path, mode=Mode.PRODUCTION, jwt_secret=SECRET))
    pem_file = tmp_path / "public.pem"
    pem_file.write_bytes(public_pem(rsa_private_key()))
    check_production_keys(settings(tmp_path, mode=Mode.PRODUCTION, jwt_public_key_file=pem_file))


def test_demo_mode_needs_no_key(tmp_path: Path) -> None:
    check_production_keys(settings(tmp_path))
    check_production_keys(settings(tmp_path, jwt_secret="demo-short"))


def test_from_settings_in_demo_mode_uses_the_demo_secret(tmp_path: Path) -> None:
    config = settings(tmp_path, jwt_issuer="https://idp", jwt_audience="discounts")
    verifier = TokenVerifier.from_settings(config)
    token = mint_token(config, subject="a@b.c", admin=True)  # iss and aud come from settings
    assert verifier.verify(token).is_admin
    assert (tmp_path / ".demo-secret").exists()


def test_from_settings_with_a_public_key_file(tmp_path: Path) -> None:
    pem_file = tmp_path / "public.pem"
    pem_file.write_bytes(public_pem(rsa_private_key()))
    verifier = TokenVerifier.from_settings(settings(tmp_path, jwt_public_key_file=pem_file))
    token = mint_token(rsa_private_key(), subject="a@b.c", algorithm="RS256")
    assert verifier.verify(token).subject == "a@b.c"
    assert not (tmp_path / ".demo-secret").exists()


def test_from_settings_with_a_jwks_file(tmp_path: Path) -> None:
    jwk = ECAlgorithm.to_jwk(ec_private_key().public_key(), as_dict=True)
    jwks_file = tmp_path / "jwks.json"
    jwks_file.write_text(json.dumps({"keys": [{**jwk, "kid": "k"}]}))
    verifier = TokenVerifier.from_settings(
        settings(tmp_path, mode=Mode.PRODUCTION, jwt_jwks_file=jwks_file)
    )
    token = mint_token(ec_private_key(), subject="a@b.c", algorithm="ES256", key_id="k")
    assert verifier.verify(token).subject == "a@b.c"


def test_two_kinds_of_key_are_refused(tmp_path: Path) -> None:
    pem_file = tmp_path / "public.pem"
    pem_file.write_bytes(public_pem(rsa_private_key()))
    with pytest.raises(KeyConfigurationError, match="configure one token key"):
        TokenVerifier.from_settings(
            settings(tmp_path, jwt_secret=SECRET, jwt_public_key_file=pem_file)
        )


def test_unusable_key_files_are_clear_errors(tmp_path: Path) -> None:
    missing = tmp_path / "missing.pem"
    with pytest.raises(KeyConfigurationError, match="cannot read"):
        TokenVerifier.from_settings(settings(tmp_path, jwt_public_key_file=missing))
    with pytest.raises(KeyConfigurationError, match="not a valid PEM"):
        public_key_from_pem(b"-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----\n")
    with pytest.raises(KeyConfigurationError, match="P-256"):
        public_key_from_pem(public_pem(ec.generate_private_key(ec.SECP384R1())))
    with pytest.raises(KeyConfigurationError, match="2048"):
        public_key_from_pem(public_pem(rsa.generate_private_key(65537, 1024)))
    with pytest.raises(KeyConfigurationError, match="no usable"):
        keys_from_jwks({"keys": [{"kty": "oct", "k": "c2VjcmV0"}]})
    with pytest.raises(KeyConfigurationError, match="not valid JSON"):
        keys_from_jwks("{")
    with pytest.raises(KeyConfigurationError, match="keys"):
        keys_from_jwks("[]")
