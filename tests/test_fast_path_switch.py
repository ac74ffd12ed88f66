"""`DISCOUNTS_FAST_PATH=false`: none of app/fast is imported, and the service still answers.

Run in a fresh interpreter (this one has imported app.fast already, through other tests): it
makes the app from the environment's settings, migrates a new SQLite file, answers a query
that reads a list, a relationship, a nested list and a record by id, and reports what it
imported.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.conftest import TEST_SECRET

PROGRAM = textwrap.dedent(
    """
    import asyncio, json, sys
    import httpx
    from app.auth import mint_token
    from app.db.engine import create_engine
    from app.db.migrate import upgrade
    from app.main import create_app
    from app.settings import Settings

    QUERY = '''{ sites(first: 5) { totalCount nodes { id name organisation { name }
        coupons(first: 2) { nodes { id } } } } node(id: "U2l0ZTox") { id } }'''

    async def main():
        settings = Settings(migrate_on_start=False)
        engine = create_engine(settings)
        await upgrade(engine)
        await engine.dispose()
        app = create_app(settings)
        token = mint_token(settings.jwt_secret, subject="admin@example.com", admin=True)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            response = await http.post(
                "/graphql", json={"query": QUERY}, headers={"authorization": f"Bearer {token}"}
            )
        await app.state.engine.dispose()
        fast = sorted(name for name in sys.modules if name == "app.fast" or name.startswith("app.fast."))
        print(json.dumps({"status": response.status_code, "body": response.json(), "fast": fast}))

    asyncio.run(main())
    """
)


def _run(tmp_path: Path, fast_path: str) -> dict:
    environment = {
        **os.environ,
        "DISCOUNTS_FAST_PATH": fast_path,
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'switch.db'}",
        "DISCOUNTS_JWT_SECRET": TEST_SECRET,
    }
    done = subprocess.run(
        [sys.executable, "-c", PROGRAM],
        env=environment,
        cwd=Path(__file__).resolve().parents[1],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.slow
@pytest.mark.parametrize("fast_path", ["false", "true"])
def test_the_fast_path_is_imported_only_when_it_is_on(tmp_path: Path, fast_path: str) -> None:
    outcome = _run(tmp_path, fast_path)
    assert outcome["status"] == 200 and "errors" not in outcome["body"], outcome["body"]
    assert outcome["body"]["data"] == {"sites": {"totalCount": 0, "nodes": []}, "node": None}
    if fast_path == "false":
        assert outcome["fast"] == []
    else:  # the same check, seeing it when it is there
        assert "app.fast.executor" in outcome["fast"]
