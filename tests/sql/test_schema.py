"""The schema and the named queries, against the real PostgreSQL."""

from __future__ import annotations

import re
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from psycopg._queries import MAX_CACHED_STATEMENT_LENGTH

from app.db.files import SQL_DIR
from app.db.messages import SendRequest, send_params
from app.db.queries import SQL, compact, parse_queries
from tests.support.accounts import insert_user_pair
from tests.support.sends import UNLIMITED

MIGRATION_BOOKKEEPING = set(parse_queries((SQL_DIR / "schema_versions.sql").read_text()))
APP_DB = Path(__file__).resolve().parents[2] / "app" / "db"


def test_every_named_query_is_valid_against_the_schema(database_url: str) -> None:
    """EXPLAIN plans each query without running it: every table, column and type must exist."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        for name, query in SQL.items():
            if name in MIGRATION_BOOKKEEPING:
                continue  # run by every migrate(), tests/sql/test_migrations.py
            params = dict.fromkeys(re.findall(rb"%\((\w+)\)s", query))
            with conn.transaction(force_rollback=True):
                conn.execute(b"EXPLAIN " + query, {k.decode(): v for k, v in params.items()})


def test_every_named_query_is_used_by_the_database_layer() -> None:
    source = "\n".join(path.read_text() for path in APP_DB.glob("*.py"))
    unused = [name for name in SQL if f'SQL["{name}"]' not in source]
    assert unused == []


def test_query_files_parse() -> None:
    for path in SQL_DIR.glob("*.sql"):
        assert parse_queries(path.read_text()), path
    with pytest.raises(ValueError, match="twice"):
        parse_queries("-- name: a\nSELECT 1;\n-- name: a\nSELECT 2;")


def test_queries_are_sent_without_comments_or_indentation() -> None:
    text = """
        SELECT 'a -- b', x  -- the caller's x
        -- a line of comment, with 'an odd quote
            FROM t  WHERE y = '--'
    """
    assert compact(text) == "SELECT 'a -- b', x\nFROM t  WHERE y = '--'"


# Parsed again at each execute: once per batch of sends, not per send.
LONGER_THAN_THE_PARSE_CACHE = {"send_messages"}


def test_every_query_but_the_batch_send_is_short_enough_for_psycopgs_parse_cache() -> None:
    """Longer queries are parsed again at every execute (the send statements once were)."""
    longer = {name for name, query in SQL.items() if len(query) > MAX_CACHED_STATEMENT_LENGTH}
    assert longer == LONGER_THAN_THE_PARSE_CACHE


def test_constraints_hold(database_url: str) -> None:
    with psycopg.connect(database_url) as conn, conn.transaction(force_rollback=True):
        low, high = insert_user_pair(conn, "constraint")
        with pytest.raises(psycopg.errors.CheckViolation), conn.transaction():
            conn.execute(
                "INSERT INTO conversations (participant1_id, participant2_id) VALUES (%s, %s)",
                (high, low),
            )
        conn.execute(
            "INSERT INTO conversations (participant1_id, participant2_id) VALUES (%s, %s)",
            (low, high),
        )
        with pytest.raises(psycopg.errors.UniqueViolation), conn.transaction():
            conn.execute(
                "INSERT INTO conversations (participant1_id, participant2_id) VALUES (%s, %s)",
                (low, high),
            )
        with pytest.raises(psycopg.errors.UniqueViolation), conn.transaction():
            conn.execute("INSERT INTO users (username, password_hash) VALUES ('CONSTRAINT_A', 'x')")


def test_message_ids_are_uuid_v7_in_the_order_messages_were_stored(database_url: str) -> None:
    """Time-ordered ids put each insert into the newest leaves of messages_pkey."""
    with psycopg.connect(database_url) as conn, conn.transaction(force_rollback=True):
        sender, recipient = insert_user_pair(conn, "v7ids")
        for n in range(4):
            conn.execute(
                SQL["send_messages"],
                send_params([SendRequest(sender, f"m{n}", recipient_id=recipient)], UNLIMITED),
            )
            time.sleep(0.002)  # a new millisecond: within one, the random bits decide the order
        rows = conn.execute(
            "SELECT id, created_at FROM messages WHERE sender_id = %s ORDER BY position", (sender,)
        ).fetchall()
    ids = [row[0] for row in rows]
    assert [i.version for i in ids] == [7, 7, 7, 7]
    assert [i.variant for i in ids] == [uuid.RFC_4122] * 4
    assert ids == sorted(ids)
    for id_, created_at in rows:
        stamped = datetime.fromtimestamp((id_.int >> 80) / 1000, tz=UTC)
        assert abs(stamped - created_at) < timedelta(seconds=5)


def test_a_deleted_user_takes_their_conversations_messages_and_log(database_url: str) -> None:
    with psycopg.connect(database_url) as conn, conn.transaction(force_rollback=True):
        gone, stays = insert_user_pair(conn, "deleted")
        third = conn.execute(
            SQL["insert_user"], {"username": "deleted_c", "password_hash": "unused"}
        ).fetchone()
        assert third is not None
        for sender, recipient in ((gone, stays), (stays, gone), (stays, third[0])):
            conn.execute(
                SQL["send_messages"],
                send_params([SendRequest(sender, "hello", recipient_id=recipient)], UNLIMITED),
            )

        conn.execute("DELETE FROM users WHERE id = %s", (gone,))

        def count(query: str, user: object) -> int:
            row = conn.execute(query, (user, user)).fetchone()
            assert row is not None
            return int(row[0])

        messages = "SELECT count(*) FROM messages WHERE sender_id = %s OR recipient_id = %s"
        log = "SELECT count(*) FROM outbox WHERE user_id = %s OR user_id = %s"
        conversations = (
            "SELECT count(*) FROM conversations WHERE participant1_id = %s OR participant2_id = %s"
        )
        assert [count(q, gone) for q in (messages, log, conversations)] == [0, 0, 0]
        assert [count(q, third[0]) for q in (messages, log, conversations)] == [1, 1, 1]
