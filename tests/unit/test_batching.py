"""The batcher behind group commit and the rate limit's pipelines (unit tests)."""

from __future__ import annotations

import asyncio

import pytest

from app.lib.batching import Batcher


class Doubler:
    """Doubles each item; a negative item is that caller's error."""

    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.batches: list[list[int]] = []

    async def run(self, items: list[int]) -> list[int | Exception]:
        self.batches.append(items)
        await asyncio.sleep(0.01)
        if self.fail:
            raise RuntimeError("broker down")
        return [ValueError(f"negative: {i}") if i < 0 else 2 * i for i in items]


async def test_calls_at_once_share_one_batch_in_order() -> None:
    doubler = Doubler()
    batcher = Batcher(doubler.run, max_batch=10)
    assert await asyncio.gather(*(batcher.submit(i) for i in (3, 1, 3))) == [6, 2, 6]
    assert doubler.batches == [[3, 1, 3]]  # repeated items are each run: nothing is merged


async def test_calls_during_a_batch_go_in_the_next_and_batches_are_capped() -> None:
    doubler = Doubler()
    batcher = Batcher(doubler.run, max_batch=2)
    first = asyncio.create_task(batcher.submit(1))
    await asyncio.sleep(0.001)  # the first batch is in flight
    later = await asyncio.gather(*(batcher.submit(i) for i in (2, 3, 4)))
    assert (await first, later) == (2, [4, 6, 8])
    assert doubler.batches == [[1], [2, 3], [4]]


async def test_an_item_error_goes_to_its_caller_only() -> None:
    batcher = Batcher(Doubler().run, max_batch=10)
    results = await asyncio.gather(batcher.submit(1), batcher.submit(-1), return_exceptions=True)
    assert results[0] == 2
    assert isinstance(results[1], ValueError)


async def test_a_failed_batch_fails_its_callers_and_the_next_batch_runs() -> None:
    doubler = Doubler(fail=True)
    batcher = Batcher(doubler.run, max_batch=10)
    results = await asyncio.gather(batcher.submit(1), batcher.submit(2), return_exceptions=True)
    assert [str(r) for r in results] == ["broker down", "broker down"]
    doubler.fail = False
    assert await batcher.submit(5) == 10


async def test_a_caller_that_gives_up_does_not_disturb_the_rest() -> None:
    batcher = Batcher(Doubler().run, max_batch=10)
    impatient = asyncio.create_task(batcher.submit(1))
    patient = asyncio.create_task(batcher.submit(2))
    await asyncio.sleep(0)
    impatient.cancel()
    assert await patient == 4
    with pytest.raises(asyncio.CancelledError):
        await impatient


async def test_with_two_in_flight_a_batch_starts_while_another_waits() -> None:
    doubler = Doubler()
    batcher = Batcher(doubler.run, max_batch=10, in_flight=2)
    first = asyncio.create_task(batcher.submit(1))
    await asyncio.sleep(0.001)  # the first batch is in flight
    second = asyncio.create_task(batcher.submit(2))
    await asyncio.sleep(0.001)  # so is the second
    third = await asyncio.gather(batcher.submit(3), batcher.submit(4))
    assert (await first, await second, list(third)) == (2, 4, [6, 8])
    assert doubler.batches == [[1], [2], [3, 4]]


async def test_a_call_right_after_a_batch_finishes_is_run() -> None:
    """The caller of the last batch resumes before the batch's worker is gone: its next call
    must still start a batch, not wait for a worker that has finished."""
    batcher = Batcher(Doubler().run, max_batch=10)

    async def one_after_another() -> list[int]:
        return [await batcher.submit(i) for i in range(3)]

    assert await asyncio.wait_for(one_after_another(), timeout=1) == [0, 2, 4]


async def test_a_run_that_answers_for_too_few_fails_every_caller_instead_of_hanging() -> None:
    async def forgets_the_last(items: list[int]) -> list[int | Exception]:
        return [2 * i for i in items[:-1]]

    batcher = Batcher(forgets_the_last, max_batch=10)
    outcomes = await asyncio.wait_for(
        asyncio.gather(*(batcher.submit(i) for i in (1, 2)), return_exceptions=True), timeout=10
    )
    assert [type(o) for o in outcomes] == [RuntimeError, RuntimeError]
