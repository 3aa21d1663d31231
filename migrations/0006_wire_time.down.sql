-- Undoes 0006.
DROP FUNCTION wire_time(timestamptz);
