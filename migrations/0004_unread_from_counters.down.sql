-- Undoes 0004: unread counts counted from the messages again; the counters go.
CREATE OR REPLACE FUNCTION unread_count(conversation uuid, reader uuid) RETURNS bigint
LANGUAGE sql STABLE AS $$
    SELECT count(*)
    FROM messages m
    WHERE m.conversation_id = conversation
      AND m.sender_id <> reader
      AND m.position > coalesce(
          (SELECT r.read_position FROM read_marks r
           WHERE r.conversation_id = conversation AND r.user_id = reader), 0)
$$;
ALTER TABLE read_marks DROP COLUMN read_count;
ALTER TABLE conversations DROP CONSTRAINT conversations_sent_within_count;
ALTER TABLE conversations DROP COLUMN participant1_sent;
