"""The command lines of scripts/import and scripts/export (thin: the work is in importer/exporter).

Both take `--site` as the site's database id (`3`) or its global id as the API shows it
(`U2l0ZToz`). --database-url defaults to DATABASE_URL / DISCOUNTS_DATABASE_URL, else the SQLite
file; the database must already be migrated (the server or scripts/seed does that).

Exit status: 0 done (with --dry-run: nothing written), 1 refused (nothing written; each
problem on stderr as `FILE: record N: FIELD: REASON`), 2 bad arguments.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import getpass
import json
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO, cast

from tqdm import tqdm

from app.db.engine import create_engine
from app.domain.global_ids import parse_global_id
from app.settings import Settings
from app.transfer.exporter import TRASHED, ExportRefused, run_export
from app.transfer.importer import ImportRefused, Rejected, Source, run_import
from app.transfer.registry import FORMATS, reader, writer


def site_id(text: str) -> int:
    """A site's database id, or its global id."""
    if text.isdigit():
        return int(text)
    parsed = parse_global_id(text)
    if parsed is None or parsed[0] != "Site":
        raise argparse.ArgumentTypeError(f"{text!r} is neither a number nor a Site id")
    return parsed[1]


def _formats(usable: Any) -> list[str]:
    names = []
    for name in FORMATS:
        try:
            usable(name)
        except KeyError:  # the format has no reader (or writer)
            continue
        names.append(name)
    return names


def _common(parser: argparse.ArgumentParser, formats: list[str]) -> None:
    parser.add_argument("--format", required=True, choices=formats)
    parser.add_argument("--site", type=site_id, required=True, help="site id (number or global id)")
    parser.add_argument("--database-url", help="default: DATABASE_URL or the SQLite file")


def _settings(args: argparse.Namespace) -> Settings:
    return Settings(**({"database_url": args.database_url} if args.database_url else {}))


def import_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="scripts/import",
        description="Import files into a site, idempotently by externalId (all or nothing by default).",
    )
    _common(parser, _formats(reader))
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE")
    parser.add_argument(
        "--dry-run", action="store_true", help="say what would change; write nothing"
    )
    parser.add_argument(
        "--skip-invalid", action="store_true",
        help="write the valid records; write the refused ones to the rejects file",
    )  # fmt: skip
    parser.add_argument(
        "--rejects", type=Path,
        help="with --skip-invalid: where refused records go (JSON Lines; default FIRSTFILE.rejects.jsonl)",
    )  # fmt: skip
    parser.add_argument(
        "--as", dest="subject", default=f"{getpass.getuser()} (scripts/import)",
        help="recorded as updatedBy",
    )  # fmt: skip
    return parser


def import_main(
    argv: Sequence[str] | None = None, *, stdout: TextIO | None = None, stderr: TextIO | None = None
) -> int:
    args = import_parser().parse_args(argv)
    out, err = stdout or sys.stdout, stderr or sys.stderr
    for path in args.files:
        if not path.is_file():
            print(f"{path}: no such file", file=err)
            return 2
    rejects_path = args.rejects or args.files[0].with_name(args.files[0].name + ".rejects.jsonl")
    rejects: list[TextIO] = []

    def refused(rejected: Rejected) -> None:
        for message in rejected.messages():
            print(message, file=err)
        if args.skip_invalid and not args.dry_run:
            if not rejects:
                rejects.append(rejects_path.open("w", encoding="utf-8"))
            line = {
                "file": rejected.file,
                "recordNumber": rejected.number,
                "problems": [{"field": f, "reason": r} for f, r in rejected.problems],
                "record": rejected.record,
            }
            rejects[0].write(json.dumps(line, ensure_ascii=False, default=str) + "\n")

    sources = [
        Source(str(path), functools.partial(path.open, "rb"), path.stat().st_size)
        for path in args.files
    ]
    engine = create_engine(_settings(args))

    async def run() -> Any:
        try:
            with tqdm(unit="record", file=err, disable=None) as bar:
                return await run_import(
                    engine,
                    site_id=args.site,
                    format_name=args.format,
                    sources=sources,
                    subject=args.subject,
                    dry_run=args.dry_run,
                    skip_invalid=args.skip_invalid,
                    on_refused=refused,
                    on_progress=bar.update,
                )
        finally:
            await engine.dispose()

    try:
        summary = asyncio.run(run())
    except ImportRefused as refusal:
        print(f"refused: {refusal}", file=err)
        return 1
    finally:
        for stream in rejects:
            stream.close()
    for line in summary.lines(dry_run=args.dry_run):
        print(line, file=out)
    if args.dry_run:
        print("dry run: nothing was written", file=out)
    elif rejects:
        print(f"refused records written to {rejects_path}", file=out)
    return 0


def export_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="scripts/export",
        description="Export a site's records in a vendor's format or JSON Lines.",
    )
    _common(parser, _formats(writer))
    parser.add_argument(
        "--trashed", choices=TRASHED, default="WITHOUT", help="soft-deleted records"
    )
    parser.add_argument("--out", type=Path, help="file to write (default: stdout)")
    return parser


def export_main(
    argv: Sequence[str] | None = None, *, stdout: TextIO | None = None, stderr: TextIO | None = None
) -> int:
    args = export_parser().parse_args(argv)
    out, err = stdout or sys.stdout, stderr or sys.stderr
    engine = create_engine(_settings(args))

    async def run(stream: TextIO) -> int:
        try:
            with tqdm(unit="record", file=err, disable=None) as bar:
                return await run_export(
                    engine, site_id=args.site, format_name=args.format, trashed=args.trashed,
                    stream=stream, on_progress=bar.update,
                )  # fmt: skip
        finally:
            await engine.dispose()

    try:
        if args.out is None:
            count = asyncio.run(run(out))
        else:
            # Written beside the target and renamed into place: a failed export leaves no half file.
            directory = args.out.resolve().parent
            with tempfile.NamedTemporaryFile(
                "w", encoding="utf-8", newline="", dir=directory, delete=False
            ) as spool:
                try:
                    count = asyncio.run(run(cast(TextIO, spool)))
                except BaseException:
                    os.unlink(spool.name)
                    raise
            os.replace(spool.name, args.out)
    except ExportRefused as refusal:
        print(f"refused: {refusal}", file=err)
        return 1
    if args.out is not None:
        print(f"wrote {count} records to {args.out}", file=err)
    return 0
