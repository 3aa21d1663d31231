"""Full-text search: stemming, isolation between users, hostile queries."""

from __future__ import annotations

import httpx
import pytest

from tests.support.clients import User, register


async def post(http: httpx.AsyncClient, sender: User, conversation: str, text: str) -> str:
    response = await http.post(
        f"/conversations/{conversation}/messages", json={"content": text}, headers=sender.headers
    )
    assert response.status_code == 201
    message_id: str = response.json()["id"]
    return message_id


async def test_search_stems_ranks_and_isolates(
    http: httpx.AsyncClient, alice: User, bob: User, carol: User
) -> None:
    ab = (
        await http.post("/conversations", json={"participantId": bob.id}, headers=alice.headers)
    ).json()["id"]
    bc = (
        await http.post("/conversations", json={"participantId": carol.id}, headers=bob.headers)
    ).json()["id"]
    plain = await post(http, alice, ab, "the budget for the quarter is ready")
    strong = await post(http, bob, ab, "budgets budgets budgets: review the budget")
    await post(http, alice, ab, "lunch on friday?")
    await post(http, bob, bc, "carol, the budget is secret")

    found = await http.get("/messages/search", params={"q": "budgets"}, headers=alice.headers)
    assert found.status_code == 200
    body = found.json()
    assert body["total"] == 2
    assert [m["id"] for m in body["items"]] == [strong, plain]
    assert {m["conversationId"] for m in body["items"]} == {ab}

    carols = (
        await http.get("/messages/search", params={"q": "budget"}, headers=carol.headers)
    ).json()
    assert [m["content"] for m in carols["items"]] == ["carol, the budget is secret"]
    bobs = (await http.get("/messages/search", params={"q": "budget"}, headers=bob.headers)).json()
    assert bobs["total"] == 3

    paged = (
        await http.get(
            "/messages/search",
            params={"q": "budget", "limit": 1, "offset": 1},
            headers=alice.headers,
        )
    ).json()
    assert [m["id"] for m in paged["items"]] == [plain]
    assert paged["total"] == 2
    phrase = (
        await http.get(
            "/messages/search", params={"q": '"review the budget"'}, headers=alice.headers
        )
    ).json()
    assert [m["id"] for m in phrase["items"]] == [strong]


HOSTILE = [
    "'; DROP TABLE messages; --",
    '"unterminated',
    "budget & | ! ( ) : * <->",
    "100% \\ backslash \\\\ %s %(q)s",
    "-budget",
    "OR OR AND NOT",
    "😀 emoji",
    "x" * 1000,
]


@pytest.mark.parametrize("query", HOSTILE)
async def test_hostile_queries_are_harmless(
    http: httpx.AsyncClient, alice: User, query: str
) -> None:
    response = await http.get("/messages/search", params={"q": query}, headers=alice.headers)
    assert response.status_code == 200, response.text
    assert isinstance(response.json()["items"], list)


@pytest.mark.parametrize(
    "params",
    [
        {"q": ""},
        {"q": "x" * 1001},
        {"q": "a\u0000b"},
        {},
        {"q": "a", "limit": 0},
        {"q": "a", "offset": -1},
        {"q": "a", "offset": 2**63},
    ],
)
async def test_bad_search_requests_are_400(
    http: httpx.AsyncClient, alice: User, params: dict[str, object]
) -> None:
    response = await http.get("/messages/search", params=params, headers=alice.headers)  # type: ignore[arg-type]
    assert response.status_code == 400
    assert response.json()["code"] == "VALIDATION_ERROR"


@pytest.mark.parametrize("q", ["   ", "!?!", "\t\n"])
async def test_a_query_with_no_words_finds_nothing(
    http: httpx.AsyncClient, alice: User, q: str
) -> None:
    response = await http.get("/messages/search", params={"q": q}, headers=alice.headers)
    assert response.status_code == 200
    assert response.json()["items"] == []


async def test_search_needs_a_token(http: httpx.AsyncClient) -> None:
    assert (await http.get("/messages/search", params={"q": "x"})).status_code == 401


async def test_search_sees_new_users_empty(http: httpx.AsyncClient) -> None:
    loner = await register(http, "loner")
    body = (
        await http.get("/messages/search", params={"q": "budget"}, headers=loner.headers)
    ).json()
    assert (body["items"], body["total"]) == ([], 0)
