"""Request and response bodies of the REST API that are not domain entities."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

import msgspec

from app.domain.models import CamelStruct
from app.domain.rules import (
    NO_NUL_PATTERN,
    PASSWORD_MAX,
    PASSWORD_MIN,
    REPORT_REASON_MAX,
    TEXT_PATTERN,
    USERNAME_PATTERN,
    ClientMessageId,
    Content,
)


class RegisterBody(CamelStruct, frozen=True):
    username: Annotated[str, msgspec.Meta(pattern=USERNAME_PATTERN, examples=["alice"])]
    password: Annotated[str, msgspec.Meta(min_length=PASSWORD_MIN, max_length=PASSWORD_MAX)]


class LoginBody(CamelStruct, frozen=True):
    username: Annotated[str, msgspec.Meta(max_length=64, pattern=NO_NUL_PATTERN)]
    password: Annotated[str, msgspec.Meta(max_length=PASSWORD_MAX, pattern=NO_NUL_PATTERN)]


class RefreshBody(CamelStruct, frozen=True):
    refresh_token: Annotated[str, msgspec.Meta(min_length=1, max_length=256)]


class OpenConversationBody(CamelStruct, frozen=True):
    participant_id: UUID


class SendMessageBody(CamelStruct, frozen=True):
    content: Content
    client_message_id: ClientMessageId | None = None


class EditMessageBody(CamelStruct, frozen=True):
    content: Content


class ReportBody(CamelStruct, frozen=True):
    reason: Annotated[
        str, msgspec.Meta(min_length=1, max_length=REPORT_REASON_MAX, pattern=TEXT_PATTERN)
    ]


class ReportCreated(CamelStruct, frozen=True):
    id: UUID


class MarkReadBody(CamelStruct, frozen=True):
    up_to_message_id: UUID


class Status(CamelStruct, frozen=True, omit_defaults=True):
    status: str
    database: str | None = None
    redis: str | None = None
