-- Conversations that found every agent covering their queue full wait here, oldest first, and
-- are given out as soon as a person frees an agent (a conversation resolved, set pending or
-- snoozed, unassigned, a capacity raised, an agent added): until now they were assigned only
-- when their author wrote again. Rows leave when their conversation is assigned or closed.
CREATE TABLE assignment_waiting (
    conversation_id TEXT    PRIMARY KEY,
    queue           TEXT    NOT NULL,
    channel         TEXT,
    since_ms        INTEGER NOT NULL
);
-- The oldest of a queue first; no other index: an election night with every agent full adds a
-- row per conversation routed to a person, and each index is one more write for each.
CREATE INDEX assignment_waiting_queue ON assignment_waiting (queue, since_ms);
-- Conversations waiting when this migration runs, when there are agents to give them to.
INSERT INTO assignment_waiting (conversation_id, queue, channel, since_ms)
    SELECT id, queue, channel, COALESCE(last_inbound_ms, 0) FROM conversations
    WHERE inbox = 1 AND status = 'open' AND assignee IS NULL AND queue IS NOT NULL
      AND EXISTS (SELECT 1 FROM users WHERE role = 'agent' AND disabled = 0);
