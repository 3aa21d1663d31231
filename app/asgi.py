"""The application: `create_app()` is what granian serves in each worker process."""

from __future__ import annotations

import asyncio
import logging
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from limits import parse
from litestar import Litestar

from app.db.pool import Database
from app.domain.rules import MAX_BODY_BYTES, SendLimit
from app.interfaces.core import ChatPlugin
from app.interfaces.correlation import correlation_middleware
from app.interfaces.protection import protective_headers
from app.interfaces.state import AppState
from app.interfaces.ws.server_send import keep_server_send
from app.lib.collector import settle_collector
from app.lib.logs import configure_logging
from app.lib.settings import load_settings
from app.realtime.runtime import Realtime
from app.realtime.typing import TypingTracker
from app.server.worker_stop import WorkerStop, hold_stop_signals
from app.services.accounts import AccountService
from app.services.blocks import BlockService
from app.services.container import Services
from app.services.conversations import ConversationService
from app.services.health import HealthService
from app.services.message_changes import MessageChangeService
from app.services.messaging import MessagingService
from app.services.outbox import OutboxService
from app.services.receipts import ReceiptService
from app.services.reports import ReportService
from app.services.search import SearchService
from app.services.sessions import SessionService
from app.services.tokens import TokenService
from app.stores.connection_slots import ConnectionSlots
from app.stores.throttles import Throttle

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from litestar.types import ASGIApp

    from app.lib.settings import Settings

log = logging.getLogger("chat.app")


def build_state(settings: Settings) -> AppState:
    assert settings.database_url is not None  # noqa: S101 - the CLI resolves the embedded URL
    assert settings.jwt_secret is not None  # noqa: S101 - the CLI resolves the embedded secret
    db = Database(settings.database_url)
    outbox = OutboxService(db)
    realtime = Realtime(settings.redis_url, outbox, settings.delivery_check_seconds)
    hub = realtime.hub
    conversations = ConversationService(db)
    limit = _send_limit(settings.rate_limit)  # sends and edits, counted by their statements
    blocks = BlockService(db)
    tokens = TokenService(settings.jwt_secret, settings.access_token_ttl)
    sessions = SessionService(db, tokens, settings.refresh_token_ttl, realtime.revocations)
    failed_logins = Throttle(settings.login_rate_limit, "login", settings.redis_url)
    services = Services(
        db=db,
        accounts=AccountService(db, sessions, failed_logins),
        blocks=blocks,
        changes=MessageChangeService(db, limit, hub),
        conversations=conversations,
        health=HealthService(db),
        messaging=MessagingService(db, limit, hub),
        receipts=ReceiptService(db, hub),
        reports=ReportService(db),
        outbox=outbox,
        search=SearchService(db),
        sessions=sessions,
    )
    typing = TypingTracker(hub, conversations, blocks)
    return AppState(
        services=services,
        realtime=realtime,
        typing=typing,
        auth_requests=Throttle(settings.auth_rate_limit, "auth", settings.redis_url),
        connection_slots=ConnectionSlots(settings.max_connections_per_user, settings.redis_url),
        allowed_origins=settings.allowed_origins,
        metrics_token=settings.metrics_token,
    )


def _send_limit(notation: str) -> SendLimit:
    """CHAT_RATE_LIMIT, in the `limits` notation (settings checked it parses)."""
    item = parse(notation)
    return SendLimit(item.amount, item.get_expiry())


def create_app(settings: Settings | None = None) -> ASGIApp:
    """What granian serves in each worker process."""
    hold_stop_signals()  # before anything starts a thread: app/server/worker_stop.py
    settings = settings or load_settings()
    configure_logging()
    state = build_state(settings)

    @asynccontextmanager
    async def lifespan(_: Litestar) -> AsyncIterator[None]:
        await state.services.db.open()
        await state.realtime.start()
        sessions = state.services.sessions
        state.realtime.revocations.start(sessions.forget, sessions.live_of)
        await state.connection_slots.start()
        WorkerStop(state.realtime.drain.run).start()
        young_collections = settle_collector()
        search_merges = asyncio.get_running_loop().create_task(state.services.search.keep_merging())
        log.info("worker ready")
        try:
            yield
        finally:
            search_merges.cancel()
            young_collections.cancel()
            await state.realtime.stop()
            await state.connection_slots.stop()
            await state.services.db.close()

    app = Litestar(
        plugins=[ChatPlugin()], lifespan=[lifespan], request_max_body_size=MAX_BODY_BYTES
    )
    app.state.chat = state
    return correlation_middleware(protective_headers(keep_server_send(app)))
