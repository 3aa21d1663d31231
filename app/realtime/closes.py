"""The WebSocket close codes the server uses (contract sections 3 and 4)."""

from __future__ import annotations

import enum


class CloseCode(enum.IntEnum):
    GOING_AWAY = 1001  # the server shuts down (or the client left): reconnect with since
    POLICY = 1008  # an origin not allowed, too many connections
    TOO_BIG = 1009  # a frame over the hard limit
    INTERNAL = 1011  # an internal failure: reconnect with since
    TRY_AGAIN = 1013  # a reader too slow to keep up, or the database not answering
    UNAUTHORIZED = 4401  # no valid token, or it expired or was revoked
