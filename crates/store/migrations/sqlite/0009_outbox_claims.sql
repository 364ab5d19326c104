-- Which sender took an outgoing action (`[server] node`): at start, a sender gives back only
-- what it was sending itself when it stopped, never what another process sharing the store is
-- sending now. While an action is `sending`, `next_attempt_ms` is when its claim runs out: any
-- sender may take it again after that (its sender stopped for good).
ALTER TABLE outbox ADD COLUMN claimed_by TEXT;
