-- Undoes 0002: search read the recipient's messages by the plain index again.
DROP INDEX messages_sender_recent;
DROP INDEX messages_recipient_recent;
CREATE INDEX messages_recipient ON messages (recipient_id);
