"""The time limit's shared timer (app.http.deadlines) behaves as `asyncio.timeout`."""

from __future__ import annotations

import asyncio
import contextlib
import time

import pytest

from app.http.deadlines import RequestDeadlines


async def test_a_block_over_its_deadline_is_stopped_with_timeout_error() -> None:
    deadlines = RequestDeadlines(0.05)
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        async with deadlines():
            await asyncio.sleep(5)
    assert 0.04 < time.monotonic() - started < 1
    assert len(deadlines) == 0


async def test_a_block_within_its_deadline_is_left_alone() -> None:
    deadlines = RequestDeadlines(0.2)
    async with deadlines():
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.3)  # the timer fires later and finds nothing to stop
    assert len(deadlines) == 0


async def test_each_request_gets_its_own_deadline() -> None:
    # given requests started one after the other, some quick and some slow
    # Tenths of seconds apart: a busy machine (the suite runs on several processes) delays a
    # task by tens of milliseconds.
    deadlines = RequestDeadlines(1.0)
    outcomes: dict[str, str] = {}

    async def request(name: str, start: float, seconds: float) -> None:
        await asyncio.sleep(start)
        try:
            async with deadlines():
                await asyncio.sleep(seconds)
            outcomes[name] = "done"
        except TimeoutError:
            outcomes[name] = "timeout"

    await asyncio.gather(
        request("quick", 0, 0.1),
        request("slow", 0.2, 5),
        # ends at 1.2, past the first two deadlines (1.0, 1.2); its own is 1.4
        request("quick-later", 0.4, 0.8),
        request("slow-later", 0.6, 5),
    )
    # then the slow ones are stopped, the quick ones not, whatever their order
    assert outcomes == {
        "quick": "done",
        "slow": "timeout",
        "quick-later": "done",
        "slow-later": "timeout",
    }
    assert len(deadlines) == 0


async def test_a_cancellation_from_elsewhere_is_not_a_timeout() -> None:
    deadlines = RequestDeadlines(5)

    async def request() -> None:
        async with deadlines():
            await asyncio.sleep(5)

    task = asyncio.create_task(request())
    await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert len(deadlines) == 0


async def test_a_timeout_handled_inside_the_block_ends_normally() -> None:
    # as with asyncio.timeout: the block swallows the cancellation, nothing is raised
    deadlines = RequestDeadlines(0.02)
    async with deadlines():
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.sleep(5)
    assert asyncio.current_task().cancelling() == 0  # type: ignore[union-attr]
