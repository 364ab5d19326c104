-- Automatic assignment in constant time per decision. Until now each assignment counted every
-- agent's open conversations by scanning `conversations` (no index on the assignee) and matched
-- teams to queues with LIKE over comma-separated lists: 13-17 ms a call at 99k conversations,
-- run for every message routed to a person, even when every agent was already full.
--
-- `assignable` holds one row per (queue, enabled agent, team on that queue) with the agent's
-- open load (kept as said below); the workspace rebuilds it when people or teams change (rare),
-- and the pick is one descent of `assignable_free`.
CREATE TABLE assignable (
    queue            TEXT    NOT NULL,
    user_name        TEXT    NOT NULL,
    team             TEXT    NOT NULL,
    -- The team's channels, comma-separated; empty: every channel.
    channels         TEXT    NOT NULL,
    user_id          INTEGER NOT NULL,
    capacity         INTEGER NOT NULL,
    -- Open conversations assigned to this agent (the same number on each of their rows).
    open_count       INTEGER NOT NULL,
    last_assigned_ms INTEGER NOT NULL,
    PRIMARY KEY (queue, user_name, team)
);
-- Only agents below their capacity: when everyone is full the pick finds nothing at once.
CREATE INDEX assignable_free ON assignable (queue, open_count, last_assigned_ms, user_id)
    WHERE open_count < capacity;
CREATE INDEX assignable_user ON assignable (user_name);
-- An agent's conversations (their load when `assignable` is rebuilt, the "mine" view).
-- Partial: unassigned conversations, most of them, cost it nothing.
CREATE INDEX conversations_assignee ON conversations (assignee, status) WHERE assignee IS NOT NULL;

-- Moving a conversation from one agent to another moves its load. Only assignments: a trigger
-- on `status` would belong to the recorded path's conversation upsert (which sets it), and
-- SQLite would then keep a statement journal for every upsert (+8% instructions for the whole
-- path, measured). Status changes made by people recount their agents' loads in the same
-- transaction (crates/store/src/workspace/assignment.rs); a conversation the writer opens again
-- can leave its agent's count low, which the pick checks against the conversations before it
-- gives anything to that agent.
CREATE TRIGGER conversations_load_update AFTER UPDATE OF assignee ON conversations
WHEN OLD.assignee IS NOT NEW.assignee AND NEW.status = 'open'
BEGIN
    UPDATE assignable SET open_count = open_count - 1 WHERE user_name = OLD.assignee;
    UPDATE assignable SET open_count = open_count + 1 WHERE user_name = NEW.assignee;
END;

CREATE TRIGGER conversations_load_delete AFTER DELETE ON conversations
WHEN OLD.assignee IS NOT NULL AND OLD.status = 'open'
BEGIN
    UPDATE assignable SET open_count = open_count - 1 WHERE user_name = OLD.assignee;
END;

-- `assignable` is derived from `users` and `teams`: any change to who works on what marks it
-- stale, and the next assignment rebuilds it first (also after this migration, and whatever
-- made the change: the web, `palabre admin` in another process, plain SQL).
CREATE TABLE assignment_state (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    stale INTEGER NOT NULL
);
INSERT INTO assignment_state (id, stale) VALUES (1, 1);

CREATE TRIGGER users_assignable_insert AFTER INSERT ON users
BEGIN UPDATE assignment_state SET stale = 1; END;
CREATE TRIGGER users_assignable_update AFTER UPDATE OF name, role, teams, capacity, disabled ON users
BEGIN UPDATE assignment_state SET stale = 1; END;
CREATE TRIGGER users_assignable_delete AFTER DELETE ON users
BEGIN UPDATE assignment_state SET stale = 1; END;
CREATE TRIGGER teams_assignable_insert AFTER INSERT ON teams
BEGIN UPDATE assignment_state SET stale = 1; END;
CREATE TRIGGER teams_assignable_update AFTER UPDATE ON teams
BEGIN UPDATE assignment_state SET stale = 1; END;
CREATE TRIGGER teams_assignable_delete AFTER DELETE ON teams
BEGIN UPDATE assignment_state SET stale = 1; END;
