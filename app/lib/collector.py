"""The cyclic garbage collector's settings for a long-lived worker process."""

from __future__ import annotations

import asyncio
import gc
import time

# Python's young generations (700, 10), so that an automatic collection walks few objects
# even while thousands of clients connect at once (a larger first generation made one
# collection of 350 ms after 10,000 connects). Closed connections leave no cycles behind
# (`release` in the WebSocket handler), so full collections can be rare: one is considered
# after 30,000 collections of generation 1, some 50 minutes of the clock below.
GC_THRESHOLDS = (700, 10, 30_000)

# Python starts a collection when allocations outnumber deallocations by the first threshold.
# With 10,000 connections, each message frees a connection's previous waits (old objects) as
# it makes new ones, so that count barely moves while the youngest generation fills: a
# collection of generation 1 then walked 25,000-47,000 objects and stopped the event loop for
# 11-18 ms. On a clock, each collection walks only what the last 10 ms made.
YOUNG_EVERY_SECONDS = 0.01
MIDDLE_EVERY = 10  # every tenth collection on the clock is of generation 1 too
# An idle worker has nothing young to collect: the clock then ticks once a second, so that it
# does not wake the process 100 times a second for nothing (0.85 % of a core).
IDLE_EVERY_SECONDS = 1.0
# Idle: the event loop's thread was busy for under 5 % of the last interval. On a slow machine
# (30 Nov, 22:40Z) a wake-up of the clock alone cost 0.24 ms of the thread's CPU, 2.4 % of 10 ms:
# a line at 2 % took that for work.
IDLE_BELOW = 0.05


def settle_collector() -> asyncio.Task[None]:
    """What start-up made lives for the whole process: collect once, keep the collector off
    it from now on, set the thresholds above, and collect the young generations on the
    clock. Returns that task: keep it referenced, and cancel it at shutdown."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
    return asyncio.get_running_loop().create_task(collect_young_generations())


async def collect_young_generations(
    every_seconds: float = YOUNG_EVERY_SECONDS,
    middle_every: int = MIDDLE_EVERY,
    idle_every_seconds: float = IDLE_EVERY_SECONDS,
) -> None:
    ticks = 0
    wait = every_seconds
    cpu_seen = time.thread_time()  # the event loop's thread's CPU time, at the last tick
    while True:
        await asyncio.sleep(wait)
        busy = time.thread_time() - cpu_seen
        cpu_seen += busy
        wait = idle_every_seconds if busy < wait * IDLE_BELOW else every_seconds
        ticks += 1
        gc.collect(1 if ticks % middle_every == 0 else 0)
