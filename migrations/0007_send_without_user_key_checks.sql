-- Every send checked three foreign keys to `users`: the message's sender and recipient, and
-- the user of each of its two log rows. Each check is a lookup of `users` and a lock on the
-- user's row, which PostgreSQL writes to the WAL: a share of the database's CPU per send
-- that `python -m bench.db_cost` can see.
--
-- They proved nothing the rows do not already owe to other keys:
-- - a message's sender and recipient are its conversation's two participants (the send
--   statements write them from the conversation's pair), and those are users, by the
--   conversation's own keys; a deleted user's conversations, and so their messages, go with
--   them (ON DELETE CASCADE through messages.conversation_id);
-- - a log row is written by the statement that advances its user's log head, and a head is a
--   user's (outbox_heads.user_id, ON DELETE CASCADE). The trigger below keeps the rest of that
--   key's promise: a deleted user's log goes with them.
ALTER TABLE messages DROP CONSTRAINT messages_sender_id_fkey;
ALTER TABLE messages DROP CONSTRAINT messages_recipient_id_fkey;
ALTER TABLE outbox DROP CONSTRAINT outbox_user_id_fkey;

CREATE FUNCTION outbox_delete_user_log() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM outbox WHERE user_id = OLD.id;
    RETURN NULL;
END
$$;
CREATE TRIGGER users_delete_log
    AFTER DELETE ON users
    FOR EACH ROW EXECUTE FUNCTION outbox_delete_user_log();
