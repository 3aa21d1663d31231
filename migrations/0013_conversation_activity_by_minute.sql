-- Every message updates its conversation's row (its counts and updated_at). While updated_at
-- was in the two activity indexes, each of those updates wrote new entries in all four of the
-- table's indexes (not a HOT update). The activity indexes now hold the minute of the last
-- activity instead, a stored column derived from updated_at. Ordering by that minute and then
-- by updated_at is ordering by updated_at, as the minute only grows with it. A message in the
-- same minute as the conversation's one before changes no indexed column, so its update is
-- HOT: the new row version stays on its page and no index is touched. Pages keep a fifth
-- free for those versions.
ALTER TABLE conversations SET (fillfactor = 80);
ALTER TABLE conversations ADD COLUMN active_minute timestamp
    GENERATED ALWAYS AS (date_trunc('minute', updated_at AT TIME ZONE 'UTC')) STORED;
DROP INDEX conversations_participant1_activity;
DROP INDEX conversations_participant2_activity;
CREATE INDEX conversations_participant1_activity
    ON conversations (participant1_id, active_minute DESC);
CREATE INDEX conversations_participant2_activity
    ON conversations (participant2_id, active_minute DESC);
