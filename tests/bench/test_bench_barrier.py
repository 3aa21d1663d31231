"""The bench's start barrier: a load generator that fails before its clients are live stops
the run with its own error at once, not with an empty queue minutes later."""

from __future__ import annotations

import multiprocessing
import queue

import pytest

from bench.harness import _wait_until_live


def _generator_that_fails(_: int) -> None:
    raise ValueError("the generator's own error")


def _generator_that_goes_live(ready: queue.Queue[None]) -> None:
    ready.put(None)


def test_a_failed_generator_raises_its_own_error_at_once() -> None:
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager, context.Pool(1) as pool:
        ready = manager.Queue()
        pending = pool.map_async(_generator_that_fails, [0])
        # before: `ready.get` waited out its six minutes, then raised queue.Empty
        with pytest.raises(ValueError, match="the generator's own error"):
            _wait_until_live(ready, pending)


def test_a_live_generator_passes_the_barrier() -> None:
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager, context.Pool(1) as pool:
        ready = manager.Queue()
        pending = pool.map_async(_generator_that_goes_live, [ready])
        _wait_until_live(ready, pending)
        pending.get(timeout=30)
