-- Text search in the inbox: what people wrote to the brand (messages not decided `ignored`),
-- any substring, case folded, through a trigram index on lower(text) that `LIKE '%…%'` uses.
-- It needs the pg_trgm extension (shipped with PostgreSQL, trusted: a database owner may
-- create it). Where it cannot be created, search still works by reading the messages, and a
-- notice says why; the index can be added later by running this file's last statement.
DO $$
BEGIN
    CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public;
EXCEPTION WHEN OTHERS THEN
    RAISE NOTICE 'pg_trgm is not available (%): inbox search will read messages without an index', SQLERRM;
END $$;

DO $$
DECLARE
    opclass_schema TEXT;
BEGIN
    SELECT n.nspname INTO opclass_schema FROM pg_opclass o JOIN pg_namespace n ON n.oid = o.opcnamespace
        WHERE o.opcname = 'gin_trgm_ops' LIMIT 1;
    IF opclass_schema IS NOT NULL THEN
        EXECUTE format('CREATE INDEX messages_search ON messages USING gin (lower(text) %I.gin_trgm_ops) WHERE outcome <> ''ignored''',
                       opclass_schema);
    END IF;
END $$;
