"""Whether the database answers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.db import health
from app.domain.errors import Unavailable

if TYPE_CHECKING:
    from app.db.pool import Database


class HealthService:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def database_ok(self) -> bool:
        try:
            async with self._db.connection() as conn:
                return await health.ping(conn)
        except Unavailable:
            return False
