-- name: insert_user
-- Creates the user with an empty replay log.
WITH created AS (
    INSERT INTO users (username, password_hash)
    VALUES (%(username)s, %(password_hash)s)
    RETURNING id, username, created_at
), head AS (
    INSERT INTO outbox_heads (user_id) SELECT id FROM created
), acks AS (
    INSERT INTO outbox_acks (user_id) SELECT id FROM created
)
SELECT id, username, created_at FROM created;

-- name: user_credentials
SELECT id, username, created_at, password_hash
FROM users
WHERE lower(username) = lower(%(username)s);

-- name: user_by_id
SELECT id, username, created_at FROM users WHERE id = %(user_id)s;

-- name: users_by_username
SELECT id, username, created_at FROM users WHERE lower(username) = lower(%(username)s);

-- name: update_password_hash
UPDATE users SET password_hash = %(password_hash)s WHERE id = %(user_id)s;
