-- A message's id was a random UUID (version 4), so each insert went to a random leaf of
-- messages_pkey. Two costs followed, both growing with the table:
-- - the whole index had to stay in memory, or inserts would read it from disk;
-- - after each checkpoint, the first insert into each leaf wrote that whole page to the WAL,
--   so the sends after a checkpoint rewrote most of the index.
-- A UUID version 7 (RFC 9562) begins with the time in milliseconds, then 74 random bits:
-- inserts go to the index's newest leaves, as a sequence's would, and an id is still a UUID
-- no one can guess. Ids already stored keep their values.
CREATE FUNCTION uuid_v7() RETURNS uuid
LANGUAGE sql VOLATILE AS $$
    SELECT encode(
        set_bit(set_bit(  -- version 7: the version nibble of byte 6 goes from 0100 to 0111
            overlay(uuid_send(gen_random_uuid())
                    placing substring(int8send(
                        (extract(epoch FROM clock_timestamp()) * 1000)::bigint) FROM 3)
                    FROM 1 FOR 6),
            52, 1), 53, 1),
        'hex')::uuid
$$;

ALTER TABLE messages ALTER COLUMN id SET DEFAULT uuid_v7();
