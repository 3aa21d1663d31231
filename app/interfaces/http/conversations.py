"""Conversations, their history, sending over REST, and read receipts."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from litestar import Controller, Response, get, post
from litestar.params import Parameter

from app.domain.events import Updated
from app.domain.models import Conversation, Message, Page
from app.domain.paging import HistoryQuery, Origin
from app.domain.rules import OFFSET_MAX, PAGE_LIMIT_MAX
from app.interfaces.http.dependencies import SECURITY, error_responses
from app.interfaces.http.schemas import MarkReadBody, OpenConversationBody, SendMessageBody
from app.services.container import Services
from app.services.tokens import Identity

ACCESS_ERRORS = ("VALIDATION_ERROR", "UNAUTHORIZED", "FORBIDDEN", "NOT_FOUND")


class ConversationController(Controller):
    path = "/conversations"
    tags = ["conversations"]  # noqa: RUF012 - Litestar reads it as a class attribute
    security = SECURITY

    @post(
        "/",
        responses=error_responses("VALIDATION_ERROR", "UNAUTHORIZED", "BLOCKED", "NOT_FOUND"),
    )
    async def open(
        self, data: OpenConversationBody, identity: Identity, services: Services
    ) -> Response[Conversation]:
        """Gets or creates the conversation with another user: 201 when created, else 200."""
        view, created = await services.conversations.open(identity.user_id, data.participant_id)
        return Response(view, status_code=201 if created else 200)

    @get("/", responses=error_responses("VALIDATION_ERROR", "UNAUTHORIZED"))
    async def list_mine(
        self,
        identity: Identity,
        services: Services,
        limit: Annotated[int, Parameter(ge=1, le=PAGE_LIMIT_MAX)] = 20,
        offset: Annotated[int, Parameter(ge=0, le=OFFSET_MAX)] = 0,
    ) -> Page[Conversation]:
        """The caller's conversations, most recent activity first, with unread counts."""
        return await services.conversations.list(identity.user_id, limit=limit, offset=offset)

    @get("/{conversation_id:uuid}", responses=error_responses(*ACCESS_ERRORS))
    async def get_one(
        self, conversation_id: UUID, identity: Identity, services: Services
    ) -> Conversation:
        return await services.conversations.get(identity.user_id, conversation_id)

    @get("/{conversation_id:uuid}/messages", responses=error_responses(*ACCESS_ERRORS))
    async def history(  # noqa: PLR0913 - the query parameters of contract section 2
        self,
        *,
        conversation_id: UUID,
        identity: Identity,
        services: Services,
        limit: Annotated[int, Parameter(ge=1, le=PAGE_LIMIT_MAX)] = 50,
        # schema_extra: Litestar's document drops a zero minimum on an optional parameter
        offset: Annotated[
            int | None, Parameter(ge=0, le=OFFSET_MAX, schema_extra={"minimum": 0})
        ] = None,
        origin: Annotated[Origin, Parameter(query="from")] = Origin.OLDEST,
        before: UUID | None = None,
        after: UUID | None = None,
    ) -> Page[Message]:
        """A page of history, oldest first. `offset` counts from the oldest message (from the
        newest with `from=newest`); `before`/`after` take the `limit` messages next to a
        message. At most one of offset, before, after."""
        query = HistoryQuery(limit=limit, offset=offset, origin=origin, before=before, after=after)
        return await services.conversations.history(identity.user_id, conversation_id, query)

    @post(
        "/{conversation_id:uuid}/messages",
        responses=error_responses(*ACCESS_ERRORS, "BLOCKED", "RATE_LIMITED", "PAYLOAD_TOO_LARGE"),
    )
    async def send(
        self, conversation_id: UUID, data: SendMessageBody, identity: Identity, services: Services
    ) -> Response[Message]:
        """Sends a message: 201, or 200 with the original when clientMessageId repeats."""
        sent = await services.messaging.send(
            identity.user_id,
            content=data.content,
            conversation_id=conversation_id,
            client_message_id=data.client_message_id,
        )
        return Response(sent.message, status_code=201 if sent.created else 200)

    @post(
        "/{conversation_id:uuid}/read", status_code=200, responses=error_responses(*ACCESS_ERRORS)
    )
    async def mark_read(
        self, conversation_id: UUID, data: MarkReadBody, identity: Identity, services: Services
    ) -> Updated:
        """Marks read every message from the other participant up to `upToMessageId`."""
        read = await services.receipts.mark_read(
            identity.user_id, conversation_id, data.up_to_message_id
        )
        return Updated(read.updated)
