-- Bulk seeding for the benchmarks: rows the service would have written, made in one statement.

-- name: seed_users
-- `count` users named prefix_1..prefix_N with empty logs; returns their ids in order.
WITH created AS (
    INSERT INTO users (username, password_hash)
    SELECT %(prefix)s || '_' || g, 'unused' FROM generate_series(1, %(count)s::int) g
    RETURNING id, username
), heads AS (
    INSERT INTO outbox_heads (user_id) SELECT id FROM created
), acks AS (
    INSERT INTO outbox_acks (user_id) SELECT id FROM created
)
SELECT id FROM created ORDER BY split_part(username, '_', 2)::int;

-- name: seed_conversation
-- One conversation from sender to recipient holding `count` messages, each logged in both
-- users' replay logs exactly as the send statement would have logged it.
WITH conv AS (
    INSERT INTO conversations (participant1_id, participant2_id, message_count, participant1_sent)
    VALUES (least(%(sender)s::uuid, %(recipient)s::uuid), greatest(%(sender)s::uuid, %(recipient)s::uuid),
            %(count)s::bigint, CASE WHEN %(sender)s::uuid < %(recipient)s::uuid THEN %(count)s::bigint ELSE 0 END)
    RETURNING id
), sender_head AS (
    UPDATE outbox_heads SET last_seq = last_seq + %(count)s::bigint
    WHERE user_id = %(sender)s::uuid RETURNING last_seq - %(count)s::bigint AS base
), recipient_head AS (
    UPDATE outbox_heads SET last_seq = last_seq + %(count)s::bigint
    WHERE user_id = %(recipient)s::uuid RETURNING last_seq - %(count)s::bigint AS base
), message AS (
    INSERT INTO messages (conversation_id, position, sender_id, recipient_id, content, sender_seq,
                          created_at)
    SELECT conv.id, g, %(sender)s::uuid, %(recipient)s::uuid,
           (ARRAY['budget review for the quarter', 'lunch on friday', 'the deploy went fine',
                  'can you check the invoice', 'meeting moved to monday'])[1 + g %% 5]
               || ' #' || g || CASE WHEN g %% 33 = 0 THEN ' standup' ELSE '' END,
           sender_head.base + g,
           now() - interval '1 second' * (%(count)s::bigint - g)
    FROM conv, sender_head, generate_series(1, %(count)s::bigint) g
    RETURNING id, position
), logged AS (
    INSERT INTO outbox (user_id, seq, event, message_id)
    SELECT %(recipient)s::uuid, recipient_head.base + message.position, 'message:received', message.id
    FROM message, recipient_head
    UNION ALL
    SELECT %(sender)s::uuid, sender_head.base + message.position, 'message:received', message.id
    FROM message, sender_head
)
SELECT id FROM conv;

-- name: tables_changed
-- The tables autovacuum would look at: rows written or removed since their last analyze.
SELECT relname FROM pg_stat_user_tables WHERE n_mod_since_analyze > 0 OR n_dead_tup > 0;
