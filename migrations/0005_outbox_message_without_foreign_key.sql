-- Each connection keeps the plans of its prepared statements, and of the foreign-key checks
-- they fire, until the tables' statistics change. Made while statistics said `messages` was
-- empty (an ANALYZE right after migrating, or autovacuum's first one at 50 rows), those plans
-- read it sequentially, and went on doing so for every send as it filled, until the next
-- analyze: every send read the whole table, and sends fell seconds behind.

-- A log row's message_id is written by the statement that inserts or reads that message (the
-- send statements, the status events), so its key's check proved nothing, and cost a lookup
-- of messages per log row, two per send. Nothing deletes messages; a retention job would
-- remove their log rows itself.
ALTER TABLE outbox DROP CONSTRAINT outbox_message_id_fkey;

-- The idempotency lookup, planned with sequential scans ruled out, so that it reads the
-- unique index (sender_id, client_message_id) whatever the statistics say. STRICT: a send
-- without a client_message_id looks nothing up. ROWS 1: the key is unique.
CREATE FUNCTION message_by_client_id(sender uuid, client_id text) RETURNS SETOF messages
LANGUAGE plpgsql STABLE STRICT ROWS 1 SET enable_seqscan = off AS $$
BEGIN
    RETURN QUERY SELECT * FROM messages m
                 WHERE m.sender_id = sender AND m.client_message_id = client_id;
END
$$;
