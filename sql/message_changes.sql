-- Edits and deletions of a message by its sender (contract section 5). Both lock the message
-- row first, then both participants' outbox heads in user id order, as every writer that
-- touches existing messages does (acks and read marks lock the messages they change before
-- the heads), so no two of them deadlock. Each answers one row: the message after the change
-- with the seq of its event in each outbox, or the message as it is with `refused` saying why
-- nothing changed ('not_sender', 'deleted') or NULL (nothing to change); no row when there is
-- no such message (in conversation_id, when it is given).

-- name: edit_message
-- The content it had goes to message_versions (numbered from 1, the original), the message
-- takes the new content, and each participant's outbox gets a message:edited event. An edit
-- counts against the sender's rate limit, as a send does (send_message).
WITH target AS (
    SELECT m.*
    FROM messages m
    WHERE m.id = %(message_id)s
      AND (%(conversation_id)s::uuid IS NULL OR m.conversation_id = %(conversation_id)s::uuid)
    FOR UPDATE
), allowed AS (
    SELECT t.* FROM target t
    WHERE t.sender_id = %(user_id)s AND t.deleted_at IS NULL AND t.content <> %(content)s
), locked AS (
    SELECT h.user_id, h AS head
    FROM outbox_heads h, allowed a
    WHERE h.user_id = ANY (ARRAY[a.sender_id, a.recipient_id])
    ORDER BY h.user_id
    FOR UPDATE OF h
), editor AS (  -- how many more edits and sends the editor's limit allows now
    SELECT rate_room(l.head, %(rate_amount)s, %(rate_seconds)s) AS room
    FROM locked l
    WHERE l.user_id = %(user_id)s
), kept AS (  -- what it said until now
    INSERT INTO message_versions (message_id, version, content, at)
    SELECT a.id, (SELECT count(*) + 1 FROM message_versions v WHERE v.message_id = a.id),
           a.content, coalesce(a.edited_at, a.created_at)
    FROM allowed a
    WHERE (SELECT count(*) FROM locked) = 2 AND (SELECT room FROM editor) > 0
    RETURNING message_id
), changed AS (
    UPDATE messages m
    SET content = %(content)s, edited_at = now()
    FROM kept
    WHERE m.id = kept.message_id
    RETURNING m.*
), heads AS (
    UPDATE outbox_heads h
    SET last_seq = h.last_seq + 1,
        rate_window = rate_window_now(%(rate_seconds)s),
        rate_count = rate_count_now(h, %(rate_seconds)s) + (h.user_id = %(user_id)s)::int,
        rate_previous = rate_previous_now(h, %(rate_seconds)s)
    FROM changed c
    WHERE h.user_id = ANY (ARRAY[c.sender_id, c.recipient_id])
    RETURNING h.user_id, h.last_seq
), logged AS (
    INSERT INTO outbox (user_id, seq, event, message_id)
    SELECT heads.user_id, heads.last_seq, 'message:edited', c.id
    FROM heads CROSS JOIN changed c
)
SELECT c.id, c.conversation_id, c.sender_id, c.recipient_id, c.content, c.status,
       c.created_at, c.delivered_at, c.read_at, c.client_message_id, c.edited_at,
       c.deleted_at,
       (SELECT last_seq FROM heads WHERE user_id = c.sender_id) AS sender_seq,
       (SELECT last_seq FROM heads WHERE user_id = c.recipient_id) AS recipient_seq,
       NULL AS refused
FROM changed c
UNION ALL
SELECT t.id, t.conversation_id, t.sender_id, t.recipient_id, t.content, t.status,
       t.created_at, t.delivered_at, t.read_at, t.client_message_id, t.edited_at,
       t.deleted_at, NULL, NULL,
       CASE WHEN t.sender_id <> %(user_id)s THEN 'not_sender'
            WHEN t.deleted_at IS NOT NULL THEN 'deleted'
            WHEN (SELECT room FROM editor) = 0 THEN 'rate_limited' END
FROM target t
WHERE NOT EXISTS (SELECT 1 FROM changed);

-- name: delete_message
-- Erases the content and every earlier version, leaves a tombstone in the message's place
-- (content '', deleted_at), and gives each participant's outbox a message:deleted event.
-- The outbox refers to the message and holds none of its words, and the search vector is
-- made from the content: neither keeps a copy.
WITH target AS (
    SELECT m.*
    FROM messages m
    WHERE m.id = %(message_id)s
      AND (%(conversation_id)s::uuid IS NULL OR m.conversation_id = %(conversation_id)s::uuid)
    FOR UPDATE
), allowed AS (
    SELECT t.* FROM target t
    WHERE t.sender_id = %(user_id)s AND t.deleted_at IS NULL
), locked AS (
    SELECT h.user_id
    FROM outbox_heads h, allowed a
    WHERE h.user_id = ANY (ARRAY[a.sender_id, a.recipient_id])
    ORDER BY h.user_id
    FOR UPDATE OF h
), erased AS (
    DELETE FROM message_versions v
    USING allowed a
    WHERE v.message_id = a.id AND (SELECT count(*) FROM locked) = 2
), tombstone AS (
    UPDATE messages m
    SET content = '', deleted_at = now()
    FROM allowed a
    WHERE m.id = a.id AND (SELECT count(*) FROM locked) = 2
    RETURNING m.*
), heads AS (
    UPDATE outbox_heads h
    SET last_seq = h.last_seq + 1
    FROM tombstone t
    WHERE h.user_id = ANY (ARRAY[t.sender_id, t.recipient_id])
    RETURNING h.user_id, h.last_seq
), logged AS (
    INSERT INTO outbox (user_id, seq, event, message_id)
    SELECT heads.user_id, heads.last_seq, 'message:deleted', t.id
    FROM heads CROSS JOIN tombstone t
)
SELECT d.id, d.conversation_id, d.sender_id, d.recipient_id, d.content, d.status,
       d.created_at, d.delivered_at, d.read_at, d.client_message_id, d.edited_at,
       d.deleted_at,
       (SELECT last_seq FROM heads WHERE user_id = d.sender_id) AS sender_seq,
       (SELECT last_seq FROM heads WHERE user_id = d.recipient_id) AS recipient_seq,
       NULL AS refused
FROM tombstone d
UNION ALL
SELECT t.id, t.conversation_id, t.sender_id, t.recipient_id, t.content, t.status,
       t.created_at, t.delivered_at, t.read_at, t.client_message_id, t.edited_at,
       t.deleted_at, NULL, NULL,
       CASE WHEN t.sender_id <> %(user_id)s THEN 'not_sender' END
FROM target t
WHERE NOT EXISTS (SELECT 1 FROM tombstone);

-- name: message_in_conversation
-- A message with its conversation's participants, for the checks of a read or a report.
SELECT m.id, m.conversation_id, m.sender_id, m.recipient_id, m.content, m.status,
       m.created_at, m.delivered_at, m.read_at, m.client_message_id, m.edited_at,
       m.deleted_at
FROM messages m
WHERE m.id = %(message_id)s;

-- name: message_versions
-- What the message said before each edit, oldest first (the current content is the message's).
SELECT content, at
FROM message_versions
WHERE message_id = %(message_id)s
ORDER BY version;
