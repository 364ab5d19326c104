-- Real platforms: where each connector stopped reading (checkpoints), how it is doing (shown in
-- the inbox when it is not), and the durable queue of webhook deliveries acknowledged before
-- they are processed.
CREATE TABLE connector_state (
    name        TEXT PRIMARY KEY,          -- the account's name in the configuration
    platform    TEXT NOT NULL,
    cursor      TEXT,                      -- where to resume (a time_us, a since_id, a page token)
    status      TEXT NOT NULL DEFAULT 'ok' CHECK (status IN ('ok', 'reconnecting', 'auth_failed', 'failing', 'stopped')),
    error       TEXT,
    since_ms    INTEGER NOT NULL,          -- when it entered this status
    updated_ms  INTEGER NOT NULL
);

CREATE TABLE webhook_queue (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    platform     TEXT NOT NULL,
    account      TEXT NOT NULL,
    body         TEXT NOT NULL,            -- the raw body whose signature was checked
    body_hash    TEXT NOT NULL,            -- the same delivery twice is kept once
    received_ms  INTEGER NOT NULL,
    status       TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'failed')),
    error        TEXT,
    processed_ms INTEGER,
    UNIQUE (account, body_hash)
);
CREATE INDEX webhook_queue_pending ON webhook_queue (id) WHERE status = 'pending';
