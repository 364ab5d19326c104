-- Palabre store, PostgreSQL backend: messages, authors, conversations, decisions, rejects, audit.
-- Times are milliseconds since the Unix epoch (UTC), as in the SQLite backend, so that both
-- backends answer alike. Fingerprints are xxh3 u64 stored as BIGINT.

-- Keyed by a 64-bit fingerprint of (platform, id) (see `author_key` in the store crate): an
-- integer key in random order costs a third of what the (platform, id) string key did.
CREATE TABLE authors (
    key           BIGINT  PRIMARY KEY,
    platform      TEXT    NOT NULL,
    id            TEXT    NOT NULL,
    handle        TEXT,
    display_name  TEXT,
    verified      BOOLEAN NOT NULL DEFAULT FALSE,
    followers     BIGINT,
    following     BIGINT,
    bio           TEXT,
    first_seen_ms BIGINT  NOT NULL,
    last_seen_ms  BIGINT  NOT NULL
);

CREATE TABLE conversations (
    id               TEXT    PRIMARY KEY,
    platform         TEXT    NOT NULL,
    root_id          TEXT,
    status           TEXT    NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'pending', 'resolved')),
    assignee         TEXT,
    bot_paused       BOOLEAN NOT NULL DEFAULT FALSE,
    created_ms       BIGINT  NOT NULL,
    last_inbound_ms  BIGINT,
    last_outbound_ms BIGINT
);

CREATE TABLE messages (
    seq             BIGSERIAL PRIMARY KEY,
    platform        TEXT    NOT NULL,
    external_id     TEXT    NOT NULL,
    fingerprint     BIGINT  NOT NULL,
    content_hash    BIGINT  NOT NULL,
    request_key     BIGINT,
    conversation_id TEXT    NOT NULL,
    rootless        BOOLEAN NOT NULL,
    kind            TEXT    NOT NULL,
    author_id       TEXT    NOT NULL,
    author_key      BIGINT  NOT NULL,
    text            TEXT    NOT NULL,
    lang_hint       TEXT,
    in_reply_to     TEXT,
    referenced_id   TEXT,
    rating          SMALLINT,
    entities        TEXT    NOT NULL,
    created_ms      BIGINT  NOT NULL,
    raw             TEXT    NOT NULL,
    -- The decision, one per message (exactly one outcome per inbound event).
    outcome         TEXT    NOT NULL,
    reasons         TEXT    NOT NULL,
    queue           TEXT,
    reply           TEXT,
    triage          TEXT,
    decided_ms      BIGINT  NOT NULL,
    -- The campaign that produced the reply and the request's key in it: what the guardrails
    -- read back at start so that a restart answers nobody twice.
    campaign        TEXT,
    campaign_key    TEXT,
    UNIQUE (platform, external_id)
);
CREATE INDEX messages_conversation ON messages (conversation_id, created_ms);
CREATE INDEX messages_author ON messages (author_key, created_ms);

-- Decisions live in their message's row (one write per event); this view reads them alone.
CREATE VIEW decisions AS
    SELECT platform, external_id, outcome, reasons, queue, reply, triage, decided_ms FROM messages;

CREATE TABLE rejects (
    seq         BIGSERIAL PRIMARY KEY,
    source      TEXT   NOT NULL,
    line        BIGINT,
    event_id    TEXT,
    reason      TEXT   NOT NULL,
    error       TEXT   NOT NULL,
    raw         TEXT   NOT NULL,
    recorded_ms BIGINT NOT NULL
);

CREATE TABLE audit_log (
    seq    BIGSERIAL PRIMARY KEY,
    at_ms  BIGINT NOT NULL,
    actor  TEXT   NOT NULL,
    action TEXT   NOT NULL,
    target TEXT,
    detail TEXT
);
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'the audit log is append-only'; END $$;
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
