"""The cyclic garbage collector's settings for a long-lived worker process."""

from __future__ import annotations

import gc

# Python's young generations (700, 10), so that each collection walks few objects and stays
# short even while thousands of clients connect at once (a larger first generation made one
# collection of 350 ms after 10,000 connects). Full collections only every 1,000 collections
# of generation 1: closed connections leave no cycles behind (`release` in the WebSocket
# handler), so there is little for them to find.
GC_THRESHOLDS = (700, 10, 1000)


def settle_collector() -> None:
    """What start-up made lives for the whole process: collect once, keep the collector off
    it from now on, and set the thresholds above."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
