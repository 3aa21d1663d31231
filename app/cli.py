"""`chat serve` and `chat migrate`."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import resource
import shutil
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import msgspec
import psycopg
from dotenv import load_dotenv

from app.db.migrate import Irreversible, commands, current_revision, migrate
from app.db.pool import Database
from app.lib.logs import configure_logging
from app.lib.settings import DATA_DIR, ConfigError, Settings, load_settings
from app.server.embedded import embedded_jwt_secret, start_embedded_postgres
from app.services.reports import ReportService

if TYPE_CHECKING:
    from app.db.reports import Report

log = logging.getLogger("chat.cli")

MAX_CONNECTIONS_PER_WORKER = 65_536
IDLE_REQUEST_MS = 10_000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="chat", description="Real-time one-to-one chat service")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("serve", help="migrate if needed, then serve HTTP and WebSocket")
    migrating = commands.add_parser(
        "migrate",
        help="bring the database schema up to date (or show or undo revisions)",
        description="Schema migrations (advanced-alchemy's Alembic integration running the "
        "SQL files of migrations/). Without an action: upgrade to the newest revision.",
    )
    actions = migrating.add_subparsers(dest="action")
    actions.add_parser("upgrade", help="apply every revision not applied yet (the default)")
    actions.add_parser("current", help="print the database's revision")
    actions.add_parser("history", help="list every revision, newest first")
    back = actions.add_parser("downgrade", help="undo revisions down to REVISION")
    back.add_argument("revision", help="the revision to go back to (e.g. 0008, or -1)")
    reporting = commands.add_parser(
        "reports", help="print the moderation reports, newest first, one JSON object per line"
    )
    reporting.add_argument("--limit", type=int, default=10_000, help="at most this many")
    args = parser.parse_args(argv)
    load_dotenv(".env", override=False)
    configure_logging()
    try:
        settings = resolve_embedded(load_settings())
        if args.command == "migrate" and args.action not in (None, "upgrade"):
            return migration_command(settings, args.action, getattr(args, "revision", None))
        applied, revision = run_migrations(settings)
    except ConfigError as exc:
        print(f"chat: {exc}", file=sys.stderr)  # noqa: T201 - the one-line startup error
        return 2
    log.info(
        "schema up to date", extra={"revision": revision, "applied": ",".join(applied) or "none"}
    )
    if args.command == "serve":
        serve(settings)
    if args.command == "reports":
        print_reports(settings, args.limit)
    return 0


def resolve_embedded(settings: Settings) -> Settings:
    """Without DATABASE_URL: start the embedded PostgreSQL and use (or make) the kept secret."""
    if not settings.embedded:
        return settings
    try:
        url = start_embedded_postgres(DATA_DIR)
    except Exception as exc:
        raise ConfigError(
            "DATABASE_URL", f"unset, and the embedded PostgreSQL failed: {exc}"
        ) from exc
    secret = settings.jwt_secret or embedded_jwt_secret(DATA_DIR)
    return msgspec.structs.replace(settings, database_url=url, jwt_secret=secret)


def run_migrations(settings: Settings) -> tuple[list[str], str | None]:
    """The revisions applied now, and the schema's revision after."""
    assert settings.database_url is not None  # noqa: S101 - resolve_embedded set it
    try:
        current_revision(settings.database_url)  # fails fast, with psycopg's reason
        applied = migrate(settings.database_url)
        return applied, current_revision(settings.database_url)
    except psycopg.OperationalError as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ConfigError("DATABASE_URL", f"cannot connect to the database ({reason})") from exc


def migration_command(settings: Settings, action: str, revision: str | None) -> int:
    """`chat migrate current | history | downgrade REVISION`, printed as Alembic prints them."""
    assert settings.database_url is not None  # noqa: S101 - resolve_embedded set it
    alembic = commands(settings.database_url)
    if action == "current":
        print(current_revision(settings.database_url) or "none")  # noqa: T201 - the answer
    elif action == "history":
        alembic.history()
    else:
        try:
            alembic.downgrade(revision or "-1")
        except Irreversible as exc:
            print(f"chat: {exc}; nothing was undone", file=sys.stderr)  # noqa: T201 - one line
            return 2
        print(current_revision(settings.database_url) or "none")  # noqa: T201 - the answer
    return 0


def serve(settings: Settings) -> None:
    from granian.constants import HTTPModes, Interfaces  # noqa: PLC0415 - only `serve` needs it
    from granian.http import HTTP1Settings  # noqa: PLC0415
    from granian.log import LogLevels  # noqa: PLC0415

    from app.server.granian import DrainingGranian, granian_log_config  # noqa: PLC0415

    # Worker processes read their settings from the environment: hand them what was resolved.
    assert settings.database_url is not None  # noqa: S101
    assert settings.jwt_secret is not None  # noqa: S101
    os.environ["DATABASE_URL"] = settings.database_url
    os.environ["CHAT_JWT_SECRET"] = settings.jwt_secret
    raise_open_file_limit()
    metrics_folder = _metrics_folder()
    address = f"http://{settings.host}:{settings.port}"
    log.info("listening", extra={"address": address, "workers": settings.workers})
    server = DrainingGranian(
        "app.asgi:create_app",
        factory=True,
        interface=Interfaces.ASGI,
        address=settings.host,
        port=settings.port,
        workers=settings.workers,
        websockets=True,
        backlog=2048,
        # Each open WebSocket holds one of granian's per-worker request slots for its whole
        # life, so this is the ceiling on connections per worker, not on request concurrency.
        backpressure=MAX_CONNECTIONS_PER_WORKER,
        log_access=False,
        # a connection that sends no request within 10 s is closed (contract section 7); HTTP/1
        # only, as in auto mode granian waits for a first byte (to tell HTTP/2) with no timer
        http=HTTPModes.http1,
        http1_settings=HTTP1Settings(header_read_timeout=IDLE_REQUEST_MS),
        log_level=LogLevels.warning,
        log_dictconfig=granian_log_config(),
    )
    try:
        server.serve()
    finally:
        if metrics_folder is not None:
            shutil.rmtree(metrics_folder, ignore_errors=True)


def _metrics_folder() -> Path | None:
    """Where the workers keep their metrics, so that a scrape of one sees them all (created
    here, removed at exit; an operator's own PROMETHEUS_MULTIPROC_DIR is used as it is). Set
    before any worker imports prometheus_client, which reads it once, at import."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return None
    if "prometheus_client" in sys.modules:
        raise RuntimeError("prometheus_client was imported before its folder was chosen")
    folder = Path(tempfile.mkdtemp(prefix="chat-metrics-"))
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(folder)
    return folder


def print_reports(settings: Settings, limit: int) -> None:
    """`chat reports`: each report (with its copy of the message) as one line of JSON."""
    assert settings.database_url is not None  # noqa: S101 - resolve_embedded set it
    database = Database(settings.database_url)

    async def newest() -> list[Report]:
        await database.open()
        try:
            return await ReportService(database).newest(limit)
        finally:
            await database.close()

    for report in asyncio.run(newest()):
        sys.stdout.write(msgspec.json.encode(report).decode() + "\n")


def raise_open_file_limit() -> None:
    """Every WebSocket is a file descriptor: lift the soft limit to the hard one."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == hard:
        return
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    except (ValueError, OSError):  # an unlimited hard limit cannot be the soft one
        return
    log.info("open file limit raised", extra={"from": soft, "to": hard})


if __name__ == "__main__":
    sys.exit(main())
