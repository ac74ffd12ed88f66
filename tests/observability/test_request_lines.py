"""A request's log line: written once, with all its fields, on success, refusals, errors
and an app that crashed, also when stderr is a pipe; its time written as `datetime` writes
it."""

from __future__ import annotations

import asyncio
import io
import logging
import os
import subprocess
import sys
import threading
from datetime import UTC, datetime
from typing import Any

import httpx
from hypothesis import given
from hypothesis import strategies as st

from app.observability.logs import (
    RequestIdFilter,
    json_formatter,
    utc_isoformat,
)
from app.observability.requests import RequestObservation
from tests.conftest import TEST_SECRET
from tests.observability.test_logs import json_lines
from tests.servers import ROOT, free_port, wait_until_up

REQUEST_LINE_FIELDS = {
    "level", "logger", "message", "time", "request_id", "method", "path", "operation",
    "status", "duration_ms", "subject", "error_codes",
}  # fmt: skip


class Writes(io.StringIO):
    """A stream that keeps each `write` apart."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[str] = []

    def write(self, text: str) -> int:
        self.writes.append(text)
        return super().write(text)


async def test_every_request_logs_its_line_once_also_when_the_app_crashed() -> None:
    """RequestObservation around apps that answer, refuse and crash, 30 requests at once."""

    async def answering(scope: dict[str, Any], receive: Any, send: Any) -> None:
        scope["state"]["operation"] = "Ok"
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})

    async def refusing(scope: dict[str, Any], receive: Any, send: Any) -> None:
        scope["state"]["error_codes"] = ["BAD_REQUEST"]
        await send({"type": "http.response.start", "status": 400, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})

    async def crashing(scope: dict[str, Any], receive: Any, send: Any) -> None:
        raise RuntimeError("boom")

    stream = Writes()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(json_formatter())
    logger = logging.getLogger("app.requests")
    logger.addHandler(handler)
    logger.propagate, logger_level = False, logger.level
    logger.setLevel(logging.INFO)
    apps = {"ok": answering, "refused": refusing, "crash": crashing}

    async def request(n: int, kind: str) -> None:
        scope = {"type": "http", "method": "POST", "path": "/graphql", "state": {},
                 "headers": [(b"x-request-id", f"{kind}-{n}".encode())]}  # fmt: skip

        async def send(_message: Any) -> None:
            await asyncio.sleep(0)

        try:
            await RequestObservation(apps[kind])(scope, None, send)  # type: ignore[arg-type]
        except RuntimeError:
            assert kind == "crash"

    try:
        await asyncio.gather(*(request(n, kind) for n in range(10) for kind in apps))
    finally:
        logger.removeHandler(handler)
        logger.propagate = True
        logger.setLevel(logger_level)
        handler.close()
    lines = json_lines(stream.getvalue())
    assert sorted(line["request_id"] for line in lines) == sorted(
        f"{kind}-{n}" for n in range(10) for kind in apps
    )
    for line in lines:
        assert set(line) == REQUEST_LINE_FIELDS
        kind = line["request_id"].split("-")[0]
        assert line["status"] == {"ok": 200, "refused": 400, "crash": 500}[kind]
        assert line["error_codes"] == (["BAD_REQUEST"] if kind == "refused" else None)
        assert line["operation"] == ("Ok" if kind == "ok" else None)


async def test_a_server_with_stderr_as_a_pipe_logs_every_request_once(
    database_url: str, db: Any, admin_token: str
) -> None:
    """Concurrent requests of several outcomes; the lines still waiting at SIGTERM are
    written at exit."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "uvicorn", "app.main:create_app", "--factory",
               "--host", "127.0.0.1", "--port", str(port)]  # fmt: skip
    env = {**os.environ, "DATABASE_URL": database_url, "DISCOUNTS_JWT_SECRET": TEST_SECRET,
           "DISCOUNTS_MIGRATE_ON_START": "false"}  # fmt: skip
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    # the pipe is read meanwhile, as a container runtime reads it
    output: list[bytes] = []
    reader = threading.Thread(target=lambda: output.append(process.stderr.read()))  # type: ignore[union-attr]
    reader.start()
    try:
        await wait_until_up([url], [process])
        auth = {"authorization": f"Bearer {admin_token}"}
        async with httpx.AsyncClient(base_url=url) as http:

            async def ok(n: int) -> httpx.Response:
                return await http.post("/graphql", headers={**auth, "x-request-id": f"ok-{n}"},
                                       json={"query": f"query Q{n} {{ sites {{ totalCount }} }}"})  # fmt: skip

            async def not_acceptable(n: int) -> httpx.Response:
                return await http.post("/graphql", json={"query": "{ __typename }"},
                                       headers={"accept": "text/plain", "x-request-id": f"na-{n}"})  # fmt: skip

            async def bad_json(n: int) -> httpx.Response:
                return await http.post("/graphql", content=b"{", headers={
                    "content-type": "application/json", "x-request-id": f"bad-{n}"})  # fmt: skip

            async def elsewhere(n: int) -> httpx.Response:
                return await http.get("/nowhere", headers={"x-request-id": f"other-{n}"})

            responses = await asyncio.gather(
                *(kind(n) for n in range(8) for kind in (ok, not_acceptable, bad_json, elsewhere))
            )
            probe = await http.get("/healthz")  # logged at DEBUG: not written at INFO
        assert probe.status_code == 200
    finally:
        process.terminate()
        process.wait(timeout=30)
        reader.join(timeout=30)
        process.stderr.close()  # type: ignore[union-attr]
    lines = json_lines(b"".join(output).decode())
    requests = [line for line in lines if line["logger"] == "app.requests"]
    statuses = {r.headers["x-request-id"]: r.status_code for r in responses}
    assert sorted(line["request_id"] for line in requests) == sorted(statuses)
    for line in requests:
        assert set(line) == REQUEST_LINE_FIELDS
        assert line["status"] == statuses[line["request_id"]]
        kind = line["request_id"].split("-")[0]
        assert line["path"] == ("/nowhere" if kind == "other" else "/graphql")
        if kind == "ok":
            assert line["operation"].startswith("Q") and line["subject"] == "admin@example.com"
            assert line["error_codes"] is None and line["status"] == 200
        elif kind in ("na", "bad"):
            assert line["status"] in (400, 406) and line["error_codes"]


@given(st.floats(min_value=0, max_value=4_102_444_800, allow_nan=False))
def test_the_time_text_is_datetime_s(timestamp: float) -> None:
    assert utc_isoformat(timestamp) == datetime.fromtimestamp(timestamp, tz=UTC).isoformat()


def test_the_time_text_rounds_as_datetime_does_at_the_edges() -> None:
    second = 1_765_148_000
    for fraction in (0.0, 0.5, 0.0000005, 0.0000015, 0.9999994, 0.9999995, 0.9999996, 0.999999):
        timestamp = second + fraction
        assert utc_isoformat(timestamp) == datetime.fromtimestamp(timestamp, tz=UTC).isoformat()
    for microsecond in range(0, 1_000_000, 7):  # each microsecond's nearest float
        timestamp = second + microsecond / 1_000_000
        assert utc_isoformat(timestamp) == datetime.fromtimestamp(timestamp, tz=UTC).isoformat()
