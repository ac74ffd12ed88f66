"""scripts/seed, run as a separate process the way a developer (or a serve command) runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from .checks import counts

REPO_ROOT = Path(__file__).resolve().parents[2]
SCRIPT = REPO_ROOT / "scripts" / "seed"


def _seed(*args: str, url: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DISCOUNTS_")}
    env.pop("DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, str(SCRIPT), "--database-url", url, "--no-progress", *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _url(engine: AsyncEngine) -> str:
    return engine.url.render_as_string(hide_password=False)


@pytest.mark.slow
async def test_demo_then_rerun_then_reset(db: AsyncEngine) -> None:
    url = _url(db)
    first = _seed(url=url)
    assert first.returncode == 0, first.stderr
    assert "WELCOME10" in first.stdout and "Bluebell Spa Bath" in first.stdout
    seeded = await counts(db)
    assert seeded["site"] == 4

    again = _seed(url=url)
    assert again.returncode == 0, again.stderr
    assert "already has data" in again.stdout
    assert "WELCOME10" not in again.stdout
    assert await counts(db) == seeded

    scale = _seed("--scale", "300", url=url)
    assert scale.returncode == 1
    assert "--reset" in scale.stderr
    assert await counts(db) == seeded

    rebuilt = _seed("--reset", "--seed", "3", url=url)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert "WELCOME10" in rebuilt.stdout
    assert (await counts(db))["site"] == 4


@pytest.mark.slow
async def test_scale_with_reset(db: AsyncEngine) -> None:
    result = _seed("--scale", "1000", "--coupons", "40", "--reset", url=_url(db))
    assert result.returncode == 0, result.stderr
    assert "1,000 coupon codes under 40 coupons" in result.stdout
    written = await counts(db)
    assert (written["coupon_code"], written["coupon"]) == (1000, 40)


@pytest.mark.slow
def test_bad_arguments(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'x.db'}"
    for args in (
        ("--coupons", "5"),
        ("--scale", "10", "--coupons", "11"),
        ("--scale", "0"),
        ("--scale", "10", "--coupons", "2", "--codes-per-coupon", "5"),
    ):
        result = _seed(*args, url=url)
        assert result.returncode == 2, (args, result.stdout)
    assert not (tmp_path / "x.db").exists()


@pytest.mark.slow
def test_runs_with_the_system_python(tmp_path: Path) -> None:
    """`scripts/seed` started by any python3 switches to the project's virtualenv."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'demo.db'}"
    result = subprocess.run(
        [str(SCRIPT), "--database-url", url, "--no-progress"],
        cwd=tmp_path,
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "Codes to try" in result.stdout
