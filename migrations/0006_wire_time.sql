-- A timestamp as the wire writes it, for the replay log's frames built by PostgreSQL
-- (sql/outbox.sql, log_pages): a JSON string of RFC 3339 in UTC with a "Z", the
-- microseconds only when there are any, as msgspec encodes a datetime; or the JSON null.
-- STABLE, as to_char is, so that the planner inlines it.
CREATE FUNCTION wire_time(t timestamptz) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT coalesce(
        replace(to_char(t AT TIME ZONE 'UTC', '\"YYYY-MM-DD"T"HH24:MI:SS.US"Z\"'), '.000000Z"', 'Z"'),
        'null')
$$;
