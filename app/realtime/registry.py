"""The open `/chat` connections of this process, by user. Nothing else: who is subscribed
where is the broker's, what was missed is the delivery check's."""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.lib.metrics import CONNECTIONS

if TYPE_CHECKING:
    from collections.abc import Iterable
    from uuid import UUID

    from app.realtime.connection import Connection


class Registry:
    def __init__(self) -> None:
        self._by_user: dict[UUID, set[Connection]] = {}

    def add(self, connection: Connection) -> bool:
        """Registers the connection; True when it is its user's first here."""
        connections = self._by_user.setdefault(connection.user_id, set())
        if connection not in connections:
            connections.add(connection)
            CONNECTIONS.inc()
        return len(connections) == 1

    def remove(self, connection: Connection) -> bool:
        """Forgets the connection; True when it was its user's last here."""
        connections = self._by_user.get(connection.user_id)
        if connections is None or connection not in connections:
            return False
        connections.discard(connection)
        CONNECTIONS.dec()
        if connections:
            return False
        del self._by_user[connection.user_id]
        return True

    def of(self, user_id: UUID) -> Iterable[Connection]:
        return self._by_user.get(user_id, ())

    def has(self, user_id: UUID) -> bool:
        return user_id in self._by_user

    def users(self) -> list[UUID]:
        return list(self._by_user)

    def connections(self) -> list[Connection]:
        return [c for connections in self._by_user.values() for c in connections]

    def count(self) -> int:
        return sum(len(connections) for connections in self._by_user.values())
