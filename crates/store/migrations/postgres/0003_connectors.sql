-- Real platforms: where each connector stopped reading (checkpoints), how it is doing (shown in
-- the inbox when it is not), and the durable queue of webhook deliveries acknowledged before
-- they are processed.
CREATE TABLE connector_state (
    name        TEXT PRIMARY KEY,
    platform    TEXT NOT NULL,
    cursor      TEXT,
    status      TEXT NOT NULL DEFAULT 'ok' CHECK (status IN ('ok', 'reconnecting', 'auth_failed', 'failing', 'stopped')),
    error       TEXT,
    since_ms    BIGINT NOT NULL,
    updated_ms  BIGINT NOT NULL
);

CREATE TABLE webhook_queue (
    id           BIGSERIAL PRIMARY KEY,
    platform     TEXT NOT NULL,
    account      TEXT NOT NULL,
    body         TEXT NOT NULL,
    body_hash    TEXT NOT NULL,
    received_ms  BIGINT NOT NULL,
    status       TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'failed')),
    error        TEXT,
    processed_ms BIGINT,
    UNIQUE (account, body_hash)
);
CREATE INDEX webhook_queue_pending ON webhook_queue (id) WHERE status = 'pending';
