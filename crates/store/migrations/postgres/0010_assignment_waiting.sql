-- See migrations/sqlite/0011_assignment_waiting.sql (same table, same meaning).
CREATE TABLE assignment_waiting (
    conversation_id TEXT    PRIMARY KEY,
    queue           TEXT    NOT NULL,
    channel         TEXT,
    since_ms        BIGINT  NOT NULL
);
-- The oldest of a queue first; no other index: an election night with every agent full adds a
-- row per conversation routed to a person, and each index is one more write for each.
CREATE INDEX assignment_waiting_queue ON assignment_waiting (queue, since_ms);
-- Conversations waiting when this migration runs, when there are agents to give them to.
INSERT INTO assignment_waiting (conversation_id, queue, channel, since_ms)
    SELECT id, queue, channel, COALESCE(last_inbound_ms, 0) FROM conversations
    WHERE inbox = 1 AND status = 'open' AND assignee IS NULL AND queue IS NOT NULL
      AND EXISTS (SELECT 1 FROM users WHERE role = 'agent' AND disabled = 0);
