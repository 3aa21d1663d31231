"""Sends straight through the service's send statement, for tests of the SQL."""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.db.messages import SendRequest, Stored, send_message
from app.domain.rules import SendLimit

if TYPE_CHECKING:
    from app.db.pool import Conn

# a limit no test of the SQL reaches (the limit's own tests give theirs)
UNLIMITED = SendLimit(1_000_000_000, 60)


async def store(conn: Conn, request: SendRequest) -> Stored:
    """Sends alone, as a lone send is written; fails the test if the send is refused."""
    outcome = await send_message(conn, request, UNLIMITED)
    assert isinstance(outcome, Stored), outcome
    return outcome
