"""The worker collects its young generations on a clock, not only when allocations outnumber
deallocations (which, with many connections, they barely do)."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import time
import weakref
from typing import TYPE_CHECKING

import pytest

from app.lib.collector import collect_young_generations

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from typing import Any


class Node:
    def __init__(self) -> None:
        self.me = self  # a reference cycle: only the cyclic collector frees it


@pytest.fixture
def no_automatic_collections() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


async def freed_while_collecting(ref: Callable[[], object], middle_every: int) -> bool:
    clock = asyncio.create_task(collect_young_generations(0.001, middle_every, 0.001))
    try:
        for _ in range(500):
            await asyncio.sleep(0.002)
            if ref() is None:
                return True
        return False
    finally:
        clock.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await clock


@pytest.mark.usefixtures("no_automatic_collections")
async def test_a_young_cycle_is_freed_by_the_clock() -> None:
    node = Node()
    ref = weakref.ref(node)
    del node
    assert ref() is not None  # nothing frees it by itself with automatic collections off
    assert await freed_while_collecting(ref, middle_every=1_000_000)


@pytest.mark.usefixtures("no_automatic_collections")
async def test_a_cycle_that_outlived_one_collection_is_freed_by_the_middle_ones() -> None:
    holder = [Node()]
    ref = weakref.ref(holder[0])
    gc.collect(0)  # the cycle survives it (still held), so it moves to generation 1
    holder.clear()
    gc.collect(0)
    assert ref() is not None  # collections of generation 0 alone no longer look at it
    assert await freed_while_collecting(ref, middle_every=3)


async def collections_in(seconds: float, *, busy: bool) -> int:
    """How many collections the clock makes in `seconds` (10 ms, 100 ms when idle), with the
    event loop's thread busy (spinning, yielding every 2 ms) or idle (nothing else to do)."""
    count = 0

    def counted(phase: str, _: dict[str, Any]) -> None:
        nonlocal count
        count += phase == "start"

    gc.callbacks.append(counted)
    clock = asyncio.create_task(collect_young_generations(0.01, 10, 0.1))
    try:
        end = time.monotonic() + seconds
        if not busy:
            await asyncio.sleep(seconds)
        while time.monotonic() < end:
            spin_until = time.perf_counter() + 0.002
            while time.perf_counter() < spin_until:
                pass
            await asyncio.sleep(0)
    finally:
        clock.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await clock
        gc.callbacks.remove(counted)
    return count


@pytest.mark.usefixtures("no_automatic_collections")
async def test_the_clock_slows_down_while_the_worker_is_idle() -> None:
    assert await collections_in(0.5, busy=False) <= 7  # the first tick, then one per 100 ms
    assert await collections_in(0.5, busy=True) >= 20  # about one per 10 ms
