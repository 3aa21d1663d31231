-- The per-user message limit (CHAT_RATE_LIMIT) is counted by the statements that store what
-- it limits (a send, an edit), on the sender's outbox head, which they lock already: no
-- round trip to another store per send, and every worker and node shares one count.
-- The count is a sliding-window counter (the algorithm of limits' SlidingWindowCounter):
-- windows of the limit's length, aligned to the epoch, the count of the current one and of
-- the one before. The moving window's use is the previous count, scaled by how much of the
-- previous window the moving one still covers, plus the current count. A send is allowed
-- while that use plus one is at most the limit's amount.
ALTER TABLE outbox_heads
    ADD COLUMN rate_window   bigint  NOT NULL DEFAULT 0,  -- the window the counts belong to
    ADD COLUMN rate_count    integer NOT NULL DEFAULT 0,  -- counted in rate_window
    ADD COLUMN rate_previous integer NOT NULL DEFAULT 0;  -- counted in the window before it

-- The window now() falls in, for windows of `seconds`.
CREATE FUNCTION rate_window_now(seconds integer) RETURNS bigint
LANGUAGE sql STABLE AS $$
    SELECT floor(date_part('epoch', now()) / seconds)::bigint
$$;

-- How far into its window now() is, from 0 to 1.
CREATE FUNCTION rate_elapsed_now(seconds integer) RETURNS float8
LANGUAGE sql STABLE AS $$
    SELECT date_part('epoch', now()) / seconds - rate_window_now(seconds)
$$;

-- A head's count in the window of now(), and in the one before it.
CREATE FUNCTION rate_count_now(h outbox_heads, seconds integer) RETURNS integer
LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN h.rate_window = rate_window_now(seconds) THEN h.rate_count ELSE 0 END
$$;

CREATE FUNCTION rate_previous_now(h outbox_heads, seconds integer) RETURNS integer
LANGUAGE sql STABLE AS $$
    SELECT CASE rate_window_now(seconds) - h.rate_window
               WHEN 0 THEN h.rate_previous WHEN 1 THEN h.rate_count ELSE 0 END
$$;

-- How many more sends the head's limit allows now. (Times are float8: date_part, not
-- extract, whose numeric costs the send path more.)
CREATE FUNCTION rate_room(h outbox_heads, amount integer, seconds integer) RETURNS integer
LANGUAGE sql STABLE AS $$
    SELECT greatest(0, floor(amount
        - rate_previous_now(h, seconds) * (1 - rate_elapsed_now(seconds))
        - rate_count_now(h, seconds)))::integer
$$;

-- Whole seconds until the head's limit allows one more send (at least 1).
CREATE FUNCTION rate_retry_after(h outbox_heads, amount integer, seconds integer)
RETURNS integer LANGUAGE sql STABLE AS $$
    SELECT greatest(1, ceil(seconds * CASE
        WHEN amount < 1 THEN 1
        -- full on its own: wait for the next window, then for enough of this one to slide out
        WHEN current + 1 > amount THEN 2 - elapsed - (amount - 1)::float8 / current
        -- until enough of the previous window has slid out
        ELSE coalesce(1 - elapsed - (amount - current - 1)::float8 / nullif(previous, 0), 0)
        END))::integer
    FROM (SELECT rate_count_now(h, seconds) AS current,
                 rate_previous_now(h, seconds) AS previous,
                 rate_elapsed_now(seconds) AS elapsed) now_
$$;
