// The /chat connection: opened with a one-time ticket (never the access token in the URL),
// reopened with backoff and `since` when it drops, and the user's log applied in seq order:
// an event already applied is skipped, a gap is filled with `sync`, what was applied is acked.

const BACKOFF_MS = [250, 500, 1000, 2000, 4000, 8000];
const SEQ_KEY = "chat.lastSeq.";

export class Live {
  constructor(session, userId, { onEvent, onReady, onStatus }) {
    this.session = session;
    this.userId = userId;
    this.onEvent = onEvent; // (event, data, replayed) for each log event, once, in order
    this.onReady = onReady;
    this.onStatus = onStatus; // "connecting" | "online" | "offline"
    this.lastSeq = Number(localStorage.getItem(SEQ_KEY + userId)) || 0;
    this.ready = false;
    this._socket = null;
    this._refs = 0;
    this._pending = new Map();
    this._attempt = 0;
    this._syncing = false;
    this._stopped = false;
    this._ackTimer = null;
  }

  start() {
    this._stopped = false;
    this._connect();
  }

  stop() {
    this._stopped = true;
    if (this._socket) this._socket.close(1000);
  }

  get open() {
    return this._socket?.readyState === WebSocket.OPEN && this.ready;
  }

  /** A request frame; resolves with the reply's data, rejects with the error's. */
  request(event, data) {
    if (!this.open) return Promise.reject(new Error("not connected"));
    const ref = `r${++this._refs}`;
    this._socket.send(JSON.stringify({ event, data, ref }));
    return new Promise((resolve, reject) => this._pending.set(ref, { resolve, reject }));
  }

  /** A frame with no answer (typing); dropped while disconnected. */
  tell(event, data) {
    if (this.open) this._socket.send(JSON.stringify({ event, data }));
  }

  async _connect() {
    this.onStatus("connecting");
    let ticket;
    try {
      ticket = await this.session.ticket();
    } catch (error) {
      if (error.status === 401) return; // the session is over: the page goes back to login
      return this._retry();
    }
    const url = new URL("/chat", location.href);
    url.protocol = location.protocol === "https:" ? "wss:" : "ws:";
    url.searchParams.set("ticket", ticket);
    if (this.lastSeq > 0) url.searchParams.set("since", String(this.lastSeq));
    const socket = new WebSocket(url);
    this._socket = socket;
    this.ready = false;
    socket.onmessage = (message) => this._frame(JSON.parse(message.data));
    socket.onclose = (close) => this._closed(socket, close.code);
  }

  async _closed(socket, code) {
    if (socket !== this._socket) return;
    this.ready = false;
    this._socket = null;
    for (const { reject } of this._pending.values()) reject(new Error("connection lost"));
    this._pending.clear();
    if (this._stopped) return;
    this.onStatus("offline");
    if (code === 4401) {
      // the access token expired or the session ended: a new pair, or back to login
      try {
        if (!(await this.session.renew())) return;
      } catch {
        /* the server is away: retry below */
      }
    }
    this._retry();
  }

  _retry() {
    if (this._stopped) return;
    const base = BACKOFF_MS[Math.min(this._attempt++, BACKOFF_MS.length - 1)];
    setTimeout(() => this._connect(), base / 2 + Math.random() * base);
  }

  _frame(frame) {
    const { event, data, ref, seq } = frame;
    if (event === "session:ready") {
      this.ready = true;
      this._attempt = 0;
      this.onStatus("online");
      if (data.lastSeq > this.lastSeq) this._sync();
      this.onReady();
      return;
    }
    if (seq !== undefined && event !== "reply") this._logEvent(event, data, seq);
    if ((event === "reply" || event === "error") && ref && this._pending.has(ref)) {
      const { resolve, reject } = this._pending.get(ref);
      this._pending.delete(ref);
      if (event === "reply") {
        if (seq !== undefined) this._advance(seq);
        resolve(data);
      } else {
        reject(Object.assign(new Error(data.message), data));
      }
      return;
    }
    if (seq === undefined && event !== "reply" && event !== "error") this.onEvent(event, data, false);
  }

  _logEvent(event, data, seq) {
    if (seq <= this.lastSeq) return; // applied already
    if (seq > this.lastSeq + 1 && this.ready) return this._sync(); // a gap: fill it in order
    this._advance(seq);
    this.onEvent(event, data, !this.ready);
  }

  _advance(seq) {
    if (seq <= this.lastSeq) return;
    if (seq > this.lastSeq + 1 && this.ready) return this._sync();
    this.lastSeq = seq;
    localStorage.setItem(SEQ_KEY + this.userId, String(seq));
    clearTimeout(this._ackTimer);
    this._ackTimer = setTimeout(() => this.tell("ack", { seq: this.lastSeq }), 100);
  }

  async _sync() {
    if (this._syncing || !this.open) return;
    this._syncing = true;
    try {
      // the log after lastSeq arrives in order before the reply; an event that went live
      // meanwhile and was passed over as a gap is fetched by the next round
      while (this.open && (await this.request("sync", { since: this.lastSeq })).lastSeq > this.lastSeq);
    } catch {
      /* lost with the connection: the reconnect's `since` covers it */
    } finally {
      this._syncing = false;
    }
  }
}
