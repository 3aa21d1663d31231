-- Undoes 0005: the outbox's message key again, and no index-only idempotency lookup.
DROP FUNCTION message_by_client_id(uuid, text);
ALTER TABLE outbox ADD CONSTRAINT outbox_message_id_fkey
    FOREIGN KEY (message_id) REFERENCES messages (id) ON DELETE CASCADE;
