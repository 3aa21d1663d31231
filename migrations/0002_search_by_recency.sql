-- Search reads a user's matching messages newest first and ranks the most recent window of
-- them, so a common word does not make it rank every message the user ever exchanged.
-- These two indexes give "my messages, newest first" from either side of a conversation.
DROP INDEX messages_recipient;
CREATE INDEX messages_recipient_recent ON messages (recipient_id, created_at DESC);
CREATE INDEX messages_sender_recent ON messages (sender_id, created_at DESC);
