"""Client-to-server frames: one msgspec tagged union, decoded once per frame.

A frame that is not a JSON object with a known string `event` is a BAD_FRAME; a known
event whose fields break a rule is a VALIDATION_ERROR. Either way the connection goes on.
"""

from __future__ import annotations

import re
from typing import Annotated
from uuid import UUID

import msgspec

from app.domain.errors import BadFrame, ChatError, ValidationFailed
from app.domain.models import CamelStruct
from app.domain.rules import ClientMessageId, Content

Ref = str | int | None
# A seq: 0 or more, and small enough for PostgreSQL's bigint with room to add a page to it.
NonNegative = Annotated[int, msgspec.Meta(ge=0, le=2**62)]


class _Frame(msgspec.Struct, frozen=True, tag_field="event"):
    ref: Ref = None
    seq: int | None = None


class SendData(CamelStruct, frozen=True, forbid_unknown_fields=False):
    content: Content
    recipient_id: UUID | None = None
    conversation_id: UUID | None = None
    client_message_id: ClientMessageId | None = None


class SendFrame(_Frame, tag="message:send", frozen=True):
    data: SendData | None = None


class EditData(CamelStruct, frozen=True, forbid_unknown_fields=False):
    message_id: UUID
    content: Content


class EditFrame(_Frame, tag="message:edit", frozen=True):
    data: EditData | None = None


class DeleteData(CamelStruct, frozen=True, forbid_unknown_fields=False):
    message_id: UUID


class DeleteFrame(_Frame, tag="message:delete", frozen=True):
    data: DeleteData | None = None


class ReadData(CamelStruct, frozen=True):
    conversation_id: UUID
    up_to_message_id: UUID


class ReadFrame(_Frame, tag="message:read", frozen=True):
    data: ReadData | None = None


class TypingData(CamelStruct, frozen=True):
    conversation_id: UUID


class TypingStartFrame(_Frame, tag="typing:start", frozen=True):
    data: TypingData | None = None


class TypingStopFrame(_Frame, tag="typing:stop", frozen=True):
    data: TypingData | None = None


class AckData(CamelStruct, frozen=True):
    seq: NonNegative


class AckFrame(_Frame, tag="ack", frozen=True):
    data: AckData | None = None


class SyncData(CamelStruct, frozen=True):
    since: NonNegative


class SyncFrame(_Frame, tag="sync", frozen=True):
    data: SyncData | None = None


ClientFrame = (
    SendFrame
    | EditFrame
    | DeleteFrame
    | ReadFrame
    | TypingStartFrame
    | TypingStopFrame
    | AckFrame
    | SyncFrame
)
EVENTS = frozenset(
    frame.__struct_config__.tag
    for frame in (
        SendFrame,
        EditFrame,
        DeleteFrame,
        ReadFrame,
        TypingStartFrame,
        TypingStopFrame,
        AckFrame,
        SyncFrame,
    )
)

_DECODER = msgspec.json.Decoder(ClientFrame)


class _Envelope(msgspec.Struct):
    """Just enough of a frame to classify a failure and echo its `ref`."""

    event: str
    ref: Ref = None


_ENVELOPE = msgspec.json.Decoder(_Envelope)


class FrameError(Exception):
    def __init__(self, error: ChatError, ref: Ref) -> None:
        super().__init__(error.message)
        self.error = error
        self.ref = ref


def decode_frame(raw: str | bytes) -> ClientFrame:
    try:
        frame: ClientFrame = _DECODER.decode(raw)
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        raise _classify(raw, exc) from exc
    except RecursionError as exc:  # nested deeper than the decoder goes: no field nests at all
        raise FrameError(BadFrame("a frame's JSON is nested too deeply"), None) from exc
    if frame.data is None:
        raise FrameError(ValidationFailed.field("data", "data is required"), frame.ref)
    return frame


def _classify(raw: str | bytes, exc: Exception) -> FrameError:
    try:
        envelope = _ENVELOPE.decode(raw)
    except (msgspec.ValidationError, msgspec.DecodeError, RecursionError):
        return FrameError(BadFrame("a frame is a JSON object with a string `event`"), None)
    if envelope.event not in EVENTS:
        return FrameError(BadFrame(f"unknown event {envelope.event!r}"), envelope.ref)
    return FrameError(validation_error(exc), envelope.ref)


_PATH = re.compile(r"at `\$\.?([^`]*)`")


def validation_error(exc: Exception) -> ValidationFailed:
    """A msgspec error as a VALIDATION_ERROR naming the offending field."""
    text = str(exc)
    match = _PATH.search(text)
    field = match.group(1) if match else ""
    return ValidationFailed(text, details={"field": field} if field else None)
