"""Numbered, forward-only SQL migrations from `migrations/`, recorded in `schema_migrations`.

An advisory lock makes concurrent runs (several processes starting at once) take turns;
the second finds nothing left to do.
"""

from __future__ import annotations

import re
from pathlib import Path

import psycopg

from app.db.queries import SQL

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"
_FILE = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
_LOCK_KEY = 0x43484154  # "CHAT"


def migration_files(directory: Path = MIGRATIONS_DIR) -> list[tuple[int, str, Path]]:
    found = []
    for path in sorted(directory.glob("*.sql")):
        match = _FILE.match(path.name)
        if match is None:
            raise ValueError(f"migration file name {path.name!r} is not NNNN_name.sql")
        found.append((int(match.group(1)), match.group(2), path))
    versions = [version for version, _, _ in found]
    if len(set(versions)) != len(versions):
        raise ValueError("two migrations share a number")
    return found


def migrate(url: str, directory: Path = MIGRATIONS_DIR) -> list[int]:
    """Applies what is missing, each migration in its own transaction; returns what it applied."""
    applied_now: list[int] = []
    lock = {"key": _LOCK_KEY}
    with psycopg.connect(url, autocommit=True, connect_timeout=10) as conn:
        conn.execute(SQL["migrations_lock"], lock)
        try:
            conn.execute(SQL["migrations_table"])
            done = {row[0] for row in conn.execute(SQL["migrations_applied"])}
            for version, name, path in migration_files(directory):
                if version in done:
                    continue
                with conn.transaction():
                    conn.execute(path.read_bytes())
                    conn.execute(SQL["migration_record"], {"version": version, "name": name})
                applied_now.append(version)
        finally:
            conn.execute(SQL["migrations_unlock"], lock)
    return applied_now
