"""The pure parts of the throttles: the token bucket and whom a request comes from."""

from __future__ import annotations

import pytest

from app.interfaces.http.client_address import address_of
from app.lib.budget import Budget


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_budget_allows_its_burst_then_its_rate() -> None:
    clock = Clock()
    budget = Budget(per_second=1, burst=3, clock=clock)
    assert [budget.spend() for _ in range(3)] == [None, None, None]
    assert budget.spend() == 1  # empty: one more in a second
    clock.now += 0.5
    assert budget.spend() == 1
    clock.now += 0.5
    assert budget.spend() is None
    clock.now += 60  # a long pause refills the burst, not more
    assert [budget.spend() for _ in range(4)] == [None, None, None, 1]


def test_a_slow_budget_says_how_long_to_wait() -> None:
    clock = Clock()
    budget = Budget(per_second=0.1, burst=1, clock=clock)
    assert budget.spend() is None
    assert budget.spend() == 10


@pytest.mark.parametrize(
    ("peer", "forwarded", "expected"),
    [
        ("93.184.216.34", None, "93.184.216.34"),
        # a client on the internet cannot name itself
        ("93.184.216.34", "198.51.100.1", "93.184.216.34"),
        # a balancer on this host or a private network is believed, for the entry it added
        ("127.0.0.1", "198.51.100.1", "198.51.100.1"),
        ("10.0.0.5", "6.6.6.6, 198.51.100.1", "198.51.100.1"),
        ("172.18.0.3", " 198.51.100.1 ", "198.51.100.1"),
        ("::1", "2001:db8::1", "2001:db8::1"),
        ("127.0.0.1", ",", "127.0.0.1"),
        ("", None, "unknown"),
        ("not-an-address", "198.51.100.1", "not-an-address"),
    ],
)
def test_the_client_address(peer: str, forwarded: str | None, expected: str) -> None:
    assert address_of(peer, forwarded) == expected
