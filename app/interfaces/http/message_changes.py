"""Editing, deleting and reporting a message, and its versions (contract section 5)."""

from __future__ import annotations

from uuid import UUID

from litestar import Controller, Response, delete, get, patch, post

from app.domain.models import Message, Versions
from app.interfaces.http.dependencies import SECURITY, error_responses
from app.interfaces.http.schemas import EditMessageBody, ReportBody, ReportCreated
from app.services.container import Services
from app.services.tokens import Identity

ERRORS = ("VALIDATION_ERROR", "UNAUTHORIZED", "FORBIDDEN", "NOT_FOUND")


class MessageChangeController(Controller):
    path = "/conversations/{conversation_id:uuid}/messages/{message_id:uuid}"
    tags = ["messages"]  # noqa: RUF012 - Litestar reads it as a class attribute
    security = SECURITY

    @patch("/", responses=error_responses(*ERRORS, "CONFLICT", "RATE_LIMITED"))
    async def edit(
        self,
        conversation_id: UUID,
        message_id: UUID,
        data: EditMessageBody,
        identity: Identity,
        services: Services,
    ) -> Message:
        """Replaces the content of your message (the earlier one is kept as a version). Counts
        against the send rate limit; a deleted message cannot be edited (409)."""
        change = await services.changes.edit(
            identity.user_id, message_id, data.content, conversation_id=conversation_id
        )
        return change.message

    @delete("/", status_code=200, responses=error_responses(*ERRORS))
    async def delete(
        self, conversation_id: UUID, message_id: UUID, identity: Identity, services: Services
    ) -> Response[Message]:
        """Deletes your message for everyone: its content and versions are erased, and a
        tombstone (content "", deletedAt) keeps its place. Again: the same tombstone."""
        change = await services.changes.delete(
            identity.user_id, message_id, conversation_id=conversation_id
        )
        return Response(change.message, status_code=200)

    @get("/versions", responses=error_responses(*ERRORS))
    async def versions(
        self, conversation_id: UUID, message_id: UUID, identity: Identity, services: Services
    ) -> Versions:
        """What the message said over time, oldest first; the last is its content now."""
        return await services.changes.versions(identity.user_id, conversation_id, message_id)

    @post("/report", status_code=202, responses=error_responses(*ERRORS, "CONFLICT"))
    async def report(
        self,
        conversation_id: UUID,
        message_id: UUID,
        data: ReportBody,
        identity: Identity,
        services: Services,
    ) -> ReportCreated:
        """Reports a message you received, for moderation; the report keeps a copy of it."""
        report_id = await services.reports.report(
            identity.user_id, conversation_id, message_id, data.reason
        )
        return ReportCreated(report_id)
