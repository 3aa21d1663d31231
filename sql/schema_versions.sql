-- The bookkeeping of `chat migrate` (app/db/migrate.py): Alembic's version table, named
-- chat_schema_versions, and the adoption of a database made by the runner before it.

-- name: migrations_lock
-- Held until the upgrade's transaction ends: concurrent starts take turns.
SELECT pg_advisory_xact_lock(%(key)s);

-- name: adopt_schema_migrations
-- A database made by the old runner recorded its versions in schema_migrations: its highest
-- becomes the revision Alembic starts from (the table is kept, as it was). The version table
-- is Alembic's own shape, made here first so that the adoption can write to it.
CREATE TABLE IF NOT EXISTS chat_schema_versions (
    version_num varchar(32) NOT NULL,
    CONSTRAINT chat_schema_versions_pkc PRIMARY KEY (version_num)
);
DO $$
BEGIN
    IF to_regclass('schema_migrations') IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM chat_schema_versions) THEN
        INSERT INTO chat_schema_versions (version_num)
        SELECT lpad(max(version)::text, 4, '0') FROM schema_migrations HAVING count(*) > 0;
    END IF;
END
$$;

-- name: schema_tables
-- Which bookkeeping tables exist: Alembic's, and the old runner's.
SELECT to_regclass('chat_schema_versions') IS NOT NULL AS versions,
       to_regclass('schema_migrations') IS NOT NULL AS old_runner;

-- name: schema_revision
SELECT version_num FROM chat_schema_versions;

-- name: old_schema_version
SELECT lpad(max(version)::text, 4, '0') FROM schema_migrations;
