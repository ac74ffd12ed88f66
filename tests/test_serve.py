"""scripts/serve as a newcomer runs it: on the port asked for, with its files in the demo's
folder (said on the way) and none in the checkout."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.servers import ROOT, free_port

# What the rest of the suite makes in the checkout (gitignored): with the suite on several
# processes, another test may make it while scripts/serve runs here.
SUITE_FILES = {".hypothesis", ".pytest_cache", "test-artifacts"}


@pytest.mark.slow
def test_serve_takes_a_port_and_keeps_its_files_out_of_the_checkout(tmp_path: Path) -> None:
    before = set(os.listdir(ROOT))
    port = free_port()
    state = tmp_path / "state"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCOUNTS_", "DATABASE_URL"))}
    env.update(DISCOUNTS_STATE_DIR=str(state), PORT="1")  # the argument wins over PORT
    output = tmp_path / "serve.log"
    with output.open("wb") as log:
        server = subprocess.Popen([str(ROOT / "scripts" / "serve"), "--port", str(port)],
                                  cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while True:
            assert server.poll() is None, output.read_text()
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, output.read_text()
            time.sleep(0.2)
        page = httpx.get(f"http://127.0.0.1:{port}/graphql", headers={"accept": "text/html"})
        assert page.status_code == 200
    finally:
        server.terminate()
        server.wait(timeout=30)
    said = output.read_text()
    assert f"Database: sqlite+aiosqlite:///{state / 'demo.db'}" in said
    assert f"Token secret: {state / 'demo-secret'}" in said
    assert f"http://127.0.0.1:{port}/graphql" in said
    assert (state / "demo.db").exists() and (state / "demo-secret").exists()
    left = set(os.listdir(ROOT)) - before - SUITE_FILES
    assert left == set(), f"scripts/serve left files in the checkout: {left}"
    assert set(os.listdir(tmp_path)) == {"state", "serve.log"}  # nor where it was run


def test_serve_refuses_a_port_that_is_not_a_number() -> None:
    done = subprocess.run([str(ROOT / "scripts" / "serve"), "--port", "eighty"],
                          capture_output=True, text=True)  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.strip() == "scripts/serve: --port must be a number, not 'eighty'"
