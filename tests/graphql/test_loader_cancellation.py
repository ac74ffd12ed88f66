"""A field cancelled while it waits for a load (graphql-core cancels the siblings of a field
that failed) must not cancel that load for the other fields waiting on the same key."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from app.graphql.loaders import Loader


class Doubling(Loader[int, int]):
    def __init__(self) -> None:
        super().__init__()
        self.batches: list[list[int]] = []

    async def batch_load_fn(self, keys: Sequence[int]) -> list[int]:
        self.batches.append(list(keys))
        await asyncio.sleep(0.01)
        return [key * 2 for key in keys]


@pytest.mark.parametrize("cancelled_waits_with", ["load", "load_all"])
async def test_a_cancelled_waiter_leaves_the_shared_load_to_the_others(
    cancelled_waits_with: str,
) -> None:
    loader = Doubling()

    async def waiter() -> object:
        if cancelled_waits_with == "load":
            return await loader.load(1)
        return await loader.load_all([1, 2])

    cancelled = asyncio.ensure_future(waiter())
    kept = asyncio.ensure_future(loader.load(1))
    kept_many = asyncio.ensure_future(loader.load_all([2, 1]))
    await asyncio.sleep(0)  # all three wait on the one batch
    cancelled.cancel()
    assert await kept == 2
    assert await kept_many == [4, 2]
    assert cancelled.cancelled()
    assert loader.batches == [[1, 2]]
    # and the cache still answers
    assert await loader.load(1) == 2


async def test_a_failed_batch_fails_every_waiter() -> None:
    class Failing(Loader[int, int]):
        async def batch_load_fn(self, keys: Sequence[int]) -> list[int]:
            raise RuntimeError("the database refused")

    loader = Failing()
    with pytest.raises(RuntimeError):
        await loader.load_all([1, 2])
    with pytest.raises(RuntimeError):
        await loader.load(3)
