"""The hot queries stay fast at depth: each reads the index meant for it (checked in the plan).

A backward scan of the wrong index costs 1000x at 1M rows, so these check the plan, not time.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from app.db.messages import SEARCH_SCANNED
from app.db.pool import CONNECT_OPTIONS
from app.db.queries import SQL
from app.services.outbox import PAGE
from tests.support.accounts import insert_user_pair

pytestmark = pytest.mark.slow
MESSAGES = 60_000
LOG_EVENTS = 10_000  # in one user's replay log


def plan_nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from plan_nodes(child)


def explain(
    conn: psycopg.Connection[Any], name: str, params: dict[str, Any]
) -> list[dict[str, Any]]:
    names = set(re.findall(rb"%\((\w+)\)s", SQL[name]))
    assert {n.decode() for n in names} == set(params), name
    row = conn.execute(b"EXPLAIN (FORMAT JSON) " + SQL[name], params).fetchone()
    assert row is not None
    return list(plan_nodes(row[0][0]["Plan"]))


@pytest.fixture(scope="module")
def deep(database_url: str) -> Iterator[tuple[psycopg.Connection[Any], dict[str, Any]]]:
    # connected as the service is, so the plans checked are the ones it runs
    with (
        psycopg.connect(database_url, **CONNECT_OPTIONS) as conn,
        conn.transaction(force_rollback=True),
    ):
        low, high = insert_user_pair(conn, "deep")
        conversation = conn.execute(
            "INSERT INTO conversations (participant1_id, participant2_id, message_count,"
            " participant1_sent) VALUES (%s, %s, %s, %s) RETURNING id",
            (low, high, MESSAGES, MESSAGES // 2),
        ).fetchone()[0]  # type: ignore[index]
        conn.execute(
            "INSERT INTO messages (conversation_id, position, sender_id, recipient_id, content, sender_seq)"
            " SELECT %s, g, CASE WHEN g %% 2 = 0 THEN %s::uuid ELSE %s::uuid END,"
            " CASE WHEN g %% 2 = 0 THEN %s::uuid ELSE %s::uuid END, 'message number ' || g, g"
            " FROM generate_series(1, %s) g",
            (conversation, low, high, high, low, MESSAGES),
        )
        # autovacuum would merge the GIN pending list; do it now, as it prices the index
        conn.execute("SELECT gin_clean_pending_list('messages_search_vector')")
        conn.execute("ANALYZE messages")
        conn.execute("ANALYZE conversations")
        yield conn, {"conversation": conversation, "low": low, "high": high}


@pytest.mark.parametrize(("first", "last"), [(1, 50), (MESSAGES - 49, MESSAGES), (30_000, 30_049)])
def test_history_pages_read_one_index_range(
    deep: tuple[psycopg.Connection[Any], dict[str, Any]], first: int, last: int
) -> None:
    conn, ids = deep
    nodes = explain(
        conn,
        "history_range",
        {"conversation_id": ids["conversation"], "first": first, "last": last},
    )
    assert "Seq Scan" not in [n["Node Type"] for n in nodes]
    # an index scan of the range, or a bitmap of it (then a sort of the page): either way the
    # index is searched by conversation and position, so nothing outside the page is read
    scans = [n for n in nodes if "Index Name" in n]
    assert {n["Index Name"] for n in scans} == {"messages_conversation_position_key"}
    assert all("position" in n["Index Cond"] for n in scans), scans


def test_keyset_anchor_is_a_primary_key_lookup(
    deep: tuple[psycopg.Connection[Any], dict[str, Any]],
) -> None:
    conn, ids = deep
    message_id = conn.execute(
        "SELECT id FROM messages WHERE conversation_id = %s AND position = 30000",
        (ids["conversation"],),
    ).fetchone()[0]  # type: ignore[index]
    nodes = explain(
        conn, "message_position", {"conversation_id": ids["conversation"], "message_id": message_id}
    )
    assert [n.get("Index Name") for n in nodes if "Index" in n["Node Type"]] == ["messages_pkey"]


def test_read_mark_count_is_index_only(
    deep: tuple[psycopg.Connection[Any], dict[str, Any]],
) -> None:
    """mark_read counts the messages to the reader that a mark passes."""
    conn, ids = deep
    row = conn.execute(
        "EXPLAIN (FORMAT JSON) SELECT count(*) FROM messages m WHERE m.conversation_id = %s"
        " AND m.sender_id <> %s AND m.position > %s AND m.position <= %s",
        (ids["conversation"], ids["low"], MESSAGES - 100, MESSAGES),
    ).fetchone()
    nodes = list(plan_nodes(row[0][0]["Plan"]))  # type: ignore[index]
    assert "Seq Scan" not in [n["Node Type"] for n in nodes]
    assert any(n.get("Index Name") == "messages_conversation_position_key" for n in nodes)


def test_rare_word_search_uses_the_gin_index(
    deep: tuple[psycopg.Connection[Any], dict[str, Any]],
) -> None:
    conn, ids = deep
    nodes = explain(
        conn,
        "search_messages",
        {
            "user_id": ids["low"],
            "query": "zebra",
            "limit": 20,
            "offset": 0,
            "scanned": SEARCH_SCANNED,
        },
    )
    assert any(n.get("Index Name") == "messages_search_vector" for n in nodes), [
        (n["Node Type"], n.get("Index Name"), n.get("Plan Rows")) for n in nodes
    ]


def test_common_word_search_reads_newest_first_and_stops(
    deep: tuple[psycopg.Connection[Any], dict[str, Any]],
) -> None:
    """Every message matches: ranking them all would read the whole conversation."""
    conn, ids = deep
    nodes = explain(
        conn,
        "search_messages",
        {
            "user_id": ids["low"],
            "query": "number",
            "limit": 20,
            "offset": 0,
            "scanned": SEARCH_SCANNED,
        },
    )
    used = {n.get("Index Name") for n in nodes}
    assert {"messages_sender_recent", "messages_recipient_recent"} <= used, [
        (n["Node Type"], n.get("Index Name")) for n in nodes
    ]


def test_conversation_list_uses_the_activity_indexes(
    deep: tuple[psycopg.Connection[Any], dict[str, Any]],
) -> None:
    conn, ids = deep
    conn.execute(
        "INSERT INTO users (username, password_hash)"
        " SELECT 'many_' || g, 'x' FROM generate_series(1, 3000) g"
    )
    others = (
        "SELECT id, row_number() OVER (ORDER BY id) AS n FROM users WHERE username LIKE 'many_%%'"
    )
    # the user's 3000 conversations, among 60000 of other users, as a real table would hold
    conn.execute(
        "INSERT INTO conversations (participant1_id, participant2_id)"
        f" SELECT least(%s, id), greatest(%s, id) FROM ({others}) o",
        (ids["low"], ids["low"]),
    )
    conn.execute(
        "INSERT INTO conversations (participant1_id, participant2_id)"
        f" SELECT least(a.id, b.id), greatest(a.id, b.id) FROM ({others}) a"
        f" JOIN ({others}) b ON b.n BETWEEN a.n + 1 AND a.n + 20"
    )
    conn.execute("ANALYZE conversations")
    conn.execute("ANALYZE users")
    nodes = explain(
        conn, "conversations_of_user", {"user_id": ids["low"], "limit": 20, "offset": 0}
    )
    used = {n.get("Index Name") for n in nodes}
    assert {"conversations_participant1_activity", "conversations_participant2_activity"} <= used
    assert not any(n["Node Type"] == "Seq Scan" for n in nodes), [
        (n["Node Type"], n.get("Relation Name"), n.get("Index Name"), n.get("Plan Rows"))
        for n in nodes
    ]


def test_a_deep_replay_page_reads_only_its_own_range(
    deep: tuple[psycopg.Connection[Any], dict[str, Any]],
) -> None:
    """The planner cannot see the requests of a batch of pages (they come from arrays), so it
    guesses how much of a log each reads, and may read the log by a bitmap scan, which keeps
    no order: a page deep in a long log must still read its own events, not the whole rest of
    the log and sort it (seen: a replay of 10,000 events read 55,000 rows)."""
    conn, ids = deep
    conn.execute(
        "INSERT INTO outbox (user_id, seq, event, message_id)"
        " SELECT %s, position, 'message:received', id FROM messages"
        " WHERE conversation_id = %s AND position <= %s",
        (ids["low"], ids["conversation"], LOG_EVENTS),
    )
    conn.execute("ANALYZE outbox")
    params = {
        "user_ids": [ids["low"]],
        "sinces": [LOG_EVENTS // 3],
        "untils": [LOG_EVENTS],
        "limit": PAGE,
    }
    conn.execute("SET enable_indexscan = off")  # the plan that was seen: a bitmap scan
    try:
        explain = b"EXPLAIN (ANALYZE, FORMAT JSON) " + SQL["outbox_pages"]
        row = conn.execute(explain, params).fetchone()
    finally:
        conn.execute("RESET enable_indexscan")
    assert row is not None
    log_reads = [n for n in plan_nodes(row[0][0]["Plan"]) if n.get("Relation Name") == "outbox"]
    assert log_reads
    assert sum(n["Actual Rows"] * n["Actual Loops"] for n in log_reads) == PAGE
