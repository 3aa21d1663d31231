-- Undoes 0013: the activity indexes hold updated_at again.
DROP INDEX conversations_participant1_activity;
DROP INDEX conversations_participant2_activity;
ALTER TABLE conversations DROP COLUMN active_minute;
ALTER TABLE conversations RESET (fillfactor);
CREATE INDEX conversations_participant1_activity
    ON conversations (participant1_id, updated_at DESC, id DESC);
CREATE INDEX conversations_participant2_activity
    ON conversations (participant2_id, updated_at DESC, id DESC);
