-- name: outbox_pages
-- Pages of users' outboxes, one per request (a user, `since`, `until`), in the requests'
-- order: each the events after `since` up to `until`, oldest first, at most `limit`, with
-- the message each is about (app/db/outbox.py makes them events; app/domain/events.py
-- encodes them). Connections starting together share one query.
-- An outbox's seqs have no gaps, so a page is a range of at most `limit` seqs. Written as
-- ORDER BY and LIMIT instead, a plan made without seeing the requests could read the whole
-- rest of a long outbox by a bitmap scan and sort it, for every page
-- (tests/sql/test_query_plans.py).
SELECT w.n, o.seq, o.event, o.status::text, o.unread_count,
       m.id, m.conversation_id, m.sender_id, m.recipient_id, m.content, m.status::text,
       m.created_at, m.delivered_at, m.read_at, m.client_message_id, m.edited_at, m.deleted_at
FROM unnest(%(user_ids)s::uuid[], %(sinces)s::bigint[], %(untils)s::bigint[])
    WITH ORDINALITY AS w(user_id, since, until, n)
JOIN outbox o
  ON o.user_id = w.user_id
 AND o.seq > w.since AND o.seq <= least(w.until, w.since + %(limit)s)
JOIN messages m ON m.id = o.message_id
ORDER BY w.n, o.seq;

-- name: outbox_heads
-- The newest and the acked seq of many users' outboxes at once (connections starting, the
-- periodic delivery check).
SELECT h.user_id, h.last_seq, a.acked_seq
FROM outbox_heads h
JOIN outbox_acks a ON a.user_id = h.user_id
WHERE h.user_id = ANY(%(user_ids)s);

-- name: ack_and_deliver
-- Records that the user processed its log up to `seq`, marks the messages it received in
-- that stretch `delivered` (forward only) and appends a message:status event to each
-- sender's log. Returns the status events appended, one row per sender event.
WITH acked AS (
    SELECT a.acked_seq AS from_seq,
           least(%(seq)s, (SELECT last_seq FROM outbox_heads WHERE user_id = %(user_id)s)) AS to_seq
    FROM outbox_acks a
    WHERE a.user_id = %(user_id)s
    FOR UPDATE
), moved AS (
    UPDATE outbox_acks a
    SET acked_seq = acked.to_seq
    FROM acked
    WHERE a.user_id = %(user_id)s AND acked.to_seq > acked.from_seq
    RETURNING acked.from_seq, acked.to_seq
), delivered AS (
    UPDATE messages m
    SET status = 'delivered', delivered_at = now()
    FROM moved, outbox o
    WHERE o.user_id = %(user_id)s
      AND o.seq > moved.from_seq AND o.seq <= moved.to_seq
      AND o.event = 'message:received'
      AND m.id = o.message_id
      AND m.recipient_id = %(user_id)s
      AND m.status = 'sent' AND m.deleted_at IS NULL
    RETURNING m.id, m.conversation_id, m.sender_id, m.position, m.delivered_at, m.read_at
), senders AS (
    SELECT sender_id, count(*) AS n FROM delivered GROUP BY sender_id
), locked AS (  -- the senders' logs, locked in user id order like every writer of the logs
    SELECT h.user_id FROM outbox_heads h
    WHERE h.user_id IN (SELECT sender_id FROM senders)
    ORDER BY h.user_id
    FOR UPDATE
), heads AS (
    UPDATE outbox_heads h
    SET last_seq = h.last_seq + senders.n
    FROM senders
    WHERE h.user_id = senders.sender_id AND (SELECT count(*) FROM locked) > 0
    RETURNING h.user_id, h.last_seq - senders.n AS base_seq
), events AS (
    SELECT d.*, heads.base_seq
                + row_number() OVER (PARTITION BY d.sender_id ORDER BY d.position) AS seq
    FROM delivered d JOIN heads ON heads.user_id = d.sender_id
), logged AS (
    INSERT INTO outbox (user_id, seq, event, message_id, status)
    SELECT sender_id, seq, 'message:status', id, 'delivered' FROM events
)
SELECT sender_id, seq, id, conversation_id, 'delivered'::message_status AS status,
       delivered_at, read_at
FROM events
ORDER BY sender_id, seq;

-- name: mark_read
-- Moves the reader's mark up to a message and marks every message from the other
-- participant up to it `read` (delivered too, if it was not): one statement however many.
-- Each message that becomes read appends a message:status event to the sender's outbox; a
-- mark that moves forward appends conversation:read to the reader's own, with the unread count
-- it leaves. The mark also counts the messages to the reader it has passed, for unread_count();
-- a mark moved by a concurrent reader first is counted on from where that one left it.
-- Locks: the messages it marks, then both outbox heads in user id order, then the mark.
-- Rows: each event appended ('status' for the sender's, 'read' for the reader's).
WITH target AS (
    SELECT m.id, m.conversation_id, m.position
    FROM messages m
    WHERE m.id = %(up_to_message_id)s AND m.conversation_id = %(conversation_id)s
), previous AS (
    SELECT coalesce(
        (SELECT r.read_position FROM read_marks r
         WHERE r.conversation_id = %(conversation_id)s AND r.user_id = %(user_id)s), 0) AS position
), read AS (
    UPDATE messages m
    SET status = 'read', read_at = now(), delivered_at = coalesce(m.delivered_at, now())
    FROM target, previous
    WHERE m.conversation_id = target.conversation_id
      AND m.position > previous.position AND m.position <= target.position
      AND m.sender_id <> %(user_id)s
      AND m.status <> 'read' AND m.deleted_at IS NULL
    RETURNING m.id, m.conversation_id, m.sender_id, m.position, m.delivered_at, m.read_at
), pair AS (
    SELECT c.participant1_id, c.participant2_id, c.message_count, c.participant1_sent
    FROM conversations c, target
    WHERE c.id = target.conversation_id
), locked AS (
    SELECT h.user_id
    FROM outbox_heads h, pair
    WHERE h.user_id = ANY (ARRAY[pair.participant1_id, pair.participant2_id])
      AND (SELECT count(*) FROM read) >= 0
    ORDER BY h.user_id
    FOR UPDATE OF h
), mark AS (  -- a row only when the mark moves forward
    INSERT INTO read_marks AS r (conversation_id, user_id, read_position, read_count)
    SELECT target.conversation_id, %(user_id)s, target.position,
           (SELECT count(*) FROM messages m  -- a first mark's; an existing one is moved below
            WHERE previous.position = 0
              AND m.conversation_id = target.conversation_id
              AND m.position <= target.position AND m.sender_id <> %(user_id)s)
    FROM target, previous
    WHERE (SELECT count(*) FROM locked) > 0
    ON CONFLICT (conversation_id, user_id)
        DO UPDATE SET read_position = excluded.read_position,
                      read_count = r.read_count
                          + (SELECT count(*) FROM messages m
                             WHERE m.conversation_id = r.conversation_id
                               AND m.position > r.read_position
                               AND m.position <= excluded.read_position
                               AND m.sender_id <> r.user_id)
        WHERE r.read_position < excluded.read_position
    RETURNING r.read_position, r.read_count
), sender_head AS (
    UPDATE outbox_heads h
    SET last_seq = h.last_seq + (SELECT count(*) FROM read)
    WHERE h.user_id = (SELECT sender_id FROM read LIMIT 1) AND (SELECT count(*) FROM locked) > 0
    RETURNING h.user_id, h.last_seq - (SELECT count(*) FROM read) AS base_seq
), events AS (
    SELECT r.*, sender_head.base_seq + row_number() OVER (ORDER BY r.position) AS seq
    FROM read r CROSS JOIN sender_head
), logged AS (
    INSERT INTO outbox (user_id, seq, event, message_id, status)
    SELECT sender_id, seq, 'message:status', id, 'read' FROM events
), reader_head AS (
    UPDATE outbox_heads h
    SET last_seq = h.last_seq + 1
    FROM mark
    WHERE h.user_id = %(user_id)s
    RETURNING h.last_seq
), moved AS (
    SELECT reader_head.last_seq AS seq, target.id, target.conversation_id,
           greatest(0, CASE WHEN pair.participant1_id = %(user_id)s
                            THEN pair.message_count - pair.participant1_sent
                            ELSE pair.participant1_sent END
                       - mark.read_count
                       - (SELECT count(*) FROM messages m
                          WHERE m.conversation_id = target.conversation_id
                            AND m.deleted_at IS NOT NULL AND m.sender_id <> %(user_id)s
                            AND m.position > mark.read_position)) AS unread_count
    FROM reader_head, target, mark, pair
), read_logged AS (
    INSERT INTO outbox (user_id, seq, event, message_id, unread_count)
    SELECT %(user_id)s, seq, 'conversation:read', id, unread_count FROM moved
)
SELECT 'status' AS kind, sender_id AS user_id, seq, id, conversation_id,
       'read'::message_status AS status, delivered_at, read_at, NULL::bigint AS unread_count
FROM events
UNION ALL
SELECT 'read', %(user_id)s::uuid, seq, id, conversation_id, NULL, NULL, NULL, unread_count
FROM moved
ORDER BY kind DESC, seq;
