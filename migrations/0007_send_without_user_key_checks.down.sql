-- Undoes 0007: the three keys to users again; the trigger that kept the outbox's cascade goes.
DROP TRIGGER users_delete_log ON users;
DROP FUNCTION outbox_delete_user_log();
ALTER TABLE outbox ADD CONSTRAINT outbox_user_id_fkey
    FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE;
ALTER TABLE messages ADD CONSTRAINT messages_recipient_id_fkey
    FOREIGN KEY (recipient_id) REFERENCES users (id) ON DELETE CASCADE;
ALTER TABLE messages ADD CONSTRAINT messages_sender_id_fkey
    FOREIGN KEY (sender_id) REFERENCES users (id) ON DELETE CASCADE;
