// The page: logging in, the conversation list, what arrives live, and the wiring.
import { Live } from "./live.js";
import { $, session, state } from "./state.js";
import {
  composing,
  loadOlder,
  markRead,
  openConversation,
  send,
  toggleBlock,
  upsertMessage,
} from "./thread.js";
import { loadConversations, renderConversations, startConversation, whenOpened } from "./list.js";

const TYPING_SHOWN_MS = 6000;

// ---- logging in and out ----

async function boot() {
  session.onEnded = () => showAuth("Your session has ended: log in again.");
  if (session.hasRefreshToken) {
    try {
      if (await session.renew()) return enter();
    } catch {
      return showAuth("The server does not answer; try again shortly.");
    }
  }
  showAuth("");
}

function showAuth(message) {
  state.live?.stop();
  state.live = null;
  $("chat-view").hidden = true;
  $("auth-view").hidden = false;
  $("auth-error").textContent = message;
}

async function authenticate(action) {
  const username = $("auth-username").value.trim();
  const password = $("auth-password").value;
  $("auth-error").textContent = "";
  try {
    await action(username, password);
  } catch (error) {
    const why = error.code === "RATE_LIMITED" ? `Too many attempts: wait ${error.retryAfter} s.` : error.message;
    $("auth-error").textContent = why;
    return;
  }
  $("auth-password").value = "";
  await enter();
}

async function enter() {
  state.me = await session.request("GET", "/users/me");
  $("me").textContent = state.me.username;
  $("auth-view").hidden = true;
  $("chat-view").hidden = false;
  state.live = new Live(session, state.me.id, {
    onEvent: applyEvent,
    onReady: () => loadConversations().catch(() => {}),
    onStatus: (status) => ($("connection").textContent = status === "online" ? "" : `${status}…`),
  });
  state.live.start();
  await loadConversations();
  const blocked = await session.request("GET", "/users/blocked");
  state.blocked = new Set(blocked.map((user) => user.id));
}

// ---- what arrives ----

function applyEvent(event, data, replayed) {
  if (event === "message:received") return receive(data, replayed);
  if (event === "message:edited") return change(data.id, data.conversationId, data);
  if (event === "message:deleted") {
    return change(data.messageId, data.conversationId, { content: "", deletedAt: data.deletedAt });
  }
  if (event === "message:status") return change(data.messageId, data.conversationId, data);
  if (event === "conversation:read") return setUnread(data.conversationId, data.unreadCount);
  if (event === "typing") return showTyping(data);
}

/** An edit, a deletion or a status change: to what is shown of that message, if anything. */
function change(messageId, conversationId, fields) {
  const conversation = state.conversations.get(conversationId);
  if (conversation?.lastMessage?.id === messageId && fields.content !== undefined) {
    conversation.lastMessage = { ...conversation.lastMessage, content: fields.content };
    renderConversations();
  }
  const known = state.messages.get(messageId);
  if (known) upsertMessage({ ...known, ...fields, id: messageId });
}

function receive(message, replayed) {
  const conversation = state.conversations.get(message.conversationId);
  if (!conversation) return loadConversations().catch(() => {});
  const isNew = !state.messages.has(message.id);
  const last = conversation.lastMessage;
  if (!last || Date.parse(message.createdAt) >= Date.parse(last.createdAt)) {
    const { id, content, senderId, createdAt } = message;
    conversation.lastMessage = { id, content, senderId, createdAt };
  }
  if (message.conversationId === state.openId) {
    upsertMessage(message);
    if (message.senderId !== state.me.id) {
      $("typing").hidden = true;
      markRead();
    }
  } else if (isNew && !replayed && message.senderId !== state.me.id) {
    conversation.unreadCount += 1;
  }
  renderConversations();
}

function setUnread(conversationId, count) {
  const conversation = state.conversations.get(conversationId);
  if (!conversation) return;
  conversation.unreadCount = count;
  renderConversations();
}

function showTyping({ conversationId, isTyping }) {
  if (conversationId !== state.openId) return;
  $("typing").hidden = !isTyping;
  clearTimeout(state.typingTimer);
  if (isTyping) state.typingTimer = setTimeout(() => ($("typing").hidden = true), TYPING_SHOWN_MS);
}

// ---- wiring ----

$("auth-form").addEventListener("submit", (event) => {
  event.preventDefault();
  authenticate((u, p) => session.login(u, p));
});
$("auth-register").addEventListener("click", () => authenticate((u, p) => session.register(u, p)));
$("logout").addEventListener("click", async () => {
  await session.logout().catch(() => {});
  showAuth("");
});
$("new-chat").addEventListener("submit", startConversation);
$("composer").addEventListener("submit", send);
$("message-input").addEventListener("input", composing);
$("message-input").addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey) send(event);
});
$("message-list").addEventListener("scroll", () => loadOlder().catch(() => {}));
$("block").addEventListener("click", () => toggleBlock().catch((e) => ($("composer-error").textContent = e.message)));
$("back").addEventListener("click", () => {
  state.openId = null;
  $("chat-view").classList.remove("open");
  renderConversations();
});
whenOpened(openConversation);
boot();
