// The logged-in session: the access token in memory, the refresh token in localStorage (so a
// reload keeps the session), and REST calls that renew the access token once on a 401.

const REFRESH_KEY = "chat.refreshToken";

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.message || `HTTP ${status}`);
    this.status = status;
    this.code = body?.code || "HTTP_ERROR";
    this.retryAfter = body?.retryAfter;
  }
}

async function call(method, path, { body, token } = {}) {
  const headers = {};
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (token) headers.Authorization = `Bearer ${token}`;
  const response = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  const data = text ? JSON.parse(text) : null;
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

export class Session {
  constructor() {
    this.accessToken = null;
    this.onEnded = () => {};
    this._renewing = null;
    this._timer = null;
  }

  get hasRefreshToken() {
    return localStorage.getItem(REFRESH_KEY) !== null;
  }

  async register(username, password) {
    await call("POST", "/auth/register", { body: { username, password } });
    await this.login(username, password);
  }

  async login(username, password) {
    this._keep(await call("POST", "/auth/login", { body: { username, password } }));
  }

  /** A new pair for the stored refresh token; false when there is none or it is refused. */
  async renew() {
    if (!this._renewing) this._renewing = this._renew().finally(() => (this._renewing = null));
    return this._renewing;
  }

  async logout() {
    try {
      if (this.accessToken) await call("POST", "/auth/logout", { token: this.accessToken });
    } finally {
      this._forget();
    }
  }

  async request(method, path, body) {
    try {
      return await call(method, path, { body, token: this.accessToken });
    } catch (error) {
      if (!(error instanceof ApiError) || error.status !== 401) throw error;
      if (!(await this.renew())) throw error;
      return call(method, path, { body, token: this.accessToken });
    }
  }

  async ticket() {
    return (await this.request("POST", "/auth/ws-ticket")).ticket;
  }

  async _renew() {
    const refreshToken = localStorage.getItem(REFRESH_KEY);
    if (!refreshToken) return false;
    try {
      this._keep(await call("POST", "/auth/refresh", { body: { refreshToken } }));
      return true;
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) {
        this._forget();
        this.onEnded();
        return false;
      }
      throw error; // the server is away: the refresh token may still be good
    }
  }

  _keep(tokens) {
    this.accessToken = tokens.accessToken;
    localStorage.setItem(REFRESH_KEY, tokens.refreshToken);
    clearTimeout(this._timer);
    // renew a little before the access token expires
    const renewIn = Math.max(5, tokens.expiresIn * 0.8) * 1000;
    this._timer = setTimeout(() => this.renew().catch(() => {}), renewIn);
  }

  _forget() {
    clearTimeout(this._timer);
    this.accessToken = null;
    localStorage.removeItem(REFRESH_KEY);
  }
}
