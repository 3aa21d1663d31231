-- name: open_conversation
-- Get or create the conversation of a canonical pair; `created` tells which.
WITH inserted AS (
    INSERT INTO conversations (participant1_id, participant2_id)
    VALUES (%(participant1_id)s, %(participant2_id)s)
    ON CONFLICT (participant1_id, participant2_id) DO NOTHING
    RETURNING id
)
SELECT id, true AS created FROM inserted
UNION ALL
SELECT id, false AS created
FROM conversations
WHERE participant1_id = %(participant1_id)s AND participant2_id = %(participant2_id)s;

-- name: conversation_participants
SELECT participant1_id, participant2_id FROM conversations WHERE id = %(conversation_id)s;

-- name: conversation_view
-- One conversation as the caller sees it.
SELECT s.*, unread_count(s.id, %(user_id)s) AS unread_count
FROM conversation_summaries s
WHERE s.id = %(conversation_id)s;

-- name: conversations_of_user
-- The caller's conversations, most recent activity first: the two per-side indexes, merged.
-- They hold the minute of the last activity (migration 0013); within a minute, updated_at
-- orders the few rows of that minute.
WITH mine AS (
    (SELECT id, active_minute, updated_at FROM conversations WHERE participant1_id = %(user_id)s
     ORDER BY active_minute DESC, updated_at DESC, id DESC
     LIMIT %(limit)s::int + %(offset)s::int)
    UNION ALL
    (SELECT id, active_minute, updated_at FROM conversations WHERE participant2_id = %(user_id)s
     ORDER BY active_minute DESC, updated_at DESC, id DESC
     LIMIT %(limit)s::int + %(offset)s::int)
    ORDER BY active_minute DESC, updated_at DESC, id DESC
    LIMIT %(limit)s OFFSET %(offset)s
)
SELECT s.*, unread_count(s.id, %(user_id)s) AS unread_count
FROM mine
JOIN conversation_summaries s ON s.id = mine.id
ORDER BY mine.updated_at DESC, mine.id DESC;

-- name: count_conversations_of_user
SELECT (SELECT count(*) FROM conversations WHERE participant1_id = %(user_id)s)
     + (SELECT count(*) FROM conversations WHERE participant2_id = %(user_id)s) AS total;
