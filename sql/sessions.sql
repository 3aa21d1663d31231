-- Sessions, their refresh tokens and WebSocket tickets (contract section 6). Tokens and
-- tickets are kept as SHA-256 hashes only.

-- name: start_session
WITH session AS (
    INSERT INTO sessions (user_id, user_agent, expires_at)
    VALUES (%(user_id)s, %(user_agent)s, now() + make_interval(secs => %(ttl)s))
    RETURNING id
), token AS (
    INSERT INTO refresh_tokens (token_hash, session_id)
    SELECT %(token_hash)s, id FROM session
)
SELECT id FROM session;

-- name: refresh_token_for_update
-- The token presented, its session, and whether that session is still live; locked, so that
-- two refreshes with one token cannot both succeed.
SELECT t.session_id, t.used_at IS NOT NULL AS used, s.user_id,
       s.ended_at IS NULL AND s.expires_at > now() AS live
FROM refresh_tokens t
JOIN sessions s ON s.id = t.session_id
WHERE t.token_hash = %(token_hash)s
FOR UPDATE OF t, s;

-- name: rotate_refresh_token
WITH used AS (
    UPDATE refresh_tokens SET used_at = now() WHERE token_hash = %(old_hash)s
), fresh AS (
    INSERT INTO refresh_tokens (token_hash, session_id) VALUES (%(new_hash)s, %(session_id)s)
)
UPDATE sessions
SET last_seen_at = now(), expires_at = now() + make_interval(secs => %(ttl)s)
WHERE id = %(session_id)s;

-- name: end_session
-- Ends a live session of the user: its refresh tokens and tickets go with it. No row: not
-- theirs, or already ended.
WITH ended AS (
    UPDATE sessions SET ended_at = now()
    WHERE id = %(session_id)s AND user_id = %(user_id)s AND ended_at IS NULL
    RETURNING id
), tokens AS (
    DELETE FROM refresh_tokens WHERE session_id IN (SELECT id FROM ended)
), tickets AS (
    DELETE FROM ws_tickets WHERE session_id IN (SELECT id FROM ended)
)
SELECT id FROM ended;

-- name: sessions_of_user
-- The user's live sessions, newest first.
SELECT id, created_at, last_seen_at, user_agent
FROM sessions
WHERE user_id = %(user_id)s AND ended_at IS NULL AND expires_at > now()
ORDER BY created_at DESC, id DESC;

-- name: live_sessions
-- Which of these sessions are live (their user exists: a user's sessions go with them).
SELECT id FROM sessions
WHERE id = ANY (%(session_ids)s) AND ended_at IS NULL AND expires_at > now();

-- name: issue_ticket
-- A ticket for a live session (the session's expired tickets go as it gets a new one). No
-- row: the session ended.
WITH stale AS (
    DELETE FROM ws_tickets WHERE session_id = %(session_id)s AND expires_at < now()
)
INSERT INTO ws_tickets (ticket_hash, session_id, expires_at)
SELECT %(ticket_hash)s, id, now() + make_interval(secs => %(ttl)s)
FROM sessions
WHERE id = %(session_id)s AND ended_at IS NULL
RETURNING session_id;

-- name: use_ticket
-- A ticket works once: taking it deletes it. No row: unknown, used, expired, or its session
-- ended.
WITH taken AS (
    DELETE FROM ws_tickets WHERE ticket_hash = %(ticket_hash)s RETURNING session_id, expires_at
)
SELECT s.id, s.user_id
FROM taken JOIN sessions s ON s.id = taken.session_id
WHERE taken.expires_at > now() AND s.ended_at IS NULL AND s.expires_at > now();
