-- Blocks (contract section 5). The send statements check them themselves (blocked_pairs, in
-- migration 0010), in the same statement as the send: no cache, so an unblock counts at once.

-- name: block_user
-- Blocks again: no change. No row: the user to block does not exist.
WITH blocked_user AS (
    SELECT id FROM users WHERE id = %(blocked_id)s
)
INSERT INTO blocks (blocker_id, blocked_id)
SELECT %(blocker_id)s, id FROM blocked_user
ON CONFLICT (blocker_id, blocked_id) DO UPDATE SET blocker_id = excluded.blocker_id
RETURNING blocked_id;

-- name: unblock_user
DELETE FROM blocks WHERE blocker_id = %(blocker_id)s AND blocked_id = %(blocked_id)s;

-- name: blocked_users
-- Whom the user blocks, most recent first.
SELECT u.id, u.username, u.created_at
FROM blocks b
JOIN users u ON u.id = b.blocked_id
WHERE b.blocker_id = %(blocker_id)s
ORDER BY b.created_at DESC, u.id;

-- name: either_blocks
SELECT blocked(%(a)s::uuid, %(b)s::uuid) AS blocked;
