"""The service's own Prometheus series (contract section 7); HTTP requests by route and status
come from Litestar's Prometheus middleware (app/interfaces/core.py).

With several granian workers, `chat serve` points PROMETHEUS_MULTIPROC_DIR at a folder of its
own before any worker starts: each worker then writes its values to memory-mapped files there,
and a scrape of any worker reads them all. An increment is a memory write, no I/O.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

CONNECTIONS = Gauge("chat_connections", "Open /chat connections", multiprocess_mode="livesum")
MESSAGES_SENT = Counter("chat_messages_sent", "Messages stored (resends not counted)")
SEND_DURATION = Histogram(
    "chat_send_duration_seconds",
    "From a message:send frame received to its reply sent",
    buckets=(0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
)
RATE_LIMITED = Counter("chat_rate_limited", "Requests refused by a rate limit", ["limit"])
REPLAYED_EVENTS = Counter(
    "chat_replayed_events", "Outbox events sent from the database rather than live"
)
