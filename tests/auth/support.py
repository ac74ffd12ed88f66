"""Keys, settings and hand-made tokens shared by the auth tests (no fixtures, plain helpers)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from functools import cache
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from app.settings import Mode, Settings

SECRET = "test-secret-0123456789-abcdefghijklmnopqrstuvwxyz"
REPO_ROOT = Path(__file__).resolve().parents[2]


@cache
def rsa_private_key() -> rsa.RSAPrivateKey:
    # 2048 bits: the smallest size the verifier (and PyJWT, without a warning) accepts.
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@cache
def ec_private_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def private_pem(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def public_pem(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def settings(tmp_path: Path, **overrides: Any) -> Settings:
    """Settings with every auth field explicit, so the environment cannot leak in."""
    values: dict[str, Any] = {
        "mode": Mode.DEMO,
        "jwt_secret": None,
        "jwt_public_key_file": None,
        "jwt_jwks_file": None,
        "jwt_issuer": None,
        "jwt_audience": None,
        "demo_secret_file": tmp_path / ".demo-secret",
    }
    values.update(overrides)
    return Settings(**values)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def handmade_token(header: dict[str, Any], claims: dict[str, Any], hmac_key: bytes | None) -> str:
    """A token built without PyJWT, which refuses to produce the forgeries tested here."""
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    if hmac_key is None:
        return signing_input + "."
    signature = hmac.new(hmac_key, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"
