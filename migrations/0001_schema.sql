-- The whole product's schema: accounts, conversations, messages, the per-user replay log.

CREATE TABLE users (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    username      text NOT NULL,
    password_hash text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_username_lower_key ON users (lower(username));

CREATE TABLE conversations (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    participant1_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    participant2_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- how many messages the conversation holds; also the position of the newest one
    message_count   bigint NOT NULL DEFAULT 0,
    created_at      timestamptz NOT NULL DEFAULT now(),
    -- time of the last message, or of creation: only a new message updates a conversation row
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT conversations_canonical_order CHECK (participant1_id < participant2_id),
    CONSTRAINT conversations_pair_key UNIQUE (participant1_id, participant2_id)
);
-- "my conversations by recent activity": one index per side, merged by the list query
CREATE INDEX conversations_participant1_activity
    ON conversations (participant1_id, updated_at DESC, id DESC);
CREATE INDEX conversations_participant2_activity
    ON conversations (participant2_id, updated_at DESC, id DESC);

CREATE FUNCTION conversations_touch_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END
$$;
CREATE TRIGGER conversations_updated_at
    BEFORE UPDATE ON conversations
    FOR EACH ROW EXECUTE FUNCTION conversations_touch_updated_at();

CREATE TYPE message_status AS ENUM ('sent', 'delivered', 'read');

CREATE TABLE messages (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    conversation_id   uuid NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    -- 1-based position in the conversation: the storage order, and the key of every history page
    position          bigint NOT NULL,
    sender_id         uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    recipient_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    content           text NOT NULL,
    status            message_status NOT NULL DEFAULT 'sent',
    created_at        timestamptz NOT NULL DEFAULT now(),
    delivered_at      timestamptz,
    read_at           timestamptz,
    client_message_id text,
    -- the seq of this message's event in the sender's log, echoed on an idempotent resend
    sender_seq        bigint NOT NULL,
    search_vector     tsvector GENERATED ALWAYS AS (to_tsvector('english', content)) STORED,
    CONSTRAINT messages_content_length CHECK (char_length(content) BETWEEN 1 AND 5000),
    CONSTRAINT messages_client_message_id_length
        CHECK (char_length(client_message_id) BETWEEN 1 AND 64),
    CONSTRAINT messages_sender_client_message_id_key UNIQUE (sender_id, client_message_id)
);
-- every history page is one range of this index, read forwards or backwards;
-- sender_id rides along so unread counts are index-only
CREATE UNIQUE INDEX messages_conversation_position_key
    ON messages (conversation_id, position) INCLUDE (sender_id);
CREATE INDEX messages_recipient ON messages (recipient_id);
CREATE INDEX messages_search_vector ON messages USING gin (search_vector);

-- how far each participant has read a conversation, as a message position (a watermark)
CREATE TABLE read_marks (
    conversation_id uuid NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    user_id         uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    read_position   bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (conversation_id, user_id)
);

-- The per-user replay log (outbox). Each user's seq starts at 1 and grows by exactly 1.
CREATE TABLE outbox_heads (
    user_id  uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    last_seq bigint NOT NULL DEFAULT 0
);

CREATE TABLE outbox (
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    seq        bigint NOT NULL,
    event      text NOT NULL,
    message_id uuid NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    -- for message:status, the status this event announces
    status     message_status,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, seq),
    CONSTRAINT outbox_event_kind CHECK (
        (event = 'message:received' AND status IS NULL)
        OR (event = 'message:status' AND status IN ('delivered', 'read'))
    )
);

-- the highest seq any connection of the user has acked: where a reconnect without `since` resumes
CREATE TABLE outbox_acks (
    user_id   uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    acked_seq bigint NOT NULL DEFAULT 0
);

-- Messages to `reader` after the reader's read watermark: derived, so it cannot drift.
CREATE FUNCTION unread_count(conversation uuid, reader uuid) RETURNS bigint
LANGUAGE sql STABLE AS $$
    SELECT count(*)
    FROM messages m
    WHERE m.conversation_id = conversation
      AND m.sender_id <> reader
      AND m.position > coalesce(
          (SELECT r.read_position FROM read_marks r
           WHERE r.conversation_id = conversation AND r.user_id = reader), 0)
$$;

-- A conversation with what every listing shows: participants' names and the last message.
CREATE VIEW conversation_summaries AS
SELECT c.id, c.created_at, c.updated_at,
       c.participant1_id, u1.username AS participant1_username,
       c.participant2_id, u2.username AS participant2_username,
       lm.id AS last_message_id, lm.content AS last_message_content,
       lm.sender_id AS last_message_sender_id, lm.created_at AS last_message_created_at
FROM conversations c
JOIN users u1 ON u1.id = c.participant1_id
JOIN users u2 ON u2.id = c.participant2_id
LEFT JOIN messages lm ON lm.conversation_id = c.id AND lm.position = c.message_count;
