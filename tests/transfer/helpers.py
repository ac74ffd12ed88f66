"""Running scripts/import and scripts/export as an operator does: their main(), in a thread
(each runs its own event loop), with the test database's URL."""

from __future__ import annotations

import asyncio
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.transfer.cli import export_main, import_main


@dataclass
class Ran:
    status: int
    out: str
    err: str


async def run_import(database_url: str, site: Any, *args: str | Path) -> Ran:
    return await _run(
        import_main, ["--database-url", database_url, "--site", str(site), *map(str, args)]
    )


async def run_export(database_url: str, site: Any, *args: str | Path) -> Ran:
    return await _run(
        export_main, ["--database-url", database_url, "--site", str(site), *map(str, args)]
    )


async def _run(main: Any, argv: list[str]) -> Ran:
    out, err = io.StringIO(), io.StringIO()
    status = await asyncio.to_thread(main, argv, stdout=out, stderr=err)
    return Ran(status, out.getvalue(), err.getvalue())


def write_jsonl(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def last_line(ran: Ran) -> str:
    return ran.out.strip().splitlines()[-1]
