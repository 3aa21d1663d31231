"""The one encoder of frames: a page of outbox events is written as each would be alone."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

from app.domain.events import Event, LogEvent, StatusChange, frame, log_frames
from app.domain.models import Message, MessageStatus

CONTENTS = ["plain", "lines\nand\ttabs\r\n", "\u2028\u2029 é 😀", '{"event":"x"}\n,"seq":1']


def test_a_page_of_frames_is_each_frame_as_written_alone() -> None:
    at = datetime(2026, 1, 2, 3, 4, 5, 120000, tzinfo=UTC)
    events: list[LogEvent] = []
    for seq, content in enumerate(CONTENTS, start=1):
        message = Message(
            uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), content,
            MessageStatus.SENT, at, None, None, "k\n1",
        )  # fmt: skip
        events.append(LogEvent(seq, Event.MESSAGE_RECEIVED, message))
    change = StatusChange(uuid.uuid4(), uuid.uuid4(), MessageStatus.READ, at, at)
    events.append(LogEvent(len(events) + 1, Event.MESSAGE_STATUS, change))

    page = log_frames(events)
    assert page == [frame(e.event, e.data, seq=e.seq) for e in events]
    assert [json.loads(text)["data"].get("content") for text in page[:-1]] == CONTENTS
    assert json.loads(page[0])["data"]["createdAt"] == "2026-01-02T03:04:05.120000Z"
    assert log_frames([]) == []
