-- Replayed frames are encoded by the service now, by the same encoder as live ones
-- (app/domain/events.py): PostgreSQL no longer writes timestamps as the wire does.
DROP FUNCTION wire_time(timestamptz);
