"""The cyclic garbage collector's settings for a long-lived worker process."""

from __future__ import annotations

import asyncio
import gc
import time

# Python's young generations (700, 10), so that an automatic collection walks few objects
# even while thousands of clients connect at once (a larger first generation makes one long
# pause of the event loop after a crowd of connects). Closed connections leave no cycles
# behind (`release` in the WebSocket handler), so full collections can be rare: one is
# considered after 30,000 collections of generation 1, most of an hour of the clock below.
GC_THRESHOLDS = (700, 10, 30_000)

# Python starts a collection when allocations outnumber deallocations by the first threshold.
# With many connections, each message frees a connection's previous waits (old objects) as it
# makes new ones, so that count barely moves while the youngest generation fills, and the
# collection that finally comes walks tens of thousands of objects at once. On a clock, each
# collection walks only what the last tick made.
YOUNG_EVERY_SECONDS = 0.01
MIDDLE_EVERY = 10  # every tenth collection on the clock is of generation 1 too
# An idle worker has nothing young to collect: the clock then ticks once a second, so that it
# does not wake the process 100 times a second for nothing.
IDLE_EVERY_SECONDS = 1.0
# Idle: the event loop's thread was busy for under 5 % of the last interval. On a slow machine
# a wake-up of the clock alone can cost a few per cent of a 10 ms tick, so the line sits above
# that.
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
