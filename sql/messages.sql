-- name: send_message
-- The whole send in one statement: lock both users' logs (in user id order, as every writer
-- of the logs does, so writers never deadlock), get or create the conversation (locking its
-- row, which orders the sends of one conversation), take its next position, append one event
-- to the sender's and the recipient's logs, and store the message. Give either recipient_id or
-- conversation_id. A repeated client_message_id returns the original row and changes nothing.
-- No row back: the conversation does not exist or the sender is not in it.
WITH existing AS (
    SELECT m.*
    FROM messages m
    WHERE m.sender_id = %(sender_id)s AND m.client_message_id = %(client_message_id)s
), target AS (
    SELECT least(%(sender_id)s::uuid, %(recipient_id)s::uuid) AS participant1_id,
           greatest(%(sender_id)s::uuid, %(recipient_id)s::uuid) AS participant2_id
    WHERE %(recipient_id)s::uuid IS NOT NULL
    UNION ALL
    SELECT c.participant1_id, c.participant2_id
    FROM conversations c
    WHERE c.id = %(conversation_id)s::uuid
      AND %(sender_id)s IN (c.participant1_id, c.participant2_id)
), locked AS (
    SELECT h.user_id
    FROM outbox_heads h, target
    WHERE h.user_id IN (target.participant1_id, target.participant2_id)
      AND NOT EXISTS (SELECT 1 FROM existing)
    ORDER BY h.user_id
    FOR UPDATE OF h
), conv AS (
    INSERT INTO conversations AS c (participant1_id, participant2_id, message_count)
    SELECT participant1_id, participant2_id, 1 FROM target
    WHERE NOT EXISTS (SELECT 1 FROM existing) AND (SELECT count(*) FROM locked) > 0
    ON CONFLICT (participant1_id, participant2_id)
        DO UPDATE SET message_count = c.message_count + 1
    RETURNING c.id, c.participant1_id, c.participant2_id, c.message_count,
              (c.xmax = 0) AS created
), heads AS (
    UPDATE outbox_heads h
    SET last_seq = h.last_seq + 1
    FROM conv
    WHERE h.user_id IN (conv.participant1_id, conv.participant2_id)
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
       m.created_at, m.delivered_at, m.read_at, m.client_message_id,
       m.sender_seq,
       (SELECT last_seq FROM heads WHERE user_id = m.recipient_id) AS recipient_seq,
       (SELECT created FROM conv) AS created_conversation
FROM message m
UNION ALL
SELECT e.id, e.conversation_id, e.sender_id, e.recipient_id, e.content, e.status,
       e.created_at, e.delivered_at, e.read_at, e.client_message_id,
       e.sender_seq, NULL, NULL
FROM existing e;

-- name: lock_logs_for_sends
-- Before a batch of sends: lock every log the batch will append to, in user id order.
SELECT h.user_id
FROM outbox_heads h
WHERE h.user_id IN (
    SELECT unnest(%(sender_ids)s::uuid[])
    UNION SELECT unnest(%(recipient_ids)s::uuid[])
    UNION SELECT c.participant1_id FROM conversations c WHERE c.id = ANY(%(conversation_ids)s::uuid[])
    UNION SELECT c.participant2_id FROM conversations c WHERE c.id = ANY(%(conversation_ids)s::uuid[])
)
ORDER BY h.user_id
FOR UPDATE;

-- name: message_by_client_message_id
SELECT id, conversation_id, sender_id, recipient_id, content, status,
       created_at, delivered_at, read_at, client_message_id, sender_seq
FROM messages
WHERE sender_id = %(sender_id)s AND client_message_id = %(client_message_id)s;

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
       created_at, delivered_at, read_at, client_message_id
FROM messages
WHERE conversation_id = %(conversation_id)s
  AND position BETWEEN %(first)s AND %(last)s
ORDER BY position
LIMIT %(last)s::bigint - %(first)s::bigint + 1;

-- name: search_messages
-- Full-text search over the caller's conversations: the most recent SEARCH_WINDOW (1000)
-- matching messages, best match first. The planner reads each side newest first through
-- (sender_id|recipient_id, created_at) and stops at the window for a common word, or uses the
-- GIN index for a rare one. The tsquery is built inline from the bound text, so the planner
-- sees it as a constant.
WITH recent AS (
    (SELECT m.id, m.conversation_id, m.sender_id, m.recipient_id, m.content, m.status,
            m.created_at, m.delivered_at, m.read_at, m.client_message_id, m.search_vector
     FROM messages m
     WHERE m.sender_id = %(user_id)s
       AND m.search_vector @@ websearch_to_tsquery('english', %(query)s)
     ORDER BY m.created_at DESC
     LIMIT 1000)
    UNION ALL
    (SELECT m.id, m.conversation_id, m.sender_id, m.recipient_id, m.content, m.status,
            m.created_at, m.delivered_at, m.read_at, m.client_message_id, m.search_vector
     FROM messages m
     WHERE m.recipient_id = %(user_id)s
       AND m.search_vector @@ websearch_to_tsquery('english', %(query)s)
     ORDER BY m.created_at DESC
     LIMIT 1000)
), window_ AS (
    SELECT * FROM recent ORDER BY created_at DESC LIMIT 1000
)
SELECT id, conversation_id, sender_id, recipient_id, content, status,
       created_at, delivered_at, read_at, client_message_id,
       count(*) OVER () AS total
FROM window_
ORDER BY ts_rank(search_vector, websearch_to_tsquery('english', %(query)s)) DESC,
         created_at DESC, id
LIMIT %(limit)s OFFSET %(offset)s;
