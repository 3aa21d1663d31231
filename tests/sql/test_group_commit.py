"""Group commit when the database does not answer: every send of a batch hears so at once."""

from __future__ import annotations

import asyncio
import uuid

from app.db.group_commit import GroupCommit
from app.db.messages import SendRequest
from app.db.pool import Database
from app.domain.errors import Unavailable
from tests.support.sends import UNLIMITED
from tests.support.services import free_port


async def test_a_batch_that_gets_no_connection_fails_every_send_after_one_wait() -> None:
    db = Database(f"postgresql://postgres@127.0.0.1:{free_port()}/nowhere", timeout=0.3)
    await db.open()
    try:
        sends = GroupCommit(db, UNLIMITED)
        requests = [SendRequest(uuid.uuid4(), "hi", recipient_id=uuid.uuid4()) for _ in range(5)]
        outcomes = await asyncio.gather(*map(sends.send, requests), return_exceptions=True)
        assert all(isinstance(outcome, Unavailable) for outcome in outcomes)
        # one wait for a connection, for the batch; not one more for each of its sends
        assert db.pool.get_stats()["requests_num"] == 1
    finally:
        await db.close()
