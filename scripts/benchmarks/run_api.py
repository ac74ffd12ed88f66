"""Our API as production runs it: one uvicorn worker (uvloop + httptools), production mode.

Requests carry an administrator token minted for this run with a random secret, so the
benchmark measures the real authentication and authorisation path.
"""

from __future__ import annotations

import secrets
import sys
from pathlib import Path

from benchmarks.servers import HOST, Server, free_port, start

ROOT = Path(__file__).resolve().parents[2]


def serve(
    database_url: str, log_dir: Path, extra_env: dict[str, str] | None = None, *,
    root: Path = ROOT, name: str = "ours",
) -> Server:  # fmt: skip
    """Our server from `root` (another checkout with its own .venv, to compare revisions)."""
    from app.auth import mint_token

    secret = secrets.token_urlsafe(48)  # production refuses short or demo secrets
    token = mint_token(secret, subject="bench@example.com", admin=True, ttl_seconds=12 * 3600)
    port = free_port()
    command = [
        sys.executable if root == ROOT else str(root / ".venv" / "bin" / "python"),
        "-m", "uvicorn", "app.main:create_app", "--factory",
        "--host", HOST, "--port", str(port), "--workers", "1",
        "--loop", "uvloop", "--http", "httptools",
        "--no-access-log", "--log-level", "warning",
    ]  # fmt: skip
    env = {
        "DATABASE_URL": database_url,
        "DISCOUNTS_MODE": "production",
        "DISCOUNTS_JWT_SECRET": secret,
        "DISCOUNTS_MIGRATE_ON_START": "false",
        **(extra_env or {}),  # e.g. DISCOUNTS_PLAN_EXECUTOR=false, to measure one change
    }
    headers = {"authorization": f"Bearer {token}"}
    return start(name, command, env=env, cwd=root, port=port, headers=headers, log_dir=log_dir)
