"""GET /conversations: most recent activity first, participants, last message, unread counts."""

from __future__ import annotations

import httpx

from tests.support.clients import User, register


async def test_conversation_list_order_and_counts(http: httpx.AsyncClient, alice: User) -> None:
    friends = [await register(http, f"friend{i}") for i in range(4)]
    conversations = {}
    for friend in friends:
        opened = await http.post(
            "/conversations", json={"participantId": friend.id}, headers=alice.headers
        )
        conversations[friend.id] = opened.json()["id"]

    async def say(sender: User, friend: User, text: str) -> None:
        url = f"/conversations/{conversations[friend.id]}/messages"
        response = await http.post(url, json={"content": text}, headers=sender.headers)
        assert response.status_code == 201

    await say(friends[1], friends[1], "one from friend1")
    await say(friends[1], friends[1], "two from friend1")
    await say(alice, friends[3], "alice to friend3")
    await say(friends[0], friends[0], "friend0 says hi")

    listing = await http.get("/conversations", headers=alice.headers)
    assert listing.status_code == 200
    body = listing.json()
    assert (body["total"], body["limit"], body["offset"]) == (4, 20, 0)
    order = [item["id"] for item in body["items"]]
    # activity: friend0 (newest message), friend3, friend1, then friend2 (no message: creation)
    assert order == [conversations[f.id] for f in (friends[0], friends[3], friends[1], friends[2])]
    by_id = {item["id"]: item for item in body["items"]}
    assert by_id[conversations[friends[1].id]]["unreadCount"] == 2
    assert by_id[conversations[friends[3].id]]["unreadCount"] == 0
    assert by_id[conversations[friends[2].id]]["lastMessage"] is None
    last = by_id[conversations[friends[0].id]]["lastMessage"]
    assert last["content"] == "friend0 says hi"
    assert last["senderId"] == friends[0].id
    names = {p["username"] for p in by_id[conversations[friends[0].id]]["participants"]}
    assert names == {alice.username, friends[0].username}

    page = await http.get("/conversations", params={"limit": 2, "offset": 1}, headers=alice.headers)
    assert [item["id"] for item in page.json()["items"]] == order[1:3]
    assert page.json()["total"] == 4
    for bad in ({"limit": 0}, {"limit": 101}, {"offset": -1}, {"limit": "many"}):
        response = await http.get("/conversations", params=bad, headers=alice.headers)
        assert response.status_code == 400

    # the friend sees the same conversation from the other side
    theirs = await http.get("/conversations", headers=friends[1].headers)
    assert [item["unreadCount"] for item in theirs.json()["items"]] == [0]
