// The open conversation: its history (paged back on scroll), read marks, the composer,
// editing and deleting, typing, blocking.
import { otherParticipant, editInPlace, messageItem } from "./view.js";
import { renderConversations } from "./list.js";
import { $, PAGE, session, state } from "./state.js";

const TYPING_AGAIN_MS = 3000;

export async function openConversation(id) {
  state.openId = id;
  state.messages = new Map();
  $("chat-view").classList.add("open");
  $("message-list").replaceChildren();
  $("typing").hidden = true;
  $("composer").hidden = false;
  $("composer-error").textContent = "";
  renderHeader();
  renderConversations();
  const page = await session.request("GET", `/conversations/${id}/messages?from=newest&limit=${PAGE}`);
  if (state.openId !== id) return;
  state.total = page.total;
  for (const message of page.items) state.messages.set(message.id, message);
  renderMessages({ toBottom: true });
  markRead();
  $("message-input").focus();
}

function renderHeader() {
  const conversation = state.conversations.get(state.openId);
  const other = otherParticipant(conversation, state.me.id);
  $("thread-title").textContent = other.username;
  $("block").hidden = false;
  $("block").textContent = state.blocked.has(other.userId) ? "Unblock" : "Block";
}

function renderMessages({ toBottom = false, keepFrom = null } = {}) {
  const list = $("message-list");
  const sorted = [...state.messages.values()].sort(
    (a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt) || a.id.localeCompare(b.id),
  );
  const handlers = { onEdit: editMessage, onDelete: deleteMessage };
  list.replaceChildren(...sorted.map((m) => messageItem(m, state.me.id, handlers)));
  if (toBottom) list.scrollTop = list.scrollHeight;
  else if (keepFrom !== null) list.scrollTop = list.scrollHeight - keepFrom;
}

export async function loadOlder() {
  const list = $("message-list");
  if (list.scrollTop > 40 || state.loadingOlder || state.messages.size >= state.total) return;
  const oldest = [...state.messages.values()].sort((a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt))[0];
  if (!oldest) return;
  state.loadingOlder = true;
  const id = state.openId;
  try {
    const page = await session.request("GET", `/conversations/${id}/messages?before=${oldest.id}&limit=${PAGE}`);
    if (state.openId !== id) return;
    const fromBottom = list.scrollHeight - list.scrollTop;
    for (const message of page.items) state.messages.set(message.id, message);
    if (page.items.length === 0) state.total = state.messages.size;
    renderMessages({ keepFrom: fromBottom });
  } finally {
    state.loadingOlder = false;
  }
}

export function markRead() {
  const conversation = state.conversations.get(state.openId);
  const newest = [...state.messages.values()].filter((m) => m.senderId !== state.me.id && m.status !== "read");
  if (!conversation || newest.length === 0) return;
  const last = newest.sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt))[0];
  conversation.unreadCount = 0;
  renderConversations();
  session.request("POST", `/conversations/${state.openId}/read`, { upToMessageId: last.id }).catch(() => {});
}

export async function send(event) {
  event?.preventDefault();
  const input = $("message-input");
  const content = input.value;
  if (!content.trim() || !state.openId) return;
  const body = { conversationId: state.openId, content, clientMessageId: crypto.randomUUID() };
  $("composer-error").textContent = "";
  try {
    const message = state.live?.open
      ? await state.live.request("message:send", body)
      : await session.request("POST", `/conversations/${state.openId}/messages`, body);
    input.value = "";
    stopTyping();
    upsertMessage(message);
  } catch (error) {
    $("composer-error").textContent =
      error.code === "BLOCKED" ? "You cannot message this user: one of you blocks the other." : error.message;
  }
}

async function editMessage(message) {
  const item = $("message-list").querySelector(`[data-message-id="${message.id}"]`);
  editInPlace(item, message.content, async (content) => {
    const path = `/conversations/${message.conversationId}/messages/${message.id}`;
    upsertMessage(await session.request("PATCH", path, { content }));
  });
}

async function deleteMessage(message) {
  if (!confirm("Delete this message for everyone?")) return;
  const path = `/conversations/${message.conversationId}/messages/${message.id}`;
  upsertMessage(await session.request("DELETE", path));
}

export async function toggleBlock() {
  const other = otherParticipant(state.conversations.get(state.openId), state.me.id);
  const blocked = state.blocked.has(other.userId);
  await session.request(blocked ? "DELETE" : "PUT", `/users/${other.userId}/block`);
  if (blocked) state.blocked.delete(other.userId);
  else state.blocked.add(other.userId);
  renderHeader();
}

export function composing() {
  if (!state.openId) return;
  if (!$("message-input").value) return stopTyping();
  if (Date.now() - state.typingSentAt < TYPING_AGAIN_MS) return;
  state.typingSentAt = Date.now();
  state.live?.tell("typing:start", { conversationId: state.openId });
}

function stopTyping() {
  if (state.typingSentAt === 0) return;
  state.typingSentAt = 0;
  state.live?.tell("typing:stop", { conversationId: state.openId });
}

export function upsertMessage(message) {
  if (message.conversationId !== state.openId) return;
  const list = $("message-list");
  const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
  const known = state.messages.get(message.id);
  if (!known) state.total += 1;
  state.messages.set(message.id, { ...known, ...message });
  renderMessages({ toBottom: atBottom || message.senderId === state.me.id });
}
