-- Palabre store, SQLite backend: messages, authors, conversations, decisions, rejects, audit.
-- Times are milliseconds since the Unix epoch (UTC). Fingerprints are xxh3 u64 stored as i64.

-- Keyed by a 64-bit fingerprint of (platform, id) (see `author_key` in the store crate): an
-- integer key in random order costs a third of what the (platform, id) string key did.
CREATE TABLE authors (
    key           INTEGER PRIMARY KEY,
    platform      TEXT    NOT NULL,
    id            TEXT    NOT NULL,
    handle        TEXT,
    display_name  TEXT,
    verified      INTEGER NOT NULL DEFAULT 0,
    followers     INTEGER,
    following     INTEGER,
    bio           TEXT,
    first_seen_ms INTEGER NOT NULL,
    last_seen_ms  INTEGER NOT NULL
);

CREATE TABLE conversations (
    id               TEXT    PRIMARY KEY,
    platform         TEXT    NOT NULL,
    root_id          TEXT,
    -- open, pending or resolved. No CHECK here: with one, every upsert of a conversation builds
    -- a temporary table (a fifth of the write time). Palabre writes it from an enum and refuses
    -- any other value when reading it back.
    status           TEXT    NOT NULL DEFAULT 'open',
    assignee         TEXT,
    bot_paused       INTEGER NOT NULL DEFAULT 0,
    created_ms       INTEGER NOT NULL,
    last_inbound_ms  INTEGER,
    last_outbound_ms INTEGER
) WITHOUT ROWID;

CREATE TABLE messages (
    seq             INTEGER PRIMARY KEY,
    platform        TEXT    NOT NULL,
    external_id     TEXT    NOT NULL,
    fingerprint     INTEGER NOT NULL,
    content_hash    INTEGER NOT NULL,
    request_key     INTEGER,
    conversation_id TEXT    NOT NULL,
    rootless        INTEGER NOT NULL,
    kind            TEXT    NOT NULL,
    author_id       TEXT    NOT NULL,
    author_key      INTEGER NOT NULL,
    text            TEXT    NOT NULL,
    lang_hint       TEXT,
    in_reply_to     TEXT,
    referenced_id   TEXT,
    rating          INTEGER,
    entities        TEXT    NOT NULL,
    created_ms      INTEGER NOT NULL,
    raw             TEXT    NOT NULL,
    -- The decision, one per message (exactly one outcome per inbound event).
    outcome         TEXT    NOT NULL,
    reasons         TEXT    NOT NULL,
    queue           TEXT,
    reply           TEXT,
    triage          TEXT,
    decided_ms      INTEGER NOT NULL,
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

-- Lines that could not be read, and ids that came back with other content: kept, never lost.
CREATE TABLE rejects (
    seq         INTEGER PRIMARY KEY,
    source      TEXT    NOT NULL,
    line        INTEGER,
    event_id    TEXT,
    reason      TEXT    NOT NULL,
    error       TEXT    NOT NULL,
    raw         TEXT    NOT NULL,
    recorded_ms INTEGER NOT NULL
);

CREATE TABLE audit_log (
    seq    INTEGER PRIMARY KEY,
    at_ms  INTEGER NOT NULL,
    actor  TEXT    NOT NULL,
    action TEXT    NOT NULL,
    target TEXT,
    detail TEXT
);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
