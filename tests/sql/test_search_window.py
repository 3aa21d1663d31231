"""Search reads each side's newest messages first, and the full-text index only for what that
window does not settle. Against the real database: the two steps together find exactly the
newest matches, and a common word never reaches the index."""

from __future__ import annotations

import json
import uuid
from typing import TYPE_CHECKING, Any

import psycopg
import pytest

from app.db.messages import SEARCH_SCANNED, search_messages
from app.db.pool import CONNECT_OPTIONS
from app.db.queries import SQL
from tests.support.accounts import bulk_users
from tests.support.services import migrated_database

if TYPE_CHECKING:
    from collections.abc import Iterator

Conn = psycopg.AsyncConnection[tuple[Any, ...]]
MESSAGES = 12_000  # 6,000 sent and 6,000 received by each user


INSERT_MESSAGES = (
    "INSERT INTO messages (conversation_id, position, sender_id, recipient_id, content,"
    " sender_seq, created_at)"
    " SELECT %(c)s, g, CASE WHEN g %% 2 = 0 THEN %(low)s ELSE %(high)s END,"
    " CASE WHEN g %% 2 = 0 THEN %(high)s ELSE %(low)s END, %(content)s, g,"
    " now() - interval '1 millisecond' * (%(n)s - g)"
    " FROM generate_series(1, %(n)s) g"
)
# every message reads 'note N'; 1 in 5 adds 'alpha beta'; two old ones, one each way, 'zebra'
TALK = (
    "'note ' || g || CASE WHEN g %% 5 = 0 THEN ' alpha beta' ELSE '' END"
    " || CASE WHEN g IN (11, 12) THEN ' zebra' ELSE '' END"
)


@pytest.fixture(scope="module")
def database_url() -> Iterator[str]:
    """A database of this module's own: its 72,000 messages stay out of the other tests', and
    go with it at the end."""
    with migrated_database() as url:
        yield url


@pytest.fixture(scope="module")
def talker(database_url: str) -> uuid.UUID:
    """A user with MESSAGES messages to one peer, each sent 1 ms after the last, in a table
    where others' messages, five times as many, never say 'alpha' or 'beta'."""
    users = sorted(uuid.UUID(u.id) for u in bulk_users(database_url, 4, "window"))
    pairs = [(users[0], users[1], TALK, MESSAGES), (users[2], users[3], "'other ' || g", 60_000)]
    with psycopg.connect(database_url, autocommit=True) as conn:
        for low, high, content, count in pairs:
            row = conn.execute(
                "INSERT INTO conversations (participant1_id, participant2_id, message_count)"
                " VALUES (%s, %s, %s) RETURNING id",
                (low, high, count),
            ).fetchone()
            assert row is not None
            conn.execute(
                INSERT_MESSAGES.replace("%(content)s", content),
                {"c": row[0], "low": low, "high": high, "n": count},
            )
        conn.execute("ANALYZE messages")
    return users[0]


async def newest_matches(conn: Conn, user_id: uuid.UUID, query: str) -> tuple[list[uuid.UUID], int]:
    """What search must find, read the plain way: every match, newest first."""
    cur = await conn.execute(
        "SELECT id FROM messages WHERE (sender_id = %(u)s OR recipient_id = %(u)s)"
        " AND search_vector @@ websearch_to_tsquery('english', %(q)s)"
        " ORDER BY created_at DESC",
        {"u": user_id, "q": query},
    )
    ids = [row[0] for row in await cur.fetchall()]
    return ids[:1000], min(len(ids), 1000)


@pytest.mark.parametrize("query", ["zebra", "alpha beta", "note", "note 7", "-alpha note"])
@pytest.mark.parametrize("scanned", [100, 5_000, SEARCH_SCANNED])
async def test_the_window_and_the_index_find_the_newest_matches(
    conn: Conn, talker: uuid.UUID, query: str, scanned: int
) -> None:
    items, total = await search_messages(conn, talker, query, limit=1000, offset=0, scanned=scanned)
    expected, expected_total = await newest_matches(conn, talker, query)
    assert total == expected_total
    assert len({m.id for m in items}) == len(items)  # found twice is listed once
    assert {m.id for m in items} == set(expected)


async def test_a_rare_word_beyond_the_window_is_found(conn: Conn, talker: uuid.UUID) -> None:
    items, total = await search_messages(conn, talker, "zebra", limit=20, offset=0, scanned=100)
    assert total == 2
    assert sorted(m.content for m in items) == ["note 11 zebra", "note 12 zebra"]


def executed_nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    if plan.get("Actual Loops", 0) > 0:
        yield plan
        for child in plan.get("Plans", []):
            yield from executed_nodes(child)


@pytest.mark.parametrize("query", ["note", "alpha beta"])
def test_a_common_word_is_answered_from_the_newest_messages(
    database_url: str, talker: uuid.UUID, query: str
) -> None:
    """Words found together in 1 of 5 messages: the planner takes them as independent (1 in
    25), and a plan chosen on that guess would fetch every match to rank the newest."""
    params = {"user_id": talker, "query": query, "limit": 20, "offset": 0}
    with psycopg.connect(database_url, **CONNECT_OPTIONS) as conn:  # as the service connects
        row = conn.execute(
            b"EXPLAIN (ANALYZE, FORMAT JSON) " + SQL["search_messages"],
            {**params, "scanned": SEARCH_SCANNED},
        ).fetchone()
    assert row is not None
    plan = row[0] if isinstance(row[0], list) else json.loads(row[0])
    nodes = list(executed_nodes(plan[0]["Plan"]))
    assert not [n for n in nodes if n.get("Index Name") == "messages_search_vector"]
    read = sum(n["Actual Rows"] for n in nodes if n.get("Relation Name") == "messages")
    # each side's window is read once (newest first, or all of this small side and sorted)
    assert read <= MESSAGES, [
        (n["Node Type"], n.get("Index Name"), n["Actual Rows"]) for n in nodes
    ]
