// DOM for conversations and messages. Text goes in with textContent only, never as HTML.

const TICKS = { sent: "✓", delivered: "✓✓", read: "✓✓" };

function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name === "text") node.textContent = value;
    else if (name === "className") node.className = value;
    else node.setAttribute(name, value);
  }
  node.append(...children);
  return node;
}

export function otherParticipant(conversation, meId) {
  return conversation.participants.find((p) => p.userId !== meId) || conversation.participants[0];
}

export function conversationItem(conversation, meId, current) {
  const other = otherParticipant(conversation, meId);
  const last = conversation.lastMessage;
  const preview = !last ? "No messages yet" : last.content === "" ? "Message deleted" : last.content;
  const unread = conversation.unreadCount > 0 ? String(conversation.unreadCount) : "";
  const button = element(
    "button",
    { type: "button", "aria-current": String(current) },
    element("span", { className: "name", text: other.username }),
    element("span", { className: "preview", text: (last?.senderId === meId ? "You: " : "") + preview }),
    element("span", {
      className: "unread",
      "data-testid": "unread",
      text: unread,
      "aria-label": unread ? `${unread} unread` : "",
    }),
  );
  return element(
    "li",
    { "data-testid": "conversation", "data-conversation-id": conversation.id },
    button,
  );
}

export function messageItem(message, meId, { onEdit, onDelete }) {
  const mine = message.senderId === meId;
  const deleted = Boolean(message.deletedAt);
  const item = element("li", {
    className: `message${mine ? " mine" : ""}${deleted ? " deleted" : ""}`,
    "data-testid": "message",
    "data-message-id": message.id,
    "data-status": message.status,
  });
  const time = new Date(message.createdAt);
  const meta = element(
    "span",
    { className: "meta" },
    element("time", {
      datetime: message.createdAt,
      text: time.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }),
    }),
  );
  if (message.editedAt && !deleted) meta.append(element("span", { text: "edited" }));
  if (mine && !deleted) {
    meta.append(
      element("span", {
        className: "ticks",
        "data-status": message.status,
        role: "img",
        "aria-label": message.status,
        title: message.status,
        text: TICKS[message.status],
      }),
    );
    const edit = element("button", { type: "button", className: "link", text: "Edit" });
    const remove = element("button", { type: "button", className: "link", text: "Delete" });
    edit.setAttribute("aria-label", "Edit message");
    remove.setAttribute("aria-label", "Delete message");
    edit.addEventListener("click", () => onEdit(message));
    remove.addEventListener("click", () => onDelete(message));
    meta.append(element("span", { className: "actions" }, edit, remove));
  }
  item.append(
    element("span", { className: "text", text: deleted ? "Message deleted" : message.content }),
    meta,
  );
  return item;
}

/** An input in place of the message's text: Enter saves, Escape cancels. */
export function editInPlace(item, content, save) {
  const text = item.querySelector(".text");
  const input = element("textarea", { "aria-label": "Edit message", rows: "2" });
  input.value = content;
  text.replaceWith(input);
  input.focus();
  input.addEventListener("keydown", (event) => {
    if (event.key === "Escape") input.replaceWith(text);
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      save(input.value).catch(() => input.replaceWith(text));
    }
  });
}
