-- Sessions (contract section 6): a login starts one; its access tokens name it (the `sid`
-- claim), its refresh tokens rotate, and ending it revokes them all.
CREATE TABLE sessions (
    id           uuid PRIMARY KEY DEFAULT uuid_v7(),
    user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    user_agent   text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),  -- its last login or refresh
    expires_at   timestamptz NOT NULL,  -- when its refresh token expires unused
    ended_at     timestamptz             -- logged out, revoked, or its refresh token reused
);
CREATE INDEX sessions_of_user ON sessions (user_id, created_at DESC);

-- Refresh tokens are opaque: only their SHA-256 is kept. A used one stays, so that presenting
-- it again is known for what it is (a stolen copy, or a replay) and ends the session.
CREATE TABLE refresh_tokens (
    token_hash bytea PRIMARY KEY,
    session_id uuid NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    used_at    timestamptz
);
CREATE INDEX refresh_tokens_of_session ON refresh_tokens (session_id);

-- One-time credentials for /chat?ticket=..., bound to a session, valid for seconds.
CREATE TABLE ws_tickets (
    ticket_hash bytea PRIMARY KEY,
    session_id  uuid NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    expires_at  timestamptz NOT NULL
);
CREATE INDEX ws_tickets_of_session ON ws_tickets (session_id);
