"""`GET /metrics` (contract section 7) against a real server with two workers: every scrape,
whichever worker answers it, sees the whole node."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.support.clients import Socket, User, register
from tests.support.server import ChatServer

pytestmark = pytest.mark.slow
TOKEN = "metrics-token-for-the-tests"


@pytest.fixture(scope="module")
def two_workers(database_url: str, redis_url: str) -> Iterator[ChatServer]:
    server = ChatServer(
        database_url=database_url,
        redis_url=redis_url,
        workers=2,
        rate_limit="5/minute",
        extra_env={"CHAT_METRICS_TOKEN": TOKEN},
    ).start()
    yield server
    server.stop()


@pytest.fixture
async def client(two_workers: ChatServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=two_workers.base_url, timeout=10) as http:
        yield http


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


async def scrape(http: httpx.AsyncClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = await http.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return samples(response.text)


def value(
    found: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str
) -> float:
    return found.get((name, tuple(sorted(labels.items()))), 0.0)


async def test_metrics_need_the_token_when_one_is_set(client: httpx.AsyncClient) -> None:
    assert (await client.get("/metrics")).status_code == 401
    wrong = await client.get("/metrics", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    assert wrong.json()["code"] == "UNAUTHORIZED"


async def test_every_scrape_sees_all_workers(
    client: httpx.AsyncClient, two_workers: ChatServer
) -> None:
    before = await scrape(client)
    alice, bob = await register(client), await register(client)
    sockets = [await Socket.open(two_workers.ws_url, user) for user in (alice, bob, bob, alice)]
    for socket in sockets:
        await socket.ready()
    for n in range(3):
        await sockets[0].send_to(bob, f"counted {n}")
    limited = 0
    for n in range(4):  # over the limit of 5 a minute
        reply = await sockets[0].request(
            "message:send", {"recipientId": bob.id, "content": f"over {n}"}
        )
        limited += reply["event"] == "error" and reply["data"]["code"] == "RATE_LIMITED"
    assert limited == 2
    late = await Socket.open(two_workers.ws_url, bob, since=0)  # replays bob's 5 from the outbox
    await late.ready()

    for _ in range(6):  # granian spreads the scrapes over both workers: each sees everything
        after = await scrape(client)
        assert value(after, "chat_connections") == 5
        assert (
            value(after, "chat_messages_sent_total") - value(before, "chat_messages_sent_total")
            == 5
        )
        assert (
            value(after, "chat_send_duration_seconds_count")
            - value(before, "chat_send_duration_seconds_count")
            == 5
        )
        assert (
            value(after, "chat_rate_limited_total", limit="messages")
            - value(before, "chat_rate_limited_total", limit="messages")
            == 2
        )
        assert (
            value(after, "chat_replayed_events_total") - value(before, "chat_replayed_events_total")
            >= 5
        )
        logins = value(
            after,
            "chat_http_requests_total",
            app_name="chat",
            method="POST",
            path="/auth/login",
            status_code="200",
        )
        assert logins >= 2
    for socket in [*sockets, late]:
        await socket.close()


async def test_closed_connections_leave_the_gauge(
    client: httpx.AsyncClient, two_workers: ChatServer
) -> None:
    user: User = await register(client)
    start = value(await scrape(client), "chat_connections")
    socket = await Socket.open(two_workers.ws_url, user)
    await socket.ready()
    assert value(await scrape(client), "chat_connections") == start + 1
    await socket.close()
    for _ in range(50):
        if value(await scrape(client), "chat_connections") == start:
            break
    assert value(await scrape(client), "chat_connections") == start
