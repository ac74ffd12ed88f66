"""The keys that verify tokens, read from settings: a shared secret, a PEM public key or a JWKS.

Each key carries the one algorithm it may verify, fixed by the kind of key and never taken from
a token: a secret verifies HS256 only; an RSA key RS256 only; a P-256 key ES256 only. This is
what stops algorithm confusion (a token "signed" with HS256 using the public key as the secret)
and `alg: none`.
"""

from __future__ import annotations

import json
import os
import secrets
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Protocol

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from jwt import PyJWK, PyJWTError

from app.settings import DEMO_SECRET_MARKER, Mode

HMAC_ALGORITHM: Final = "HS256"
ASYMMETRIC_ALGORITHMS: Final = frozenset({"RS256", "ES256"})
# HS256 needs at least as many key bytes as its hash output to be worth anything.
MIN_SECRET_LENGTH: Final = 32
MIN_RSA_BITS: Final = 2048

PublicKey = rsa.RSAPublicKey | ec.EllipticCurvePublicKey


class AuthSettings(Protocol):
    """The settings this package reads (`app.settings.Settings` satisfies it)."""

    @property
    def mode(self) -> str: ...
    @property
    def jwt_secret(self) -> str | None: ...
    @property
    def jwt_public_key_file(self) -> Path | None: ...
    @property
    def jwt_jwks_file(self) -> Path | None: ...
    @property
    def jwt_issuer(self) -> str | None: ...
    @property
    def jwt_audience(self) -> str | None: ...
    @property
    def demo_secret_file(self) -> Path: ...


class KeyConfigurationError(RuntimeError):
    """The configured token key is missing, unreadable or unfit; raised at startup."""


@dataclass(frozen=True)
class VerificationKey:
    """One key and the single algorithm it verifies; `key_id` is the JWKS `kid`, if any."""

    key: bytes | PublicKey
    algorithm: str
    key_id: str | None = None


def check_secret_length(secret: str) -> None:
    """Refuse an HS256 secret too short to resist brute force."""
    if len(secret) < MIN_SECRET_LENGTH:
        raise KeyConfigurationError(
            f"the token secret must be at least {MIN_SECRET_LENGTH} characters long"
        )


def hmac_key(secret: str) -> VerificationKey:
    """An HS256 key from a shared secret."""
    check_secret_length(secret)
    return VerificationKey(secret.encode(), HMAC_ALGORITHM)


def algorithm_for(key: object) -> str:
    """The one algorithm a public (or private) key is allowed to sign or verify."""
    if isinstance(key, (rsa.RSAPublicKey, rsa.RSAPrivateKey)):
        if key.key_size < MIN_RSA_BITS:
            raise KeyConfigurationError(f"RSA keys must have at least {MIN_RSA_BITS} bits")
        return "RS256"
    if isinstance(key, (ec.EllipticCurvePublicKey, ec.EllipticCurvePrivateKey)):
        if not isinstance(key.curve, ec.SECP256R1):
            raise KeyConfigurationError(f"EC keys must use P-256 for ES256, not {key.curve.name}")
        return "ES256"
    raise KeyConfigurationError("token keys must be RSA (RS256) or EC P-256 (ES256)")


def public_key_from_pem(pem: str | bytes) -> VerificationKey:
    """An RS256 or ES256 key from a PEM public key or certificate."""
    data = pem.encode() if isinstance(pem, str) else pem
    try:
        if b"-----BEGIN CERTIFICATE-----" in data:
            loaded: object = x509.load_pem_x509_certificate(data).public_key()
        else:
            loaded = load_pem_public_key(data)
    except ValueError:
        raise KeyConfigurationError("the token public key is not a valid PEM public key") from None
    if not isinstance(loaded, (rsa.RSAPublicKey, ec.EllipticCurvePublicKey)):
        raise KeyConfigurationError("token keys must be RSA (RS256) or EC P-256 (ES256)")
    return VerificationKey(loaded, algorithm_for(loaded))


def keys_from_jwks(document: str | bytes | Mapping[str, object]) -> tuple[VerificationKey, ...]:
    """The signing keys of a JWKS; symmetric, encryption and unsupported keys are left out."""
    try:
        parsed: object = json.loads(document) if isinstance(document, (str, bytes)) else document
    except ValueError:
        raise KeyConfigurationError("the JWKS file is not valid JSON") from None
    raw_keys = parsed.get("keys") if isinstance(parsed, Mapping) else None
    if not isinstance(raw_keys, list):
        raise KeyConfigurationError('the JWKS file has no "keys" list')
    keys: list[VerificationKey] = []
    for raw in raw_keys:
        # A JWKS may legitimately carry keys meant for others (encryption, HMAC): skip them.
        if not isinstance(raw, dict) or raw.get("use", "sig") != "sig":
            continue
        try:
            jwk = PyJWK(raw)
            if jwk.algorithm_name not in ASYMMETRIC_ALGORITHMS:
                continue
            if algorithm_for(jwk.key) != jwk.algorithm_name:
                continue
        except (PyJWTError, KeyConfigurationError):
            continue
        kid = raw.get("kid")
        key_id = kid if isinstance(kid, str) else None
        keys.append(VerificationKey(jwk.key, jwk.algorithm_name, key_id))
    if not keys:
        raise KeyConfigurationError("the JWKS file has no usable RS256 or ES256 signing key")
    return tuple(keys)


def keys_from_settings(settings: AuthSettings) -> tuple[VerificationKey, ...]:
    """The verification keys configured in settings (the demo secret when none is, in demo)."""
    check_production_keys(settings)
    configured = [
        name
        for name, value in (
            ("DISCOUNTS_JWT_SECRET", settings.jwt_secret),
            ("DISCOUNTS_JWT_PUBLIC_KEY_FILE", settings.jwt_public_key_file),
            ("DISCOUNTS_JWT_JWKS_FILE", settings.jwt_jwks_file),
        )
        if value
    ]
    # Accepting two kinds of key at once would widen what a forged token can try; refuse.
    if len(configured) > 1:
        raise KeyConfigurationError(f"configure one token key, not {' and '.join(configured)}")
    if settings.jwt_public_key_file:
        return (public_key_from_pem(_read(settings.jwt_public_key_file, "public key")),)
    if settings.jwt_jwks_file:
        return keys_from_jwks(_read(settings.jwt_jwks_file, "JWKS"))
    return (hmac_key(demo_secret(settings)),)


def demo_secret(settings: AuthSettings) -> str:
    """The HS256 secret: `jwt_secret` when set, else (demo mode only) the demo secret file.

    The file is created on first use with a random secret prefixed `demo-` (so production can
    recognise and refuse it), readable by its owner only. It is published atomically (written
    to a temporary file, then hard-linked into place) so that processes starting together all
    end up with the same secret.
    """
    if settings.jwt_secret:
        return settings.jwt_secret
    if settings.mode == Mode.PRODUCTION:
        raise KeyConfigurationError("production mode has no demo secret: set a token key")
    path = Path(settings.demo_secret_file)
    if not path.exists():
        _create_secret_file(path, DEMO_SECRET_MARKER + secrets.token_urlsafe(48))
    secret = _read(path, "demo secret").decode().strip()
    if not secret:
        raise KeyConfigurationError(f"the demo secret file {path} is empty; delete it")
    return secret


def check_production_keys(settings: AuthSettings) -> None:
    """In production, refuse to start without a token key or with a demo or short secret."""
    if settings.mode != Mode.PRODUCTION:
        return
    secret = settings.jwt_secret
    if secret is None and not settings.jwt_public_key_file and not settings.jwt_jwks_file:
        raise KeyConfigurationError(
            "production mode needs a token key: set DISCOUNTS_JWT_SECRET, "
            "DISCOUNTS_JWT_PUBLIC_KEY_FILE or DISCOUNTS_JWT_JWKS_FILE"
        )
    if secret is not None:
        if secret.startswith(DEMO_SECRET_MARKER):
            raise KeyConfigurationError(
                f"DISCOUNTS_JWT_SECRET is a demo secret (it starts with {DEMO_SECRET_MARKER!r}); "
                "production needs its own secret"
            )
        check_secret_length(secret)


def _read(path: Path, what: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as error:
        message = f"cannot read the {what} file {path}: {error.strerror}"
        raise KeyConfigurationError(message) from None


def _create_secret_file(path: Path, secret: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # mkstemp creates the file with mode 0600 already.
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".demo-secret-")
    try:
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secret + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass  # another process won the race; its secret is the one to use
        except OSError:
            # Some filesystems have no hard links; exclusive creation is the next best thing.
            _write_exclusive(path, secret)
    finally:
        os.unlink(temporary)


def _write_exclusive(path: Path, secret: str) -> None:
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(descriptor, "w") as handle:
        handle.write(secret + "\n")
