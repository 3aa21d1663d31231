"""Every service of one worker process, built once at start-up.

A plain class on purpose: Litestar hands dependencies through its msgspec signature model,
which would convert a dataclass or Struct field by field on every request."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.db.pool import Database
    from app.services.accounts import AccountService
    from app.services.blocks import BlockService
    from app.services.conversations import ConversationService
    from app.services.health import HealthService
    from app.services.message_changes import MessageChangeService
    from app.services.messaging import MessagingService
    from app.services.outbox import OutboxService
    from app.services.receipts import ReceiptService
    from app.services.reports import ReportService
    from app.services.search import SearchService
    from app.services.sessions import SessionService


class Services:
    def __init__(  # noqa: PLR0913 - one parameter per service
        self,
        *,
        db: Database,
        accounts: AccountService,
        blocks: BlockService,
        changes: MessageChangeService,
        conversations: ConversationService,
        health: HealthService,
        messaging: MessagingService,
        receipts: ReceiptService,
        reports: ReportService,
        outbox: OutboxService,
        search: SearchService,
        sessions: SessionService,
    ) -> None:
        self.db = db
        self.accounts = accounts
        self.blocks = blocks
        self.changes = changes
        self.conversations = conversations
        self.health = health
        self.messaging = messaging
        self.receipts = receipts
        self.reports = reports
        self.outbox = outbox
        self.search = search
        self.sessions = sessions
