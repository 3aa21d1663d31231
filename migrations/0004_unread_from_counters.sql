-- An unread count was counted: every message to the reader after their read mark, read from
-- the index each time a conversation is shown, so a deep backlog made a slow list. Two
-- counters now make it a subtraction: how many messages the conversation's first participant sent (the second sent
-- the rest of message_count), and, on each read mark, how many messages to the reader lie at
-- or before it. The send statements and mark_read keep them.
ALTER TABLE conversations ADD COLUMN participant1_sent bigint NOT NULL DEFAULT 0;
UPDATE conversations c
SET participant1_sent = (SELECT count(*) FROM messages m
                         WHERE m.conversation_id = c.id AND m.sender_id = c.participant1_id)
WHERE c.message_count > 0;
ALTER TABLE conversations ADD CONSTRAINT conversations_sent_within_count
    CHECK (participant1_sent BETWEEN 0 AND message_count);

ALTER TABLE read_marks ADD COLUMN read_count bigint NOT NULL DEFAULT 0;
UPDATE read_marks r
SET read_count = (SELECT count(*) FROM messages m
                  WHERE m.conversation_id = r.conversation_id
                    AND m.position <= r.read_position AND m.sender_id <> r.user_id);

-- Messages to `reader` after the reader's read mark.
CREATE OR REPLACE FUNCTION unread_count(conversation uuid, reader uuid) RETURNS bigint
LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN c.participant1_id = reader THEN c.message_count - c.participant1_sent
                ELSE c.participant1_sent END
           - coalesce((SELECT r.read_count FROM read_marks r
                       WHERE r.conversation_id = conversation AND r.user_id = reader), 0)
    FROM conversations c
    WHERE c.id = conversation
$$;
