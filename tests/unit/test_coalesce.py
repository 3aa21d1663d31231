"""The lookup coalescer: callers asking at once share one fetch (unit tests)."""

from __future__ import annotations

import asyncio

import pytest

from app.lib.coalesce import Coalescer


class Lookups:
    def __init__(self, known: dict[int, str], fail: bool = False) -> None:
        self.known = known
        self.fail = fail
        self.batches: list[list[int]] = []

    async def fetch(self, keys: list[int]) -> dict[int, str]:
        self.batches.append(sorted(keys))
        await asyncio.sleep(0.01)
        if self.fail:
            raise RuntimeError("database down")
        return {k: self.known[k] for k in keys if k in self.known}


async def test_callers_at_once_share_one_fetch() -> None:
    lookups = Lookups({1: "one", 2: "two"})
    coalescer = Coalescer(lookups.fetch)
    answers = await asyncio.gather(*(coalescer.get(k) for k in (1, 2, 1, 3)))
    assert answers == ["one", "two", "one", None]
    assert lookups.batches == [[1, 2, 3]]


async def test_callers_during_a_fetch_share_the_next() -> None:
    lookups = Lookups({1: "one", 2: "two", 3: "three"})
    coalescer = Coalescer(lookups.fetch)
    first = asyncio.create_task(coalescer.get(1))
    await asyncio.sleep(0.001)  # the first fetch is in flight
    later = await asyncio.gather(coalescer.get(2), coalescer.get(3))
    assert await first == "one"
    assert list(later) == ["two", "three"]
    assert lookups.batches == [[1], [2, 3]]


async def test_a_failed_fetch_fails_its_callers_only() -> None:
    lookups = Lookups({1: "one"}, fail=True)
    coalescer = Coalescer(lookups.fetch)
    results = await asyncio.gather(coalescer.get(1), coalescer.get(2), return_exceptions=True)
    assert [str(r) for r in results] == ["database down", "database down"]
    lookups.fail = False
    assert await coalescer.get(1) == "one"


async def test_a_caller_that_gives_up_does_not_disturb_the_rest() -> None:
    lookups = Lookups({1: "one"})
    coalescer = Coalescer(lookups.fetch)
    impatient = asyncio.create_task(coalescer.get(1))
    patient = asyncio.create_task(coalescer.get(1))
    await asyncio.sleep(0)
    impatient.cancel()
    assert await patient == "one"
    with pytest.raises(asyncio.CancelledError):
        await impatient
