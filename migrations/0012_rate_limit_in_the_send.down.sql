-- Undoes 0012: the counts go (the code before it counts in Redis or in each process).
DROP FUNCTION rate_retry_after(outbox_heads, integer, integer);
DROP FUNCTION rate_room(outbox_heads, integer, integer);
DROP FUNCTION rate_previous_now(outbox_heads, integer);
DROP FUNCTION rate_count_now(outbox_heads, integer);
DROP FUNCTION rate_elapsed_now(integer);
DROP FUNCTION rate_window_now(integer);
ALTER TABLE outbox_heads DROP COLUMN rate_window, DROP COLUMN rate_count,
    DROP COLUMN rate_previous;
