// What the page holds: the session, the logged-in user, the conversations, the open one.
import { Session } from "./session.js";

export const PAGE = 30;
export const $ = (id) => document.getElementById(id);
export const session = new Session();
export const state = {
  me: null,
  live: null,
  conversations: new Map(),
  openId: null,
  messages: new Map(), // of the open conversation, by id
  total: 0,
  loadingOlder: false,
  blocked: new Set(),
  typingSentAt: 0,
  typingTimer: null,
};
