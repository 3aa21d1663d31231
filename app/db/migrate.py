"""Schema migrations: advanced-alchemy's Alembic integration, running the hand-written SQL of
`migrations/` (no ORM models: each revision executes its file).

`migrations/NNNN_name.sql` is revision NNNN, after NNNN-1; `migrations/versions/NNNN_name.py`
declares it to Alembic with `sql_revision(__file__)`. `NNNN_name.down.sql`, where there is
one, undoes it (the first revision has none: it would drop every table).

An upgrade runs in one transaction behind an advisory lock, so concurrent starts take turns
and the second finds nothing to do. A database made by the runner before this one (its
`schema_migrations` table) is adopted: its highest version becomes the Alembic revision.
"""

from __future__ import annotations

import asyncio
import re
from typing import TYPE_CHECKING, Any

import psycopg
from advanced_alchemy.alembic.commands import AlembicCommands
from advanced_alchemy.config.asyncio import AlembicAsyncConfig, SQLAlchemyAsyncConfig
from sqlalchemy import pool
from sqlalchemy.ext.asyncio import create_async_engine

from app.db.files import MIGRATIONS_DIR
from app.db.queries import SQL

if TYPE_CHECKING:
    from collections.abc import Callable, Collection, Mapping
    from pathlib import Path

    from alembic.runtime.migration import MigrationContext, MigrationInfo
    from sqlalchemy.engine import Connection

VERSION_TABLE = "chat_schema_versions"
_REVISION = re.compile(r"^(\d{4})_([a-z0-9_]+)$")
_LOCK_KEY = 0x43484154  # "CHAT"


class Irreversible(Exception):
    """A downgrade past a revision that has no safe way back."""


def migration_files(directory: Path = MIGRATIONS_DIR) -> list[tuple[str, Path]]:
    """Each revision and its SQL file, in order."""
    found = []
    for path in sorted(directory.glob("*.sql")):
        if path.name.endswith(".down.sql"):
            continue
        match = _REVISION.match(path.stem)
        if match is None:
            raise ValueError(f"migration file name {path.name!r} is not NNNN_name.sql")
        found.append((match.group(1), path))
    revisions = [revision for revision, _ in found]
    if revisions != [f"{n:04d}" for n in range(1, len(found) + 1)]:
        raise ValueError(f"migrations must be numbered 0001 on without gaps: {revisions}")
    return found


def sql_revision(
    module_file: str,
) -> tuple[str, str | None, Callable[[], None], Callable[[], None]]:
    """What a revision module declares: its revision, the one before, upgrade and downgrade."""
    from alembic import op  # noqa: PLC0415 - Alembic sets `op` up only while it runs

    stem = module_file.rsplit("/", 1)[-1].removesuffix(".py")
    match = _REVISION.match(stem)
    if match is None:
        raise ValueError(f"revision module {stem!r} is not NNNN_name.py")
    number = int(match.group(1))
    forward = MIGRATIONS_DIR / f"{stem}.sql"
    backward = MIGRATIONS_DIR / f"{stem}.down.sql"

    def run(path: Path) -> None:
        # The driver's own cursor, without parameters: a file holds many statements, and `%`
        # in its SQL is not a placeholder.
        op.get_bind().connection.dbapi_connection.cursor().execute(path.read_text())  # type: ignore[union-attr]

    def upgrade() -> None:
        run(forward)

    def downgrade() -> None:
        if not backward.exists():
            raise Irreversible(f"revision {stem} cannot be undone safely")
        run(backward)

    before = None if number == 1 else f"{number - 1:04d}"
    return f"{number:04d}", before, upgrade, downgrade


def commands(url: str) -> AlembicCommands:
    """advanced-alchemy's Alembic commands for the database at `url`."""
    engine = create_async_engine(_driver_url(url), poolclass=pool.NullPool)
    config = SQLAlchemyAsyncConfig(
        engine_instance=engine,
        alembic_config=AlembicAsyncConfig(
            script_location=str(MIGRATIONS_DIR), version_table_name=VERSION_TABLE, script_config=""
        ),
    )
    return AlembicCommands(sqlalchemy_config=config)


def migrate(url: str) -> list[str]:
    """Upgrades to the newest revision; returns the revisions this call applied (none when a
    concurrent start applied them first)."""
    alembic = commands(url)
    applied: list[str] = []
    alembic.config.attributes["applied"] = applied
    alembic.upgrade("head")
    return applied


def current_revision(url: str) -> str | None:
    """The database's revision (the old runner's version, for a database not adopted yet)."""
    with psycopg.connect(url, autocommit=True, connect_timeout=10) as conn:
        tables = conn.execute(SQL["schema_tables"]).fetchone()
        assert tables is not None  # noqa: S101 - one row, always
        versions, old_runner = tables
        row = None
        if versions:
            row = conn.execute(SQL["schema_revision"]).fetchone()
        if row is None and old_runner:
            row = conn.execute(SQL["old_schema_version"]).fetchone()
    return None if row is None else row[0]


def _driver_url(url: str) -> str:
    scheme, _, rest = url.partition("://")
    return f"postgresql+psycopg://{rest}" if scheme in {"postgresql", "postgres"} else url


def run_in_alembic_environment() -> None:
    """The body of `migrations/env.py`: Alembic runs it for every command that needs the
    database."""
    from alembic import context  # noqa: PLC0415 - set up only while Alembic runs

    config: Any = context.config  # advanced-alchemy's AlembicCommandConfig: engine, table

    applied: list[str] = config.attributes.get("applied", [])

    def note(
        ctx: MigrationContext,
        step: MigrationInfo,
        heads: Collection[Any],
        run_args: Mapping[str, Any],
    ) -> None:
        del ctx, heads, run_args
        if step.is_upgrade:
            applied.extend(step.up_revision_ids)

    def run(connection: Connection) -> None:
        context.configure(
            connection=connection, version_table=config.version_table_name, on_version_apply=note
        )
        with context.begin_transaction():
            cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
            cursor.execute(SQL["migrations_lock"], {"key": _LOCK_KEY})
            cursor.execute(SQL["adopt_schema_migrations"])
            context.run_migrations()

    async def online() -> None:
        async with config.engine.connect() as connection:
            await connection.run_sync(run)
        await config.engine.dispose()

    asyncio.run(online())
