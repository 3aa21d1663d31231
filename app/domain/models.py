"""Entities as msgspec Structs; their camelCase form is the wire form of contract section 2."""

from __future__ import annotations

import enum
from datetime import datetime  # noqa: TC003 - msgspec needs the runtime type
from typing import Generic, TypeVar
from uuid import UUID  # noqa: TC003 - msgspec needs the runtime type

import msgspec


class CamelStruct(msgspec.Struct, rename="camel", frozen=True):
    """Base of every wire type: snake_case in Python, camelCase in JSON."""


class MessageStatus(enum.StrEnum):
    SENT = "sent"
    DELIVERED = "delivered"
    READ = "read"


class User(CamelStruct, frozen=True):
    id: UUID
    username: str
    created_at: datetime


class Message(CamelStruct, frozen=True):
    id: UUID
    conversation_id: UUID
    sender_id: UUID
    recipient_id: UUID
    content: str
    status: MessageStatus
    created_at: datetime
    delivered_at: datetime | None
    read_at: datetime | None
    client_message_id: str | None
    edited_at: datetime | None = None
    deleted_at: datetime | None = None  # a tombstone: its content is "" (erased)


class Version(CamelStruct, frozen=True):
    """What a message said from `at` on: the original (`at` its creation), then each edit."""

    content: str
    at: datetime


class Versions(CamelStruct, frozen=True):
    items: list[Version]


class Participant(CamelStruct, frozen=True):
    user_id: UUID
    username: str


class LastMessage(CamelStruct, frozen=True):
    id: UUID
    content: str
    sender_id: UUID
    created_at: datetime


class Conversation(CamelStruct, frozen=True):
    id: UUID
    participants: list[Participant]
    last_message: LastMessage | None
    unread_count: int
    created_at: datetime
    updated_at: datetime


T = TypeVar("T")


class Page(CamelStruct, Generic[T], frozen=True):
    items: list[T]
    total: int
    limit: int
    offset: int | None
