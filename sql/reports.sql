-- Reports for moderation (contract section 5): a copy of the message as it was, with who
-- reported it, why and when.

-- name: insert_report
INSERT INTO reports (message_id, conversation_id, sender_id, reporter_id, reason, content,
                     sent_at)
VALUES (%(message_id)s, %(conversation_id)s, %(sender_id)s, %(reporter_id)s, %(reason)s,
        %(content)s, %(sent_at)s)
RETURNING id;

-- name: reports_newest_first
SELECT id, message_id, conversation_id, sender_id, reporter_id, reason, content, sent_at,
       created_at
FROM reports
ORDER BY created_at DESC, id DESC
LIMIT %(limit)s;
