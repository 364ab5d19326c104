-- Automatic assignment in constant time per decision: see migrations/sqlite/0008_assignment.sql
-- (same tables, same meaning). `assignable` holds one row per (queue, enabled agent, team on
-- that queue) with the agent's open load, kept by the trigger below; the workspace rebuilds it
-- when people or teams change.
CREATE TABLE assignable (
    queue            TEXT    NOT NULL,
    user_name        TEXT    NOT NULL,
    team             TEXT    NOT NULL,
    channels         TEXT    NOT NULL,
    user_id          BIGINT  NOT NULL,
    capacity         BIGINT  NOT NULL,
    open_count       BIGINT  NOT NULL,
    last_assigned_ms BIGINT  NOT NULL,
    PRIMARY KEY (queue, user_name, team)
);
CREATE INDEX assignable_free ON assignable (queue, open_count, last_assigned_ms, user_id)
    WHERE open_count < capacity;
CREATE INDEX assignable_user ON assignable (user_name);
CREATE INDEX conversations_assignee ON conversations (assignee, status) WHERE assignee IS NOT NULL;

CREATE FUNCTION conversations_load() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.assignee IS NOT NULL AND OLD.status = 'open' THEN
        UPDATE assignable SET open_count = open_count - 1 WHERE user_name = OLD.assignee;
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') AND NEW.assignee IS NOT NULL AND NEW.status = 'open' THEN
        UPDATE assignable SET open_count = open_count + 1 WHERE user_name = NEW.assignee;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER conversations_load_insert AFTER INSERT ON conversations
FOR EACH ROW WHEN (NEW.assignee IS NOT NULL AND NEW.status = 'open')
EXECUTE FUNCTION conversations_load();

CREATE TRIGGER conversations_load_update AFTER UPDATE OF assignee, status ON conversations
FOR EACH ROW WHEN ((OLD.assignee IS NOT NULL OR NEW.assignee IS NOT NULL)
     AND (OLD.assignee IS DISTINCT FROM NEW.assignee OR (OLD.status = 'open') <> (NEW.status = 'open')))
EXECUTE FUNCTION conversations_load();

CREATE TRIGGER conversations_load_delete AFTER DELETE ON conversations
FOR EACH ROW WHEN (OLD.assignee IS NOT NULL AND OLD.status = 'open')
EXECUTE FUNCTION conversations_load();

-- `assignable` is derived from `users` and `teams`: any change to who works on what marks it
-- stale, and the next assignment rebuilds it first.
CREATE TABLE assignment_state (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    stale INTEGER NOT NULL
);
INSERT INTO assignment_state (id, stale) VALUES (1, 1);

CREATE FUNCTION assignment_stale() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE assignment_state SET stale = 1;
    RETURN NULL;
END $$;

CREATE TRIGGER users_assignable AFTER INSERT OR DELETE OR UPDATE OF name, role, teams, capacity, disabled
ON users FOR EACH STATEMENT EXECUTE FUNCTION assignment_stale();
CREATE TRIGGER teams_assignable AFTER INSERT OR DELETE OR UPDATE ON teams
FOR EACH STATEMENT EXECUTE FUNCTION assignment_stale();
