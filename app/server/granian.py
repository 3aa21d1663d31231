"""granian, with a drain step before it stops.

granian drops open WebSockets the moment a worker is told to stop. On SIGTERM (or SIGINT) we
first ask every worker to drain (SIGUSR1: stop taking connections, let in-flight sends
finish, close each socket with 1001 so clients reconnect with `since`), then let granian
shut down as usual. A second signal stops at once.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import threading
import time

from granian.server.mp import MPServer

log = logging.getLogger("chat.serving")

DRAIN_SIGNAL = signal.SIGUSR1
DRAIN_SECONDS = 1.5


class DrainingGranian(MPServer):
    _draining = False

    def signal_handler_interrupt(self, *args: object, **kwargs: object) -> None:
        if self._draining:
            super().signal_handler_interrupt(*args, **kwargs)  # type: ignore[no-untyped-call]
            return
        self._draining = True
        log.info("draining workers before shutdown")
        for worker in list(getattr(self, "wrks", [])):
            pid = getattr(getattr(worker, "inner", None), "pid", None)
            if pid:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, DRAIN_SIGNAL)
        threading.Thread(target=self._stop_after_drain, args=args, daemon=True).start()

    def _stop_after_drain(self, *args: object) -> None:
        time.sleep(DRAIN_SECONDS)
        super().signal_handler_interrupt(*args)  # type: ignore[no-untyped-call]
