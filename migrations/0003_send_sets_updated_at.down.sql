-- Undoes 0003: a row trigger sets a conversation's updated_at again.
CREATE FUNCTION conversations_touch_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END
$$;
CREATE TRIGGER conversations_updated_at
    BEFORE UPDATE ON conversations
    FOR EACH ROW EXECUTE FUNCTION conversations_touch_updated_at();
