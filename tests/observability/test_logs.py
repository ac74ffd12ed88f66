"""Logs as an operator reads them: one JSON object per line, one line per request carrying
its request id, and an error logged under the id its response shows."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from app.observability.logs import RequestIdFilter, json_formatter
from app.settings import Settings
from tests.conftest import TEST_SECRET
from tests.http.conftest import probe_client
from tests.servers import Uvicorn, wait_until_up


def json_lines(output: str) -> list[dict[str, Any]]:
    lines = [line for line in output.splitlines() if line.strip()]
    return [json.loads(line) for line in lines]  # every line is JSON, or this fails


async def test_a_server_writes_one_json_line_per_request(
    database_url: str, db: Any, admin_token: str
) -> None:
    server = Uvicorn({"DATABASE_URL": database_url, "DISCOUNTS_JWT_SECRET": TEST_SECRET,
                      "DISCOUNTS_MIGRATE_ON_START": "false"})  # fmt: skip
    try:
        await wait_until_up([server.url], [server.process])
        import httpx

        async with httpx.AsyncClient(base_url=server.url) as http:
            ids = []
            for n in range(3):
                response = await http.post(
                    "/graphql",
                    json={"query": f"query Count{n} {{ sites {{ totalCount }} }}"},
                    headers={"authorization": f"Bearer {admin_token}", "x-request-id": f"req-{n}"},
                )
                assert response.status_code == 200
                ids.append(response.headers["x-request-id"])
            anonymous = await http.post("/graphql", json={"query": "{ sites { totalCount } }"})
            ids.append(anonymous.headers["x-request-id"])
        server.process.terminate()
        server.process.wait(timeout=30)
        lines = json_lines(server.output())
    finally:
        server.stop()
    requests = [line for line in lines if line["logger"] == "app.requests"]
    assert [line["request_id"] for line in requests] == ids == ["req-0", "req-1", "req-2", ids[3]]
    first = requests[0]
    assert first["operation"] == "Count0" and first["status"] == 200
    assert first["subject"] == "admin@example.com" and first["path"] == "/graphql"
    assert first["level"] == "INFO" and "time" in first and first["duration_ms"] > 0
    assert requests[3]["subject"] is None and requests[3]["error_codes"] == ["UNAUTHENTICATED"]
    # uvicorn's own lines are JSON too, and its access log gives way to the line above
    assert any(line["logger"].startswith("uvicorn") for line in lines)
    assert not any(line["logger"] == "uvicorn.access" for line in lines)


@contextmanager
def json_log() -> Iterator[io.StringIO]:
    """The root logger's output through the formatter and filter the server uses."""
    written = io.StringIO()
    handler = logging.StreamHandler(written)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(json_formatter())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield written
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


async def test_an_error_is_logged_under_the_request_id_its_response_shows(
    settings: Settings, db: Any, admin_token: str
) -> None:
    with json_log() as written:
        async with probe_client(settings) as probe:
            response = await probe.post(
                "/graphql",
                json={"query": "query Boom { boom }"},
                headers={"authorization": f"Bearer {admin_token}"},
            )
    request_id = response.headers["x-request-id"]
    assert response.json()["errors"][0]["extensions"]["requestId"] == request_id
    lines = json_lines(written.getvalue())
    error = next(line for line in lines if line["level"] == "ERROR")
    assert error["request_id"] == request_id
    assert "RuntimeError" in error["exc_info"]
    (request,) = [line for line in lines if line["logger"] == "app.requests"]
    assert request["request_id"] == request_id and request["operation"] == "Boom"
    assert request["error_codes"] == ["INTERNAL_SERVER_ERROR"]


def test_a_request_record_is_the_record_logging_makes() -> None:
    """`request_record` takes what is the same for a process's request lines from a record
    made once: every attribute a handler or formatter may read is what `makeRecord` sets."""
    from app.observability.logs import request_record

    logger = logging.getLogger("app.requests")
    for level in (logging.INFO, logging.DEBUG, logging.INFO):
        made = logger.makeRecord(logger.name, level, "", 0, "POST /graphql 200", (), None)
        ours = request_record(logger, level, "POST /graphql 200", {"request_id": "r1"})
        assert type(ours) is logging.LogRecord
        assert ours.fields == {"request_id": "r1"} and ours.request_id == "r1"
        mine, theirs = vars(ours), vars(made)
        assert set(mine) - {"fields", "request_id"} == set(theirs)
        for name in ("created", "msecs", "relativeCreated"):
            assert abs(mine.pop(name) - theirs.pop(name)) < 1000
        assert {k: v for k, v in mine.items() if k in theirs} == theirs
        assert ours.getMessage() == "POST /graphql 200"


def test_a_request_record_follows_a_record_factory_of_the_process() -> None:
    from app.observability.logs import request_record

    made: list[logging.LogRecord] = []
    factory = logging.getLogRecordFactory()

    def recording(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = factory(*args, **kwargs)
        made.append(record)
        return record

    logging.setLogRecordFactory(recording)
    try:
        record = request_record(logging.getLogger("app.requests"), logging.INFO, "m", {})
    finally:
        logging.setLogRecordFactory(factory)
    assert made == [record]
