"""How a worker process stops, however it is signalled.

granian stops a worker the moment it gets SIGTERM or SIGINT, dropping its WebSockets without a
close frame. Those signals reach a worker two ways: from granian's main process, after it has
asked the worker to drain (`DRAIN_SIGNAL`, app/server/granian.py), or straight from whoever
signals the whole process group at once (a terminal's Ctrl-C, systemd, a container's init).

So a worker holds both signals back from granian (blocked from its first moment, in every
thread it starts) and waits for them on a thread of its own, which tells who sent each one:
- from granian's main process (this worker's parent), which drains its workers before it
  stops them: handed on to granian, which stops the worker as usual;
- from anyone else (the whole group was signalled): it starts the drain, as DRAIN_SIGNAL
  does; a second such signal, or the end of a grace period after the drain, stops it.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

log = logging.getLogger("chat.worker")

DRAIN_SIGNAL = signal.SIGUSR1
STOP_SIGNALS = {signal.SIGTERM, signal.SIGINT}
# After its drain, a worker waits this long for granian's main process to stop it, then stops
# itself (a signal to this worker alone).
STOP_AFTER_DRAIN_SECONDS = 3.0


def hold_stop_signals() -> None:
    """Blocks SIGTERM and SIGINT in this thread, and so in every thread started after it."""
    signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)


class WorkerStop:
    def __init__(self, drain: Callable[[], Awaitable[None]]) -> None:
        self._drain = drain
        self._drained: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping = False
        self._signalled = False  # a stop signal came from outside granian

    def start(self) -> None:
        """Listens for the signals; call from the worker's event loop, once."""
        self._loop = asyncio.get_running_loop()
        self._loop.add_signal_handler(DRAIN_SIGNAL, self._begin_drain)
        threading.Thread(target=self._wait_for_signals, name="stop-signals", daemon=True).start()

    def _wait_for_signals(self) -> None:
        assert self._loop is not None  # noqa: S101 - start() set it
        while True:
            info = signal.sigwaitinfo(STOP_SIGNALS)
            from_parent = info.si_pid == os.getppid()
            log.info(
                "stop signal",
                extra={"signal": signal.Signals(info.si_signo).name, "from_parent": from_parent},
            )
            self._loop.call_soon_threadsafe(self._on_stop_signal, info.si_signo, from_parent)

    def _on_stop_signal(self, received: int, from_parent: bool) -> None:  # noqa: FBT001
        if from_parent or self._signalled:
            self._stop(received)
            return
        self._signalled = True
        self._begin_drain()

    def _begin_drain(self) -> None:
        if self._drained is not None:
            return
        self._drained = asyncio.get_running_loop().create_task(self._drain_then_wait())

    async def _drain_then_wait(self) -> None:
        await self._drain()
        await asyncio.sleep(STOP_AFTER_DRAIN_SECONDS)
        self._stop(signal.SIGTERM)

    def _stop(self, received: int) -> None:
        """Hands the signal on to granian: this thread (the event loop's, where granian's
        handler runs) lets it through and sends it to itself."""
        if self._stopping:
            return
        self._stopping = True
        signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
        signal.pthread_kill(threading.get_ident(), received)
