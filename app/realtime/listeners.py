"""Which user channels no other process listens on, so publishing to them can be skipped.

Redis answers each PUBLISH with how many subscribers it reached. A channel whose message
reached only this process (or nobody) has no listener elsewhere: until that changes, its
events are delivered here and the publication, and Redis sending it back to us, are saved.
It changes when another process subscribes, and that process announces it (presence); the
knowledge is also not taken when this process's own subscriptions change, or a notice
arrives, while a publication is on its way (its count cannot be read then), and is dropped
after Redis reconnects and after `ALONE_SECONDS` at most. A notice that comes too late costs
latency, not messages: the event is in the log, and the hub's periodic check delivers it.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

ALONE_SECONDS = 60.0


class RemoteListeners:
    def __init__(
        self, clock: Callable[[], float] = time.monotonic, alone_seconds: float = ALONE_SECONDS
    ) -> None:
        self._clock = clock
        self._alone_seconds = alone_seconds
        self._alone: dict[str, float] = {}  # channel -> until when it counts as alone
        self._changes = 0
        self._next_sweep = clock() + alone_seconds

    def none_elsewhere(self, channel: str) -> bool:
        """True when no other process listens on `channel`, as far as is known."""
        until = self._alone.get(channel)
        if until is None:
            return False
        if until <= self._clock():
            del self._alone[channel]
            return False
        return True

    def snapshot(self) -> int:
        """Taken before publishing; `learn` needs it to tell whether subscriptions changed."""
        return self._changes

    def subscriptions_changed(self) -> None:
        self._changes += 1

    def learn(self, snapshot: int, reached: Iterable[tuple[str, int, bool | None]]) -> None:
        """`reached`: each channel published to, how many subscribers the message reached, and
        whether this process was subscribed (None: it changed meanwhile, so unknown)."""
        stable = snapshot == self._changes
        now = self._clock()
        if now >= self._next_sweep:
            self._sweep(now)
        until = now + self._alone_seconds
        for channel, count, here in reached:
            if stable and here is not None and count <= int(here):
                self._alone[channel] = until
            else:
                self._alone.pop(channel, None)

    def someone_listens(self, channel: str) -> None:
        """A presence notice. It may overtake the answer to a publication sent before that
        listener came: what such an answer says is stale."""
        self._changes += 1
        self._alone.pop(channel, None)

    def forget(self) -> None:
        self._alone.clear()

    def marked(self) -> int:
        return len(self._alone)

    def _sweep(self, now: float) -> None:
        """Drops the expired marks of channels no longer published to, once per mark's life."""
        self._alone = {channel: until for channel, until in self._alone.items() if until > now}
        self._next_sweep = now + self._alone_seconds
