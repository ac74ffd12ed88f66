"""scripts/token, run as a separate process the way a developer runs it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from app.auth.roles import Action, RecordType
from app.auth.tokens import TokenVerifier

from .support import REPO_ROOT, SECRET, ec_private_key, private_pem, public_pem, settings

SCRIPT = REPO_ROOT / "scripts" / "token"


def _run(
    *args: str, tmp_path: Path, command: list[str] | None = None
) -> subprocess.CompletedProcess[str]:
    # A clean environment: the developer's DISCOUNTS_* variables must not change the result.
    env = {k: v for k, v in os.environ.items() if not k.startswith("DISCOUNTS_")}
    env["DISCOUNTS_DEMO_SECRET_FILE"] = str(tmp_path / ".demo-secret")
    return subprocess.run(
        [*(command or [sys.executable, str(SCRIPT)]), *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_mints_a_token_that_verifies(tmp_path: Path) -> None:
    result = _run(
        "--secret", SECRET, "--sub", "ana@example.com", "--role", "RESERVATIONS_VIEW",
        "--role", "Coupon-Create", "--site", "1", "--organisation", "2", "--ttl", "120",
        tmp_path=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    token = result.stdout.strip()
    assert result.stdout == token + "\n"  # only the token, for TOKEN=$(scripts/token ...)
    principal = TokenVerifier.from_secret(SECRET).verify(token)
    assert principal.subject == "ana@example.com" and not principal.is_admin
    assert principal.can(RecordType.COUPON, Action.CREATE, site_id=1, organisation_id=9)
    assert principal.can(RecordType.REDEMPTION, Action.LIST, site_id=5, organisation_id=2)
    assert not principal.can(RecordType.COUPON, Action.DELETE, site_id=1, organisation_id=2)


def test_demo_mode_admin_token_uses_the_demo_secret_file(tmp_path: Path) -> None:
    result = _run("--admin", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    verifier = TokenVerifier.from_settings(settings(tmp_path))
    assert verifier.verify(result.stdout.strip()).is_admin
    assert (tmp_path / ".demo-secret").read_text().startswith("demo-")


def test_private_key_signs_es256(tmp_path: Path) -> None:
    key_file = tmp_path / "private.pem"
    key_file.write_bytes(private_pem(ec_private_key()))
    result = _run("--admin", "--private-key", str(key_file), "--kid", "k1", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    verifier = TokenVerifier.from_public_key_pem(public_pem(ec_private_key()))
    assert verifier.verify(result.stdout.strip()).is_admin


def test_unknown_role_is_a_clear_error(tmp_path: Path) -> None:
    args = ("--secret", SECRET, "--role", "Coupon-Frobnicate", "--site", "1")
    result = _run(*args, tmp_path=tmp_path)
    assert result.returncode == 2
    assert result.stdout == ""
    assert "unknown role 'Coupon-Frobnicate'" in result.stderr


def test_role_without_site_or_organisation_is_refused(tmp_path: Path) -> None:
    result = _run("--secret", SECRET, "--role", "Coupon-Read", tmp_path=tmp_path)
    assert result.returncode == 2
    assert "--site or --organisation" in result.stderr


@pytest.mark.skipif(shutil.which("python3") is None, reason="no python3 on PATH")
def test_runs_as_an_executable_from_the_repo_root(tmp_path: Path) -> None:
    assert os.access(SCRIPT, os.X_OK)
    result = _run("--secret", SECRET, "--admin", tmp_path=tmp_path, command=["scripts/token"])
    assert result.returncode == 0, result.stderr
    assert TokenVerifier.from_secret(SECRET).verify(result.stdout.strip()).is_admin
