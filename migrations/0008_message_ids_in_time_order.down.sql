-- Undoes 0008: new message ids are random again (stored ids keep their values).
ALTER TABLE messages ALTER COLUMN id SET DEFAULT gen_random_uuid();
DROP FUNCTION uuid_v7();
