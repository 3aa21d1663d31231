-- Undoes 0009: wire_time() again, as 0006 made it.
CREATE FUNCTION wire_time(t timestamptz) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT coalesce(
        replace(to_char(t AT TIME ZONE 'UTC', '\"YYYY-MM-DD"T"HH24:MI:SS.US"Z\"'), '.000000Z"', 'Z"'),
        'null')
$$;
