"""The load generators: wrk with a Lua script when it is there, else a Python client.

Two kinds of run. `run` (the peer and cpu sections, post.lua): one body, sent back to back
for a duration. `send_bodies` (the checkout sections, bodies.lua): a list of bodies, each sent
exactly once (a redemption's idempotency key must not repeat), counted rather than timed, and
each answer sorted by its outcome; its fallback is httpx.

`run`'s two clients run a closed loop: `concurrency` keep-alive connections, each sending the
same POST body back to back for `duration` seconds, to 127.0.0.1 only. Every response is checked, not just
its status: a body with a top-level `"errors":` or a length different from the validated
response counts as a failure (the data is read-only during a run, so every correct response
is byte-for-byte the same).

wrk is preferred because a Python client on a 2-core machine competes with the server it
measures; wrk in C needs a fraction of the CPU for the same rate. It comes from Debian's
package (`apt-get install -y wrk`), installed here when missing and possible.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

LUA = Path(__file__).with_name("post.lua")
ERRORS_MARK = b'"errors":'


@dataclass
class Run:
    requests: int  # responses received (good or bad)
    seconds: float
    p50_ms: float
    p99_ms: float
    failures: dict[str, int] = field(default_factory=dict)
    tool: str = "wrk"

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def failed(self) -> int:
        return sum(self.failures.values())

    def as_dict(self) -> dict:
        return {**asdict(self), "rps": round(self.rps, 2), "failed": self.failed}


def ensure_wrk(log=print) -> str | None:
    """The wrk binary, installed from Debian's packages when missing and we are root."""
    found = shutil.which("wrk")
    if found or os.environ.get("BENCH_NO_WRK"):
        return None if os.environ.get("BENCH_NO_WRK") else found
    if shutil.which("apt-get") is None or os.geteuid() != 0:
        log("wrk is not installed (and apt-get is not usable here): using the asyncio client")
        return None
    log("installing wrk (apt-get install -y wrk)")
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    if (
        subprocess.run(
            ["apt-get", "install", "-y", "wrk"], env=env, check=False, **quiet
        ).returncode
        != 0
    ):
        subprocess.run(["apt-get", "update"], env=env, check=False, **quiet)
        subprocess.run(["apt-get", "install", "-y", "wrk"], env=env, check=False, **quiet)
    found = shutil.which("wrk")
    if found is None:
        log("could not install wrk: using the asyncio client")
    return found


def _wrk_summary(
    command: Callable[[str], list[str]], data: bytes, *, wait: float
) -> dict[str, int]:
    """Runs wrk (`command(path)`) with `data` in a scratch file at `path`; the script's
    one-line JSON summary (the line after "WRKJSON ")."""
    with tempfile.NamedTemporaryFile("wb", delete=False) as handle:
        handle.write(data)
        path = handle.name
    try:
        done = subprocess.run(
            command(path), capture_output=True, text=True, timeout=wait, check=False
        )
    finally:
        os.unlink(path)
    line = next((x for x in done.stdout.splitlines() if x.startswith("WRKJSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr or done.stdout}")
    return json.loads(line.removeprefix("WRKJSON "))


def run_wrk(
    wrk: str, url: str, headers: dict[str, str], body: bytes, expected_length: int,
    *, duration: float, concurrency: int, timeout: float = 30.0,
) -> Run:  # fmt: skip
    def command(body_path: str) -> list[str]:
        return [
            wrk, "-t1", f"-c{concurrency}", f"-d{max(1, round(duration))}s",
            f"--timeout={timeout:g}s", "-s", str(LUA), url, "--",
            body_path, str(expected_length),
            *(f"{name}: {value}" for name, value in headers.items()),
        ]  # fmt: skip

    out = _wrk_summary(command, body, wait=duration + 60)
    failures = {
        "status": out["bad_status"],
        "errors": out["errors"],
        "wrong_length": out["wrong_length"],
        "socket": out["connect"] + out["read"] + out["write"] + out["timeout"],
    }
    return Run(
        requests=out["requests"],
        seconds=out["duration_us"] / 1e6,
        p50_ms=out["p50_us"] / 1000,
        p99_ms=out["p99_us"] / 1000,
        failures={k: v for k, v in failures.items() if v},
    )


# -- the fallback: a small HTTP/1.1 keep-alive client on asyncio streams ----------------------


async def _one(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes):
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    lower = head.lower()
    if b"transfer-encoding: chunked" in lower:
        chunks = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).strip(), 16)
            chunks.append(await reader.readexactly(size + 2))
            if size == 0:
                break
        body = b"".join(c[:-2] for c in chunks)
    else:
        start = lower.index(b"content-length:") + len(b"content-length:")
        length = int(lower[start : lower.index(b"\r\n", start)])
        body = await reader.readexactly(length)
    return status, body


async def _client(url, headers, body, expected_length, duration, concurrency) -> Run:
    parts = urlsplit(url)
    lines = [f"POST {parts.path} HTTP/1.1", f"Host: {parts.netloc}",
             "Content-Type: application/json", f"Content-Length: {len(body)}",
             *(f"{k}: {v}" for k, v in headers.items())]  # fmt: skip
    request = ("\r\n".join(lines) + "\r\n\r\n").encode() + body
    latencies: list[float] = []
    failures = {"status": 0, "errors": 0, "wrong_length": 0, "socket": 0}
    deadline = time.perf_counter() + duration

    async def worker() -> None:
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
        try:
            while time.perf_counter() < deadline:
                sent = time.perf_counter()
                try:
                    status, answer = await _one(reader, writer, request)
                except (OSError, asyncio.IncompleteReadError, ValueError):
                    failures["socket"] += 1
                    return
                latencies.append(time.perf_counter() - sent)
                if status != 200:
                    failures["status"] += 1
                elif ERRORS_MARK in answer:
                    failures["errors"] += 1
                elif expected_length and len(answer) != expected_length:
                    failures["wrong_length"] += 1
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    seconds = time.perf_counter() - started
    cuts = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0.0] * 99
    return Run(len(latencies), seconds, cuts[49] * 1000, cuts[98] * 1000,
               {k: v for k, v in failures.items() if v}, tool="asyncio")  # fmt: skip


def run(
    wrk: str | None, url: str, headers: dict[str, str], body: bytes, expected_length: int,
    *, duration: float, concurrency: int,
) -> Run:  # fmt: skip
    if wrk:
        return run_wrk(wrk, url, headers, body, expected_length,
                       duration=duration, concurrency=concurrency)  # fmt: skip
    try:
        import uvloop  # the faster loop leaves more CPU to the server being measured

        runner = uvloop.run
    except ImportError:
        runner = asyncio.run
    return runner(_client(url, headers, body, expected_length, duration, concurrency))


# -- a file of bodies, each sent once: the checkout sections (redemptions, stacking, floors) --

BODIES_LUA = Path(__file__).with_name("bodies.lua")
# How bodies.lua sorts an answer, in this order: status not 200; a top-level "errors" or a
# non-empty userErrors; "valid":true; "valid":false; the one field asked for is null; else found.
USER_ERRORS = re.compile(rb'"userErrors":\s*\[\s*\{')
VALID = re.compile(rb'"valid":\s*true')
INVALID = re.compile(rb'"valid":\s*false')
EMPTY = re.compile(rb'^\{"data":\{"\w+":null\}')  # "extensions" may follow


@dataclass
class Answers:
    """What a file of bodies got back: counts of each outcome and the latency of all."""

    tool: str  # "wrk" or "httpx" (the fallback)
    sent: int
    seconds: float
    p50_ms: float
    p99_ms: float
    mean_ms: float
    outcomes: dict[str, int]  # valid, invalid, found, empty, errors, bad_status, socket


def wrk_binary() -> str | None:
    return None if os.environ.get("BENCH_NO_WRK") else shutil.which("wrk")


def outcome(status: int, body: bytes) -> str:
    """The Python copy of bodies.lua's sorting, for the fallback client."""
    if status != 200:
        return "bad_status"
    if ERRORS_MARK in body or USER_ERRORS.search(body):
        return "errors"
    if VALID.search(body):
        return "valid"
    if INVALID.search(body):
        return "invalid"
    return "empty" if EMPTY.match(body) else "found"


async def send_bodies(
    url: str, headers: dict[str, str], bodies: list[dict[str, Any]], *, concurrency: int
) -> Answers:
    """POSTs every body once, in order, from `concurrency` keep-alive connections: with wrk
    (bodies.lua) when it is there, else with httpx. A body never goes twice, so a body's
    idempotency key is used once. Raises when an answer is missing."""
    lines = [json.dumps(body, separators=(",", ":")) for body in bodies]
    wrk = wrk_binary()
    if wrk:
        answers = await asyncio.to_thread(_bodies_wrk, wrk, url, headers, lines, concurrency)
    else:
        answers = await _bodies_httpx(url, headers, lines, concurrency)
    answered = sum(answers.outcomes.values()) - answers.outcomes.get("socket", 0)
    if answered != len(lines):
        raise RuntimeError(f"{answers.tool}: {answered} of {len(lines)} bodies answered"
                           f" ({answers.outcomes})")  # fmt: skip
    return answers


def _bodies_wrk(
    wrk: str, url: str, headers: dict[str, str], lines: list[str], concurrency: int
) -> Answers:
    # -d is a time limit only: bodies.lua ends the run at the last answer.
    limit = 60 + len(lines) // 10

    def command(path: str) -> list[str]:
        return [
            wrk, "-t1", f"-c{min(concurrency, len(lines))}", f"-d{limit}s", "--timeout=60s",
            "-s", str(BODIES_LUA), url, "--", path,
            *(f"{name}: {value}" for name, value in headers.items()),
        ]  # fmt: skip

    out = _wrk_summary(command, ("\n".join(lines) + "\n").encode(), wait=limit + 60)
    if out["answered"] != out["total"]:
        raise RuntimeError(f"wrk: {out['answered']} of {out['total']} answered in {limit} s")
    keys = ("valid", "invalid", "found", "empty", "errors", "bad_status", "socket")
    return Answers(
        tool="wrk",
        sent=out["total"],
        seconds=out["run_us"] / 1e6,
        p50_ms=out["p50_us"] / 1000,
        p99_ms=out["p99_us"] / 1000,
        mean_ms=out["mean_us"] / 1000,
        outcomes={key: out[key] for key in keys},
    )


async def _bodies_httpx(
    url: str, headers: dict[str, str], lines: list[str], concurrency: int
) -> Answers:
    import httpx  # the fallback only: it costs the client ~2 ms of CPU a request

    latencies: list[float] = []
    outcomes = dict.fromkeys(("valid", "invalid", "found", "empty", "errors", "bad_status"), 0)
    pending = iter(lines)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    headers = {**headers, "Content-Type": "application/json"}
    async with httpx.AsyncClient(limits=limits, timeout=60, headers=headers) as client:

        async def worker() -> None:
            for line in pending:
                started = time.perf_counter()
                response = await client.post(url, content=line.encode())
                latencies.append(time.perf_counter() - started)
                outcomes[outcome(response.status_code, response.content)] += 1

        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        seconds = time.perf_counter() - began
    latencies.sort()
    cuts = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else latencies * 99
    return Answers(
        tool="httpx",
        sent=len(lines),
        seconds=seconds,
        p50_ms=cuts[49] * 1000,
        p99_ms=cuts[98] * 1000,
        mean_ms=statistics.fmean(latencies) * 1000,
        outcomes=outcomes,
    )
