-- The send statements set a conversation's updated_at themselves, in the same upsert that
-- counts its message. A row trigger did it before: a PL/pgSQL call on every send, the
-- hot path, for one assignment. Nothing else updates a conversation row.
DROP TRIGGER conversations_updated_at ON conversations;
DROP FUNCTION conversations_touch_updated_at();
