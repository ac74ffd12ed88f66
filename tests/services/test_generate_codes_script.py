"""scripts/generate-codes, run as a separate process the way an operator runs it."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from app.db import tables as t
from app.graphql.ids import to_global_id
from tests.mutations.helpers import count

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "generate-codes"


def _run(*args: str, database_url: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DISCOUNTS_")}
    return subprocess.run(
        [sys.executable, str(SCRIPT), "--database-url", database_url, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def test_writes_the_generated_codes_to_csv(
    make: Any, db: Any, database_url: str, tmp_path: Path
) -> None:
    coupon = await make.coupon(await make.site(await make.organisation()))
    output = tmp_path / "codes.csv"
    result = _run(
        "--coupon", to_global_id("Coupon", coupon.id), "--count", "300", "--prefix", "MAIL-",
        "--charset", "LETTERS", "--output", str(output), "--as", "ops@example.com",
        database_url=database_url,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    with output.open() as lines:
        rows = list(csv.DictReader(lines))
    assert len(rows) == 300 and len({r["code"].lower() for r in rows}) == 300
    assert all(r["code"].startswith("MAIL-") for r in rows)
    assert {r["coupon_id"] for r in rows} == {to_global_id("Coupon", coupon.id)}
    stored = t.CouponCode.updated_by == "ops@example.com"  # type: ignore[arg-type]
    assert await count(db, t.CouponCode, stored) == 300


async def test_a_refused_request_writes_nothing(
    make: Any, db: Any, database_url: str, tmp_path: Path
) -> None:
    coupon = await make.coupon(await make.site(await make.organisation()))
    output = tmp_path / "codes.csv"
    result = _run(
        "--coupon", str(coupon.id), "--count", "0", "--output", str(output),
        database_url=database_url,
    )  # fmt: skip
    assert result.returncode == 1
    assert "count: count must be between 1 and 1000000\n" in result.stderr
    assert not output.exists()
    assert await count(db, t.CouponCode) == 0
