-- Edits with versions, deletion that erases, blocks, reports, and read marks in the reader's
-- own outbox (contract section 5).

-- A message can be edited (its content replaced; the earlier content kept in
-- message_versions) and deleted for everyone: a tombstone with no content, in its place.
ALTER TABLE messages ADD COLUMN edited_at timestamptz, ADD COLUMN deleted_at timestamptz;
ALTER TABLE messages DROP CONSTRAINT messages_content_length;
ALTER TABLE messages ADD CONSTRAINT messages_content_length CHECK (
    CASE WHEN deleted_at IS NULL THEN char_length(content) BETWEEN 1 AND 5000
         ELSE content = '' END
);

-- What a message said before each edit: version 1 is the original. A delete erases them.
CREATE TABLE message_versions (
    message_id uuid NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    version    integer NOT NULL,
    content    text NOT NULL,
    at         timestamptz NOT NULL,  -- when the message said this: sent, or edited to it
    PRIMARY KEY (message_id, version)
);

-- A deleted message no longer counts as unread. The counters of 0004 count every message, so
-- an unread count subtracts the deleted ones past the reader's mark, found by an index that
-- holds only deleted messages (rare: the index stays small, and the count costs nothing when
-- there are none). Nothing about a delete updates a counter, so no race between a delete and
-- a read mark can make them drift.
CREATE INDEX messages_deleted ON messages (conversation_id, position) INCLUDE (sender_id)
    WHERE deleted_at IS NOT NULL;

CREATE OR REPLACE FUNCTION unread_count(conversation uuid, reader uuid) RETURNS bigint
LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN c.participant1_id = reader THEN c.message_count - c.participant1_sent
                ELSE c.participant1_sent END
           - coalesce(r.read_count, 0)
           - (SELECT count(*) FROM messages m
              WHERE m.conversation_id = conversation AND m.deleted_at IS NOT NULL
                AND m.sender_id <> reader AND m.position > coalesce(r.read_position, 0))
    FROM conversations c
    LEFT JOIN read_marks r ON r.conversation_id = c.id AND r.user_id = reader
    WHERE c.id = conversation
$$;

-- The outbox's new kinds: an edit and a deletion of a message (in both participants'
-- outboxes), and the reader's own read mark moving (message_id: the message read up to).
ALTER TABLE outbox ADD COLUMN unread_count bigint;
ALTER TABLE outbox DROP CONSTRAINT outbox_event_kind;
ALTER TABLE outbox ADD CONSTRAINT outbox_event_kind CHECK (
    CASE event
        WHEN 'message:received' THEN status IS NULL AND unread_count IS NULL
        WHEN 'message:edited' THEN status IS NULL AND unread_count IS NULL
        WHEN 'message:deleted' THEN status IS NULL AND unread_count IS NULL
        WHEN 'message:status' THEN status IN ('delivered', 'read') AND unread_count IS NULL
        WHEN 'conversation:read' THEN status IS NULL AND unread_count >= 0
        ELSE false
    END
);

-- Who blocks whom. While either of two users blocks the other, nothing is sent between them.
CREATE TABLE blocks (
    blocker_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    blocked_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (blocker_id, blocked_id),
    CONSTRAINT blocks_not_self CHECK (blocker_id <> blocked_id)
);

-- Blocks by the conversation pair they stop (canonical order, as conversations.participant1_id
-- and participant2_id): a send checks its pair with one probe of this index, in its own
-- statement (a view the planner reads through, not a function it would plan at every call).
CREATE INDEX blocks_pair ON blocks (least(blocker_id, blocked_id), greatest(blocker_id, blocked_id));
CREATE VIEW blocked_pairs AS
SELECT least(blocker_id, blocked_id) AS p1, greatest(blocker_id, blocked_id) AS p2
FROM blocks;

-- Whether either of two users blocks the other, where a send is refused or typing checked.
CREATE FUNCTION blocked(a uuid, b uuid) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT EXISTS (SELECT FROM blocked_pairs x WHERE x.p1 = least(a, b) AND x.p2 = greatest(a, b))
$$;

-- Reports for moderation. `content` is a copy of the message as it was when reported: the one
-- place a deleted message's words may remain (README, "Deleting erases").
CREATE TABLE reports (
    id              uuid PRIMARY KEY DEFAULT uuid_v7(),
    message_id      uuid NOT NULL,  -- no key: the report outlives what it reports
    conversation_id uuid NOT NULL,
    sender_id       uuid NOT NULL,
    reporter_id     uuid NOT NULL,
    reason          text NOT NULL CHECK (char_length(reason) BETWEEN 1 AND 1000),
    content         text NOT NULL,
    sent_at         timestamptz NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX reports_newest ON reports (created_at DESC, id DESC);
