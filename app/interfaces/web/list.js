// The conversation list, most recent activity first, with unread badges.
import { $, session, state } from "./state.js";
import { conversationItem } from "./view.js";

let open = async () => {};

/** What a click on a conversation (or a new one) opens. */
export function whenOpened(handler) {
  open = handler;
}

export async function loadConversations() {
  const page = await session.request("GET", "/conversations?limit=100");
  state.conversations = new Map(page.items.map((c) => [c.id, c]));
  renderConversations();
}

export function renderConversations() {
  const sorted = [...state.conversations.values()].sort((a, b) => activity(b) - activity(a));
  const items = sorted.map((c) => {
    const item = conversationItem(c, state.me.id, c.id === state.openId);
    item.querySelector("button").addEventListener("click", () => open(c.id));
    return item;
  });
  $("conversations").replaceChildren(...items);
}

function activity(conversation) {
  return Date.parse(conversation.lastMessage?.createdAt || conversation.updatedAt);
}

export async function startConversation(event) {
  event.preventDefault();
  const username = $("new-chat-username").value.trim();
  $("new-chat-error").textContent = "";
  if (!username) return;
  try {
    const found = await session.request("GET", `/users?username=${encodeURIComponent(username)}`);
    if (found.length === 0) throw new Error(`There is no user called ${username}.`);
    const conversation = await session.request("POST", "/conversations", { participantId: found[0].id });
    state.conversations.set(conversation.id, conversation);
    $("new-chat-username").value = "";
    await open(conversation.id);
  } catch (error) {
    $("new-chat-error").textContent = error.message;
  }
}
