"""The web page (contract section 8) in a real Chromium: two people chat through it, it survives
a reload and a server restart, a refused login says why, and it asks nothing of another host.

Set CHAT_SCREENSHOT_DIR to keep the two windows mid-conversation (docs/ holds them)."""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, Locator, Page, async_playwright, expect

from tests.support.clients import PASSWORD
from tests.support.server import ChatServer
from tests.support.services import free_port, unavailable

CHROMIUM = "/usr/bin/chromium"
expect.set_options(timeout=10_000)


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    if not Path(CHROMIUM).exists():
        unavailable("Chromium", FileNotFoundError(f"{CHROMIUM} (apt-get install chromium)"))
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM)
        yield launched
        await launched.close()


class Person:
    """One browser window (its own context: its own storage) and what it asked for."""

    def __init__(self, page: Page, username: str) -> None:
        self.page = page
        self.username = username
        self.requests: list[str] = []
        self.sockets: list[str] = []
        page.on("request", lambda request: self.requests.append(request.url))
        page.on("websocket", lambda socket: self.sockets.append(socket.url))

    @classmethod
    async def open(cls, browser: Browser, server: ChatServer, prefix: str) -> Person:
        context = await browser.new_context(viewport={"width": 900, "height": 640})
        person = cls(await context.new_page(), f"{prefix}{uuid.uuid4().hex[:6]}")
        await person.page.goto(server.base_url + "/")
        return person

    async def register(self) -> None:
        await self.page.get_by_test_id("auth-username").fill(self.username)
        await self.page.get_by_test_id("auth-password").fill(PASSWORD)
        await self.page.get_by_test_id("auth-register").click()
        await expect(self.page.get_by_test_id("me")).to_have_text(self.username)

    async def start_chat(self, other: Person) -> None:
        await self.page.get_by_test_id("new-chat-username").fill(other.username)
        await self.page.get_by_test_id("new-chat-start").click()
        await expect(self.page.get_by_test_id("conversation")).to_have_count(1)

    async def send(self, text: str) -> None:
        await self.page.get_by_test_id("message-input").fill(text)
        await self.page.get_by_test_id("message-input").press("Enter")
        await expect(self.message(text)).to_be_visible()

    def message(self, text: str) -> Locator:
        return self.page.get_by_test_id("message").filter(has_text=text)

    async def open_conversation(self) -> None:
        await self.page.get_by_test_id("conversation").first.locator("button").click()


async def two_people(browser: Browser, server: ChatServer) -> tuple[Person, Person]:
    """Alice and Bob registered in windows of their own; Alice opened a conversation with Bob."""
    alice = await Person.open(browser, server, "alice")
    bob = await Person.open(browser, server, "bob")
    await alice.register()
    await bob.register()
    await alice.start_chat(bob)
    return alice, bob


async def test_two_people_chat_through_the_page(browser: Browser, server: ChatServer) -> None:
    alice, bob = await two_people(browser, server)
    await alice.send("Hello Bob")

    # bob sees the conversation arrive with an unread badge; his page acks it: delivered
    item = bob.page.get_by_test_id("conversation")
    await expect(item.get_by_test_id("unread")).to_have_text("1")
    first = alice.message("Hello Bob")
    await expect(first).to_have_attribute("data-status", "delivered")
    # opening it reads it: the badge goes, alice's tick turns to read
    await bob.open_conversation()
    await expect(bob.message("Hello Bob")).to_be_visible()
    await expect(item.get_by_test_id("unread")).to_have_text("")
    await expect(first).to_have_attribute("data-status", "read")

    # typing shows on the other side, and goes when the composer is cleared
    await bob.page.get_by_test_id("message-input").press_sequentially("Hi Al")
    await expect(alice.page.get_by_test_id("typing")).to_be_visible()
    await bob.page.get_by_test_id("message-input").fill("")
    await bob.page.get_by_test_id("message-input").dispatch_event("input")
    await expect(alice.page.get_by_test_id("typing")).to_be_hidden()
    await bob.send("Hi Alice, how are you?")
    await expect(alice.message("Hi Alice, how are you?")).to_be_visible()

    if os.environ.get("CHAT_SCREENSHOT_DIR"):
        folder = Path(os.environ["CHAT_SCREENSHOT_DIR"])
        await alice.page.screenshot(path=folder / "page-alice.png")
        await bob.page.screenshot(path=folder / "page-bob.png")

    # alice edits, then deletes, her message: bob sees both live
    await first.get_by_role("button", name="Edit message").click()
    editor = alice.page.get_by_role("textbox", name="Edit message")
    await editor.fill("Hello Bob (edited)")
    await editor.press("Enter")
    await expect(bob.message("Hello Bob (edited)")).to_be_visible()
    alice.page.once("dialog", lambda dialog: dialog.accept())
    await alice.message("Hello Bob (edited)").get_by_role("button", name="Delete message").click()
    await expect(bob.message("Message deleted")).to_be_visible()
    await expect(bob.message("Hello Bob (edited)")).to_have_count(0)

    # nothing was asked of another host, and /chat was opened with a ticket, never a token
    for person in (alice, bob):
        assert all(url.startswith(server.base_url) for url in person.requests), person.requests
        assert person.sockets and all(url.startswith(server.ws_url) for url in person.sockets)
        assert all("ticket=" in url and "token=" not in url for url in person.sockets)


async def test_a_reload_keeps_the_session_and_the_history(
    browser: Browser, server: ChatServer
) -> None:
    alice, bob = await two_people(browser, server)
    for n in range(40):  # more than a page: the first screen is the newest
        await alice.send(f"message {n:02d}")

    await alice.page.reload()
    await expect(alice.page.get_by_test_id("me")).to_have_text(alice.username)
    await alice.open_conversation()
    await expect(alice.message("message 39")).to_be_visible()
    await expect(alice.message("message 00")).to_have_count(0)
    # scrolling up pages back through the history
    await alice.page.get_by_test_id("message-list").evaluate("list => list.scrollTo(0, 0)")
    await expect(alice.message("message 00")).to_have_count(1)
    await alice.send("after the reload")
    await bob.open_conversation()
    await expect(bob.message("after the reload")).to_be_visible()


async def test_a_refused_login_says_why(browser: Browser, server: ChatServer) -> None:
    person = await Person.open(browser, server, "nobody")
    await person.page.get_by_test_id("auth-username").fill(person.username)
    await person.page.get_by_test_id("auth-password").fill("not-the-password")
    await person.page.get_by_test_id("auth-login").click()
    await expect(person.page.get_by_test_id("auth-error")).to_have_text(re.compile("wrong"))
    await expect(person.page.get_by_test_id("me")).to_be_hidden()


async def test_the_page_reconnects_after_a_restart_and_loses_nothing(
    browser: Browser, database_url: str, redis_url: str
) -> None:
    port = free_port()
    server = ChatServer(database_url=database_url, redis_url=redis_url, port=port).start()
    try:
        alice, bob = await two_people(browser, server)
        await alice.send("before the restart")
        await bob.open_conversation()
        await expect(bob.message("before the restart")).to_be_visible()

        server.stop()
        server = ChatServer(database_url=database_url, redis_url=redis_url, port=port).start()
        # sent while bob's page is still away: it comes with the reconnect's `since`
        async with httpx.AsyncClient(base_url=server.base_url) as http:
            login = {"username": alice.username, "password": PASSWORD}
            token = (await http.post("/auth/login", json=login)).json()["accessToken"]
            auth = {"Authorization": f"Bearer {token}"}
            conversation = (await http.get("/conversations", headers=auth)).json()["items"][0]["id"]
            sent = await http.post(
                f"/conversations/{conversation}/messages",
                json={"content": "while away"},
                headers=auth,
            )
            assert sent.status_code == 201
        await expect(bob.message("while away")).to_be_visible(timeout=20_000)
        await expect(bob.message("before the restart")).to_have_count(1)
        await bob.send("back again")
        await expect(alice.message("back again")).to_be_visible(timeout=20_000)
    finally:
        server.stop()
