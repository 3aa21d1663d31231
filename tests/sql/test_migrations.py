"""`chat migrate`: advanced-alchemy's Alembic running the SQL of migrations/, against the real
PostgreSQL. Concurrent starts take turns, a database of the runner before it is adopted with
every row, and the revisions that can be undone go back and forth to the same schema."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from app.db.migrate import commands, current_revision, migrate, migration_files
from tests.support.server import CHAT
from tests.support.services import SECRET, create_database, drop_database

pytestmark = pytest.mark.slow
HEAD = migration_files()[-1][0]
# What the schema is made of, as the catalog says: tables and columns, indexes, constraints,
# functions and triggers.
CATALOG = """
SELECT 'column', table_name || '.' || column_name || ' ' || data_type || ' ' || coalesce(column_default, '')
FROM information_schema.columns WHERE table_schema = 'public'
UNION ALL SELECT 'index', indexdef FROM pg_indexes WHERE schemaname = 'public'
UNION ALL SELECT 'constraint', conrelid::regclass || ' ' || pg_get_constraintdef(oid)
FROM pg_constraint WHERE connamespace = 'public'::regnamespace
UNION ALL SELECT 'function', p.oid::regprocedure || ' ' || md5(pg_get_functiondef(p.oid))
FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace
UNION ALL SELECT 'trigger', tgname || ' ' || tgrelid::regclass FROM pg_trigger WHERE NOT tgisinternal
ORDER BY 1, 2
"""


@pytest.fixture
def empty_database() -> Iterator[str]:
    name, url = create_database()
    try:
        yield url
    finally:
        drop_database(name)


def chat_migrate(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": url, "CHAT_JWT_SECRET": SECRET}
    return subprocess.run(
        [CHAT, "migrate", *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def catalog(url: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(url) as conn:
        return conn.execute(CATALOG).fetchall()


def test_concurrent_starts_take_turns(empty_database: str) -> None:
    runs = [
        subprocess.Popen(
            [CHAT, "migrate"],
            env={**os.environ, "DATABASE_URL": empty_database, "CHAT_JWT_SECRET": SECRET},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for _ in range(3)
    ]
    outputs = [run.communicate(timeout=120)[0] for run in runs]
    assert [run.returncode for run in runs] == [0, 0, 0], outputs
    everything = ",".join(revision for revision, _ in migration_files())
    applied = sorted(out.split('"applied":"')[1].split('"')[0] for out in outputs)
    assert applied == [everything, "none", "none"]  # one applied them all, once
    assert current_revision(empty_database) == HEAD
    assert migrate(empty_database) == []  # again: nothing to do


def test_a_database_of_the_old_runner_is_adopted_with_every_row(empty_database: str) -> None:
    url = empty_database
    with psycopg.connect(url, autocommit=True) as conn:  # what the old runner left behind
        conn.execute(
            "CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL,"
            " applied_at timestamptz NOT NULL DEFAULT now())"
        )
        for revision, path in migration_files()[:8]:
            with conn.transaction():
                conn.execute(path.read_bytes())
                conn.execute(
                    "INSERT INTO schema_migrations (version, name) VALUES (%s, %s)",
                    (int(revision), path.stem.split("_", 1)[1]),
                )
        conn.execute(
            "INSERT INTO users (username, password_hash) VALUES ('old_a', 'h'), ('old_b', 'h')"
        )
        conn.execute("INSERT INTO outbox_heads (user_id) SELECT id FROM users")
        conn.execute("INSERT INTO outbox_acks (user_id) SELECT id FROM users")
        conn.execute(
            "INSERT INTO conversations (participant1_id, participant2_id, message_count)"
            " SELECT min(id::text)::uuid, max(id::text)::uuid, 1 FROM users"
        )
        conn.execute(
            "INSERT INTO messages (conversation_id, position, sender_id, recipient_id, content,"
            " sender_seq) SELECT id, 1, participant1_id, participant2_id, 'kept across', 1"
            " FROM conversations"
        )
        before = {
            table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()
            for table in ("users", "conversations", "messages", "schema_migrations")
        }
    assert current_revision(url) == "0008"

    done = chat_migrate(url)
    assert done.returncode == 0, done.stderr
    assert current_revision(url) == HEAD
    with psycopg.connect(url) as conn:
        after = {
            table: conn.execute(f"SELECT count(*) FROM {table}").fetchone() for table in before
        }
        content = conn.execute("SELECT content FROM messages").fetchone()
    assert after == before
    assert content == ("kept across",)


def reversible() -> list[str]:
    """The revisions after the first, up to the first that has no way back."""
    found = []
    for revision, path in migration_files()[1:]:
        if not path.with_name(f"{path.stem}.down.sql").exists():
            break
        found.append(revision)
    return found


def test_revisions_go_back_and_forth_to_the_same_schema(empty_database: str) -> None:
    top = reversible()[-1]
    commands(empty_database).upgrade(top)
    at_top = catalog(empty_database)
    down = chat_migrate(empty_database, "downgrade", "0001")
    assert down.returncode == 0, down.stderr
    assert down.stdout.strip().splitlines()[-1] == "0001"
    assert catalog(empty_database) != at_top
    commands(empty_database).upgrade(top)
    assert catalog(empty_database) == at_top
    assert current_revision(empty_database) == top


def test_a_revision_without_a_safe_way_back_is_not_undone(empty_database: str) -> None:
    migrate(empty_database)
    refused = chat_migrate(empty_database, "downgrade", "base")
    assert refused.returncode == 2
    [line] = refused.stderr.strip().splitlines()
    assert line.startswith("chat: revision ")
    assert line.endswith(" cannot be undone safely; nothing was undone")
    assert current_revision(empty_database) == HEAD  # one transaction: all undone, or none
    history = chat_migrate(empty_database, "history")
    assert history.returncode == 0
    assert f"-> {HEAD} (head)" in history.stdout
