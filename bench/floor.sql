-- The durable floor's statements (bench/echo_app.py with a database): the least a relay that
-- keeps every message does, an INSERT committed before the message is forwarded.

-- name: create_floor_messages
CREATE TABLE IF NOT EXISTS floor_messages (
    id bigserial PRIMARY KEY,
    sender text NOT NULL,
    recipient text NOT NULL,
    body text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- name: store_floor_messages
-- The messages that arrived while the previous batch was written, in one statement and commit.
INSERT INTO floor_messages (sender, recipient, body)
SELECT * FROM unnest(%(senders)s::text[], %(recipients)s::text[], %(bodies)s::text[]);
