"""The per-user rate limit against a real Redis: batched hits count as lone hits would."""

from __future__ import annotations

import asyncio
import uuid

import redis
from limits import parse

from app.stores.rate_limits import LocalWindow, MessageRateLimiter
from tests.support.clock import Clock
from tests.support.services import free_port


async def test_hits_at_once_are_each_counted_and_shared_between_processes(redis_url: str) -> None:
    processes = [MessageRateLimiter("5/minute", redis_url) for _ in range(2)]
    user = uuid.uuid4()
    answers = await asyncio.gather(*(processes[i % 2].hit(user) for i in range(20)))
    assert answers.count(None) == 5
    assert all(1 <= wait <= 60 for wait in answers if wait is not None)
    assert await processes[0].hit(uuid.uuid4()) is None  # another user's window is their own


async def test_a_refunded_hit_makes_room_for_one_more(redis_url: str) -> None:
    processes = [MessageRateLimiter("3/minute", redis_url) for _ in range(2)]
    user = uuid.uuid4()
    assert [await processes[0].hit(user) for _ in range(3)] == [None, None, None]
    await processes[1].refund(user)  # the window is shared: any process may refund
    assert await processes[0].hit(user) is None
    assert await processes[1].hit(user) is not None


async def test_a_redis_that_lost_its_scripts_still_counts(redis_url: str) -> None:
    limiter = MessageRateLimiter("5/minute", redis_url)
    user = uuid.uuid4()
    before = await asyncio.gather(*(limiter.hit(user) for _ in range(3)))
    redis.Redis.from_url(redis_url).script_flush()  # as a restarted Redis would have
    after = await asyncio.gather(*(limiter.hit(user) for _ in range(3)))
    assert [*before, *after].count(None) == 5


async def test_without_redis_each_process_counts_alone() -> None:
    limiter = MessageRateLimiter("3/minute", f"redis://127.0.0.1:{free_port()}/0")
    user = uuid.uuid4()
    answers = [await limiter.hit(user) for _ in range(4)]
    assert answers[:3] == [None, None, None]
    assert answers[3] is not None


def test_the_local_window_moves_with_time() -> None:
    clock = Clock()
    window = LocalWindow(parse("3/minute"), clock)
    answers = []
    for _ in range(3):  # hits at 0, 10 and 20 s
        answers.append(window.hit("a"))
        clock.now += 10
    assert answers == [None, None, None]
    assert window.hit("a") == 30  # at 30 s: full until the first hit leaves, at 60 s
    assert window.hit("b") is None  # another user's window is their own
    clock.now += 30
    assert window.hit("a") is None  # at 60 s the first has left: room for one
    assert window.hit("a") == 10  # then full until the hit of 10 s leaves
    clock.now += 10
    assert window.hit("a") is None


def test_the_local_window_forgets_users_with_no_hit_left() -> None:
    clock = Clock()
    window = LocalWindow(parse("2/second"), clock)
    for user in range(100):
        window.hit(str(user))
    clock.now += 1.5
    assert window.hit("last") is None
    assert window.keys() == 1


def test_a_local_window_of_zero_allows_nothing() -> None:
    window = LocalWindow(parse("0/minute"), Clock())
    assert window.hit("a") == 60


def test_the_local_window_takes_a_refund() -> None:
    window = LocalWindow(parse("2/minute"), Clock())
    assert [window.hit("a"), window.hit("a")] == [None, None]
    window.refund("a")
    window.refund("b")  # nothing counted for b: nothing to take back
    assert window.hit("a") is None
    assert window.hit("a") is not None
    assert [window.hit("b") is None for _ in range(3)] == [True, True, False]
