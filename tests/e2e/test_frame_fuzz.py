"""A fuzzer over `/chat` frames (contract sections 3 and 4): random JSON, unicode, huge numbers
and deep nesting, shaped like the protocol's frames or not. Whatever arrives, the server answers
with a 4xx-kind code (never INTERNAL_ERROR), keeps the connection open, and what it stored still
satisfies the schema's invariants."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import httpx
import psycopg
import pytest
import websockets
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.clients import PASSWORD
from tests.support.server import ChatServer

EVENTS = [
    "message:send",
    "message:edit",
    "message:delete",
    "message:read",
    "typing:start",
    "typing:stop",
    "ack",
    "sync",
    "session:ready",
    "",
]
NUMBERS = st.integers() | st.integers(-(2**200), 2**200) | st.floats()
JSON = st.recursive(
    st.none() | st.booleans() | NUMBERS | st.text(max_size=40),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=16,
)
# what a server must refuse: anything but an open connection's request frame, and a bounded set
# of codes for it
ALLOWED_CODES = {
    "BAD_FRAME",
    "VALIDATION_ERROR",
    "NOT_FOUND",
    "FORBIDDEN",
    "RATE_LIMITED",
    "CONFLICT",
    "PAYLOAD_TOO_LARGE",
}


def frames(ids: list[str]) -> st.SearchStrategy[str | bytes]:
    an_id = st.sampled_from(ids) | st.uuids().map(str) | st.text(max_size=40) | NUMBERS
    data = (
        st.fixed_dictionaries(
            {},
            optional={
                "recipientId": an_id,
                "conversationId": an_id,
                "messageId": an_id,
                "upToMessageId": an_id,
                "content": st.text(max_size=200) | JSON,
                "clientMessageId": st.text(max_size=80) | NUMBERS,
                "seq": NUMBERS,
                "since": NUMBERS,
            },
        )
        | JSON
    )
    shaped = st.builds(
        lambda event, payload, ref: json.dumps({"event": event, "data": payload, "ref": ref}),
        st.sampled_from(EVENTS) | st.text(max_size=20),
        data,
        st.none() | st.text(max_size=20) | NUMBERS,
    )
    deep = st.integers(1, 30_000).map(
        lambda n: '{"event": "message:send", "data": ' + "[" * n + "]" * n + "}"
    )
    return shaped | JSON.map(json.dumps) | deep | st.text(max_size=100) | st.binary(max_size=100)


INVARIANTS = {
    "message counts match the conversations'": """
        SELECT count(*) FROM conversations c
        WHERE c.message_count <> (SELECT count(*) FROM messages m WHERE m.conversation_id = c.id)
           OR c.participant1_sent <> (SELECT count(*) FROM messages m
                                      WHERE m.conversation_id = c.id
                                        AND m.sender_id = c.participant1_id)""",
    "positions run 1..n in each conversation": """
        SELECT count(*) FROM (
            SELECT conversation_id FROM messages GROUP BY conversation_id
            HAVING min(position) <> 1 OR max(position) <> count(*)
                OR count(DISTINCT position) <> count(*)) gaps""",
    "a message is between its conversation's two participants": """
        SELECT count(*) FROM messages m JOIN conversations c ON c.id = m.conversation_id
        WHERE m.sender_id = m.recipient_id
           OR m.sender_id NOT IN (c.participant1_id, c.participant2_id)
           OR m.recipient_id NOT IN (c.participant1_id, c.participant2_id)""",
    "no outbox event is past its user's head": """
        SELECT count(*) FROM outbox o JOIN outbox_heads h USING (user_id)
        WHERE o.seq > h.last_seq OR o.seq < 1""",
}


def account(http: httpx.Client) -> tuple[str, str]:
    name = f"fuzz{uuid.uuid4().hex[:10]}"
    created = http.post("/auth/register", json={"username": name, "password": PASSWORD})
    login = http.post("/auth/login", json={"username": name, "password": PASSWORD})
    return created.json()["id"], login.json()["accessToken"]


@pytest.fixture(scope="module")
def fuzzers(server: ChatServer) -> tuple[str, str, str]:
    """Two users: the fuzzing one's id and token, and the other's id."""
    with httpx.Client(base_url=server.base_url, timeout=10) as http:
        (alice, token), (bob, _) = account(http), account(http)
    return alice, token, bob


async def exchange(url: str, sent: list[str | bytes], recipient: str) -> list[dict[str, Any]]:
    """Sends the frames, then a real message: what came back, up to its reply."""
    async with websockets.connect(url, open_timeout=10, max_size=None) as ws:
        got = [json.loads(await asyncio.wait_for(ws.recv(), 10))]
        while got[-1]["event"] != "session:ready":  # after what the log replays
            got.append(json.loads(await asyncio.wait_for(ws.recv(), 10)))
        for frame in sent:
            await ws.send(frame)
        probe = {"recipientId": recipient, "content": "still here"}
        await ws.send(json.dumps({"event": "message:send", "data": probe, "ref": "probe"}))
        while got[-1].get("ref") != "probe" or got[-1]["event"] not in ("reply", "error"):
            got.append(json.loads(await asyncio.wait_for(ws.recv(), 10)))
        return got


@settings(
    max_examples=100,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(data=st.data())
def test_no_frame_breaks_the_connection_or_the_store(
    server: ChatServer, database_url: str, fuzzers: tuple[str, str, str], data: st.DataObject
) -> None:
    alice, token, bob = fuzzers
    sent = data.draw(st.lists(frames([alice, bob]), max_size=8))
    got = asyncio.run(exchange(f"{server.ws_url}?token={token}", sent, bob))

    assert got[-1]["event"] == "reply", got[-1]  # the connection still serves
    errors = [f["data"]["code"] for f in got if f["event"] == "error"]
    assert set(errors) <= ALLOWED_CODES, errors
    with psycopg.connect(database_url, autocommit=True) as conn:
        for invariant, query in INVARIANTS.items():
            row = conn.execute(query).fetchone()
            assert row is not None and row[0] == 0, invariant
