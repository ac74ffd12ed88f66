"""app.db.engine's writer turn: a free turn is taken at once, a held one is waited for in
order, at most the given time."""

from __future__ import annotations

import asyncio

from app.db.engine import _acquire


async def test_a_free_turn_is_taken_at_once() -> None:
    turn = asyncio.Lock()
    assert await _acquire(turn, 0.05)
    assert turn.locked()


async def test_a_held_turn_is_waited_for_at_most_the_given_time() -> None:
    turn = asyncio.Lock()
    await turn.acquire()
    assert not await _acquire(turn, 0.05)
    assert turn.locked(), "still its holder's"


async def test_a_writer_woken_for_the_turn_takes_it_before_a_newcomer() -> None:
    turn = asyncio.Lock()
    await turn.acquire()
    order: list[str] = []

    async def writer(name: str) -> None:
        assert await _acquire(turn, 5)
        order.append(name)
        await asyncio.sleep(0)
        turn.release()

    waiting = asyncio.create_task(writer("waiting"))
    await asyncio.sleep(0)  # it waits for the turn
    turn.release()  # wakes it; the turn is not held, but promised to it
    newcomer = asyncio.create_task(writer("newcomer"))
    await asyncio.gather(waiting, newcomer)
    assert order == ["waiting", "newcomer"]
