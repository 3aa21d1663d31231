"""granian's main process, with a drain step before it stops its workers.

granian drops open WebSockets the moment a worker is told to stop. On SIGTERM (or SIGINT) the
main process first asks every worker to drain (DRAIN_SIGNAL: stop taking connections, finish
what was read, close each socket with 1001 so clients reconnect with `since`), then lets
granian stop them as usual. A second signal stops at once. How a worker takes the signals,
from here or straight from a signal to the whole group: app/server/worker_stop.py.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time

from granian.server.mp import MPServer

from app.lib.logs import log_format
from app.server.worker_stop import DRAIN_SIGNAL

log = logging.getLogger("chat.serving")

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


def granian_log_config() -> dict[str, object]:
    """granian's own loggers, written as ours are (app/lib/logs.py), at warning: its start-up
    narration is ours to say, once (app/cli.py)."""
    formatter = (
        "app.lib.logs.TextFormatter" if log_format() == "text" else "app.lib.logs.JsonFormatter"
    )
    handler = {"formatter": "ours", "class": "logging.StreamHandler", "stream": "ext://sys.stderr"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"ours": {"()": formatter}},
        "handlers": {"ours": handler},
        "loggers": {
            "_granian": {"handlers": ["ours"], "level": "WARNING", "propagate": False},
            "granian.access": {"handlers": ["ours"], "level": "WARNING", "propagate": False},
        },
    }
