-- name: send_message
-- One send in one statement: what send_messages does for a batch, for one. A lone send has a
-- statement of its own because it is the common case below saturation, and the batch
-- statement with one send in it costs PostgreSQL about half as much again (its window
-- functions, sorts and aggregates; `python -m bench.db_cost` measures both). Give either
-- recipient_id or conversation_id. One row: the new message, the original of a resend
-- (recipient_seq NULL) or a refusal, as send_messages answers. The sender's rate limit
-- (rate_amount sends per rate_seconds, migration 0012) is counted on their outbox head.
WITH existing AS (  -- a resend; message_by_client_id reads the unique index (migration 0005)
    SELECT m.*
    FROM message_by_client_id(%(sender_id)s, %(client_message_id)s) m
), target AS (
    SELECT least(%(sender_id)s::uuid, %(recipient_id)s::uuid) AS participant1_id,
           greatest(%(sender_id)s::uuid, %(recipient_id)s::uuid) AS participant2_id
    WHERE %(recipient_id)s::uuid IS NOT NULL
    UNION ALL
    SELECT c.participant1_id, c.participant2_id
    FROM conversations c
    WHERE c.id = %(conversation_id)s::uuid
      AND %(sender_id)s IN (c.participant1_id, c.participant2_id)
), locked AS (  -- `= ANY (ARRAY[..])`, not `IN (..)`: IN of two columns is an OR, which
                --  can't key an index scan, so the planner reads every outbox head to find two
    SELECT h.user_id, h AS head
    FROM outbox_heads h, target
    WHERE h.user_id = ANY (ARRAY[target.participant1_id, target.participant2_id])
      AND NOT EXISTS (SELECT 1 FROM existing)
    ORDER BY h.user_id
    FOR UPDATE OF h
), sender AS (  -- how many more sends the sender's limit allows now
    SELECT rate_room(l.head, %(rate_amount)s, %(rate_seconds)s) AS room
    FROM locked l
    WHERE l.user_id = %(sender_id)s
), conv AS (  -- both users exist (each has an outbox head), or nothing is stored
    INSERT INTO conversations AS c (participant1_id, participant2_id, message_count,
                                    participant1_sent)
    SELECT participant1_id, participant2_id, 1, (participant1_id = %(sender_id)s)::int
    FROM target
    WHERE (SELECT count(*) FROM locked) = 2 AND (SELECT room FROM sender) > 0
      AND NOT EXISTS (SELECT FROM blocked_pairs x
                      WHERE x.p1 = participant1_id AND x.p2 = participant2_id)
    ON CONFLICT (participant1_id, participant2_id)
        DO UPDATE SET message_count = c.message_count + 1,
                      participant1_sent = c.participant1_sent + excluded.participant1_sent,
                      updated_at = now()
    RETURNING c.id, c.participant1_id, c.participant2_id, c.message_count,
              (c.xmax = 0) AS created
), heads AS (  -- both counts move to the current window; the sender's counts one more
    UPDATE outbox_heads h
    SET last_seq = h.last_seq + 1,
        rate_window = rate_window_now(%(rate_seconds)s),
        rate_count = rate_count_now(h, %(rate_seconds)s) + (h.user_id = %(sender_id)s)::int,
        rate_previous = rate_previous_now(h, %(rate_seconds)s)
    FROM conv
    WHERE h.user_id = ANY (ARRAY[conv.participant1_id, conv.participant2_id])
    RETURNING h.user_id, h.last_seq
), message AS (
    INSERT INTO messages (conversation_id, position, sender_id, recipient_id, content,
                          client_message_id, sender_seq)
    SELECT conv.id, conv.message_count, %(sender_id)s,
           CASE WHEN conv.participant1_id = %(sender_id)s
                THEN conv.participant2_id ELSE conv.participant1_id END,
           %(content)s, %(client_message_id)s,
           (SELECT last_seq FROM heads WHERE user_id = %(sender_id)s)
    FROM conv
    RETURNING *
), logged AS (
    INSERT INTO outbox (user_id, seq, event, message_id)
    SELECT heads.user_id, heads.last_seq, 'message:received', message.id
    FROM heads CROSS JOIN message
)
SELECT m.id, m.conversation_id, m.sender_id, m.recipient_id, m.content, m.status,
       m.created_at, m.delivered_at, m.read_at, m.client_message_id, m.edited_at,
       m.deleted_at, m.sender_seq,
       (SELECT last_seq FROM heads WHERE user_id = m.recipient_id) AS recipient_seq,
       (SELECT created FROM conv) AS created, NULL AS refused
FROM message m
UNION ALL
SELECT e.id, e.conversation_id, e.sender_id, e.recipient_id, e.content, e.status,
       e.created_at, e.delivered_at, e.read_at, e.client_message_id, e.edited_at,
       e.deleted_at, e.sender_seq,
       NULL, NULL, NULL
FROM existing e
UNION ALL
SELECT NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
       NULL,
       CASE WHEN EXISTS (SELECT 1 FROM target t WHERE blocked(t.participant1_id, t.participant2_id))
            THEN 'blocked'
            WHEN (SELECT room FROM sender) = 0 THEN 'rate_limited'
            WHEN EXISTS (SELECT 1 FROM target) THEN 'no_user'
            WHEN EXISTS (SELECT 1 FROM conversations WHERE id = %(conversation_id)s::uuid)
            THEN 'not_participant'
            ELSE 'no_conversation' END
WHERE NOT EXISTS (SELECT 1 FROM message) AND NOT EXISTS (SELECT 1 FROM existing);

-- name: send_messages
-- A batch of sends in one statement, one transaction, one commit (group commit). The
-- arrays hold the fields of each send, in arrival order; each gives recipient_id (the
-- conversation is created on the first message) or conversation_id. For each send, lock the
-- logs it appends to (in user id order, as every writer of the outboxes does, so writers
-- never deadlock), get or create the conversation (its row lock orders the sends of one
-- conversation; not while either participant blocks the other), take its next positions, append one event to the sender's and one to the
-- recipient's outbox, and store the message. A pair's messages take consecutive positions and
-- a user's events consecutive seqs, in arrival order; each conversation and each outbox head
-- is updated once, by the batch's count.
-- One row per send, with `idx`, its 1-based place in the arrays:
-- - a new message, with the seq of its event in each outbox;
-- - a resend of a stored client_message_id: the original as it is, recipient_seq NULL;
-- - a refusal, in `refused`: 'no_conversation', 'not_participant', 'blocked' (either of the
--   two blocks the other), 'no_user' or 'rate_limited' (the sender's limit, rate_amount
--   sends per rate_seconds, counted on their outbox head, allows no more now).
-- Two sends of one client_message_id in one batch violate the unique key and fail it, like
-- any error: the caller then writes its sends one by one. This statement is longer than
-- psycopg's parse cache takes (4 KiB): it is parsed again once per batch, not per send.
WITH req AS (
    SELECT r.*
    FROM unnest(%(sender_ids)s::uuid[], %(recipient_ids)s::uuid[], %(conversation_ids)s::uuid[],
                %(contents)s::text[], %(client_message_ids)s::text[])
         WITH ORDINALITY AS r (sender_id, recipient_id, conversation_id, content,
                               client_message_id, idx)
), existing AS (  -- resends; message_by_client_id reads the unique index (migration 0005)
    SELECT req.idx, m.*
    FROM req
    CROSS JOIN LATERAL message_by_client_id(req.sender_id, req.client_message_id) m
), asked AS (  -- each new send with the pair it is between (NULL: no such conversation)
    SELECT req.*,  -- (least and greatest skip a NULL: they need the recipient)
           CASE WHEN req.recipient_id IS NULL THEN c.participant1_id
                ELSE least(req.sender_id, req.recipient_id) END AS p1,
           CASE WHEN req.recipient_id IS NULL THEN c.participant2_id
                ELSE greatest(req.sender_id, req.recipient_id) END AS p2
    FROM req
    LEFT JOIN conversations c ON c.id = req.conversation_id AND req.recipient_id IS NULL
    WHERE req.idx NOT IN (SELECT idx FROM existing)
), locked AS (  -- the outboxes the sender's own sends append to, in user id order first;
                -- a user who does not exist has no outbox head
    SELECT h.user_id, h AS head
    FROM outbox_heads h
    WHERE h.user_id IN (SELECT a.p1 FROM asked a WHERE a.sender_id IN (a.p1, a.p2)
                        UNION
                        SELECT a.p2 FROM asked a WHERE a.sender_id IN (a.p1, a.p2))
    ORDER BY h.user_id
    FOR UPDATE OF h
), allowed AS (  -- the sends that may go ahead, numbered in each sender's order, with
                 -- how many more the sender's rate limit allows
    SELECT a.*, row_number() OVER (PARTITION BY a.sender_id ORDER BY a.idx) AS nth,
           rate_room(l.head, %(rate_amount)s, %(rate_seconds)s) AS room
    FROM asked a
    JOIN locked l ON l.user_id = a.sender_id
    WHERE a.sender_id IN (a.p1, a.p2)
      AND NOT EXISTS (SELECT FROM blocked_pairs x WHERE x.p1 = a.p1 AND x.p2 = a.p2)
      AND a.p1 IN (SELECT user_id FROM locked) AND a.p2 IN (SELECT user_id FROM locked)
), target AS (  -- the sends that go ahead
    SELECT * FROM allowed WHERE nth <= room
), events AS (  -- each new message is one event in each participant's outbox
    SELECT t.idx, t.p1 AS user_id, t.sender_id = t.p1 AS sent FROM target t
    UNION ALL
    SELECT t.idx, t.p2, t.sender_id = t.p2 FROM target t
), pairs AS (
    SELECT t.p1, t.p2, count(*) AS added, count(*) FILTER (WHERE t.sender_id = t.p1) AS by_p1
    FROM target t
    GROUP BY t.p1, t.p2
), conv AS (  -- each conversation created or counted once, by how many it gains
    INSERT INTO conversations AS c (participant1_id, participant2_id, message_count,
                                    participant1_sent)
    SELECT p1, p2, added, by_p1 FROM pairs
    ON CONFLICT (participant1_id, participant2_id)
        DO UPDATE SET message_count = c.message_count + excluded.message_count,
                      participant1_sent = c.participant1_sent + excluded.participant1_sent,
                      updated_at = now()
    RETURNING c.id, c.participant1_id AS p1, c.participant2_id AS p2, c.message_count,
              (c.xmax = 0) AS created
), heads AS (  -- each outbox advanced once; its new events number from first_seq + 1;
               -- its rate counts move to the current window and count what it sent
    UPDATE outbox_heads h
    SET last_seq = h.last_seq + added.n,
        rate_window = rate_window_now(%(rate_seconds)s),
        rate_count = rate_count_now(h, %(rate_seconds)s) + added.sent,
        rate_previous = rate_previous_now(h, %(rate_seconds)s)
    FROM (SELECT user_id, count(*) AS n, count(*) FILTER (WHERE sent) AS sent
          FROM events GROUP BY user_id) added
    WHERE h.user_id = added.user_id AND (SELECT count(*) FROM conv) > 0
    RETURNING h.user_id, h.last_seq - added.n AS first_seq
), seqs AS (
    SELECT e.idx, e.user_id,
           heads.first_seq + row_number() OVER (PARTITION BY e.user_id ORDER BY e.idx) AS seq
    FROM events e JOIN heads USING (user_id)
), placed AS (  -- each message's position: the pair's new ones, in arrival order
    SELECT t.idx, t.sender_id, t.content, t.client_message_id, conv.id AS conversation_id,
           conv.message_count - pairs.added + row_number() OVER in_pair AS position,
           conv.created AND row_number() OVER in_pair = 1 AS created,
           CASE WHEN t.sender_id = t.p1 THEN t.p2 ELSE t.p1 END AS recipient_id
    FROM target t
    JOIN conv USING (p1, p2)
    JOIN pairs USING (p1, p2)
    WINDOW in_pair AS (PARTITION BY conv.id ORDER BY t.idx)
), message AS (
    INSERT INTO messages (conversation_id, position, sender_id, recipient_id, content,
                          client_message_id, sender_seq)
    SELECT p.conversation_id, p.position, p.sender_id, p.recipient_id, p.content,
           p.client_message_id, s.seq
    FROM placed p
    JOIN seqs s ON s.idx = p.idx AND s.user_id = p.sender_id
    RETURNING *
), logged AS (
    INSERT INTO outbox (user_id, seq, event, message_id)
    SELECT s.user_id, s.seq, 'message:received', m.id
    FROM message m
    JOIN placed p USING (conversation_id, position)
    JOIN seqs s ON s.idx = p.idx
)
SELECT r.idx, o.id, o.conversation_id, o.sender_id, o.recipient_id, o.content, o.status,
       o.created_at, o.delivered_at, o.read_at, o.client_message_id, o.edited_at,
       o.deleted_at, o.sender_seq,
       s.seq AS recipient_seq, p.created,
       CASE WHEN o.id IS NOT NULL THEN NULL
            WHEN w.idx IS NOT NULL THEN 'rate_limited'
            WHEN a.p1 IS NULL THEN 'no_conversation'
            WHEN a.sender_id NOT IN (a.p1, a.p2) THEN 'not_participant'
            WHEN blocked(a.p1, a.p2) THEN 'blocked'
            ELSE 'no_user' END AS refused
FROM req r
LEFT JOIN (SELECT p.idx, m.* FROM message m JOIN placed p USING (conversation_id, position)
           UNION ALL
           SELECT * FROM existing) o ON o.idx = r.idx
LEFT JOIN placed p ON p.idx = r.idx
LEFT JOIN seqs s ON s.idx = r.idx AND s.user_id = o.recipient_id
LEFT JOIN asked a ON a.idx = r.idx
LEFT JOIN allowed w ON w.idx = r.idx;

-- name: rate_retry_after
-- Seconds until the user's limit allows one more send or edit (a send or edit was refused).
SELECT rate_retry_after(h, %(rate_amount)s, %(rate_seconds)s)
FROM outbox_heads h
WHERE h.user_id = %(user_id)s;

-- name: conversation_size
-- The conversation's participants and message count, for access checks and paging.
SELECT participant1_id, participant2_id, message_count
FROM conversations
WHERE id = %(conversation_id)s;

-- name: message_position
SELECT position FROM messages
WHERE id = %(message_id)s AND conversation_id = %(conversation_id)s;

-- name: history_range
-- One page of history: a range of positions, read from one index.
SELECT id, conversation_id, sender_id, recipient_id, content, status,
       created_at, delivered_at, read_at, client_message_id, edited_at, deleted_at
FROM messages
WHERE conversation_id = %(conversation_id)s
  AND position BETWEEN %(first)s AND %(last)s
ORDER BY position
LIMIT %(last)s::bigint - %(first)s::bigint + 1;

-- name: search_messages
-- Full-text search over the caller's conversations: the most recent 1000 matching messages,
-- best match first. The cost must not hang on the planner's guess of how common the words are
-- (it takes words as independent: two words always said together were judged rare, and the
-- GIN plan fetched all 200,000 of their matches), so each side (sent, received) is searched in
-- two steps:
-- 1. the side's newest `scanned` messages are read newest first and filtered: a word common
--    enough (1000 matches among them) fills the window here, at a cost bounded by `scanned`;
-- 2. only when step 1 found fewer than 1000, the side's newest 1000 matches are read from all
--    its messages, by the plan the planner picks: the GIN index for a word that rare, or at
--    worst the side's messages once.
-- The tsquery is built inline from the bound text and the statement is never prepared, so the
-- planner sees the words.
WITH sent_recent AS MATERIALIZED (
    SELECT newest.* FROM (
        SELECT m.id, m.conversation_id, m.sender_id, m.recipient_id, m.content, m.status,
               m.created_at, m.delivered_at, m.read_at, m.client_message_id, m.edited_at,
               m.deleted_at, m.search_vector
        FROM messages m
        WHERE m.sender_id = %(user_id)s
        ORDER BY m.created_at DESC
        LIMIT %(scanned)s
    ) newest
    WHERE newest.search_vector @@ websearch_to_tsquery('english', %(query)s)
    ORDER BY newest.created_at DESC
    LIMIT 1000
), received_recent AS MATERIALIZED (
    SELECT newest.* FROM (
        SELECT m.id, m.conversation_id, m.sender_id, m.recipient_id, m.content, m.status,
               m.created_at, m.delivered_at, m.read_at, m.client_message_id, m.edited_at,
               m.deleted_at, m.search_vector
        FROM messages m
        WHERE m.recipient_id = %(user_id)s
        ORDER BY m.created_at DESC
        LIMIT %(scanned)s
    ) newest
    WHERE newest.search_vector @@ websearch_to_tsquery('english', %(query)s)
    ORDER BY newest.created_at DESC
    LIMIT 1000
), sent_all AS (
    SELECT m.id, m.conversation_id, m.sender_id, m.recipient_id, m.content, m.status,
           m.created_at, m.delivered_at, m.read_at, m.client_message_id, m.edited_at,
               m.deleted_at, m.search_vector
    FROM messages m
    WHERE m.sender_id = %(user_id)s
      AND m.search_vector @@ websearch_to_tsquery('english', %(query)s)
    ORDER BY m.created_at DESC
    LIMIT 1000
), received_all AS (
    SELECT m.id, m.conversation_id, m.sender_id, m.recipient_id, m.content, m.status,
           m.created_at, m.delivered_at, m.read_at, m.client_message_id, m.edited_at,
               m.deleted_at, m.search_vector
    FROM messages m
    WHERE m.recipient_id = %(user_id)s
      AND m.search_vector @@ websearch_to_tsquery('english', %(query)s)
    ORDER BY m.created_at DESC
    LIMIT 1000
), found AS (
    -- Step 2 finds again what step 1 found.
    SELECT DISTINCT ON (id) * FROM (
        SELECT * FROM sent_recent
        UNION ALL
        SELECT * FROM received_recent
        UNION ALL
        SELECT * FROM sent_all WHERE (SELECT count(*) FROM sent_recent) < 1000
        UNION ALL
        SELECT * FROM received_all WHERE (SELECT count(*) FROM received_recent) < 1000
    ) both_steps
    ORDER BY id
), window_ AS (
    SELECT * FROM found ORDER BY created_at DESC LIMIT 1000
)
SELECT id, conversation_id, sender_id, recipient_id, content, status,
       created_at, delivered_at, read_at, client_message_id, edited_at, deleted_at,
       count(*) OVER () AS total
FROM window_
ORDER BY ts_rank(search_vector, websearch_to_tsquery('english', %(query)s)) DESC,
         created_at DESC, id
LIMIT %(limit)s OFFSET %(offset)s;

-- name: merge_search_pending
-- Moves the search index's pending list into the index. A send adds its words to that list
-- (the GIN index's fastupdate), and the send that finds the list over its limit (4 MB) merges
-- all of it before committing, a stall of that send and every one behind it. Merged every
-- second, the list never gets there. One merge at a time: while
-- another connection holds the lock, this returns NULL and merges nothing.
SELECT CASE WHEN pg_try_advisory_xact_lock(%(key)s)
            THEN gin_clean_pending_list('messages_search_vector'::regclass) END AS pages;
