-- The community managers' workspace: people, sessions, notes, draft reviews, the outbox.
-- Same shape as migrations/sqlite/0002_workspace.sql; flags are integers 0/1 in both, so that
-- the workspace queries (crates/store/src/workspace) are written once for both backends.

-- What the inbox shows of a conversation, kept in its row and maintained by the same upsert as
-- the rest of it: whether it belongs in the inbox at all (1: something was addressed to the
-- brand), its queue, its priority (2 toxic or angry, 1 negative or malformed, 0 otherwise), its
-- drafts waiting for a human, when a snooze ends, and its first answer (for response times).
ALTER TABLE conversations ADD COLUMN inbox BIGINT  NOT NULL DEFAULT 0;
ALTER TABLE conversations ADD COLUMN queue TEXT;
ALTER TABLE conversations ADD COLUMN priority BIGINT  NOT NULL DEFAULT 0;
ALTER TABLE conversations ADD COLUMN drafts BIGINT  NOT NULL DEFAULT 0;
ALTER TABLE conversations ADD COLUMN snoozed_until_ms BIGINT;
ALTER TABLE conversations ADD COLUMN first_outbound_ms BIGINT;
-- The inbox's views: one status, most urgent first, then the most recent; and every status,
-- the most recent first (without it, that view sorted every conversation: 80 ms on a million).
-- Partial: conversations nobody addressed to us (reposts, other people's threads) are most of
-- a stream and never listed, so they cost the recorded path no index update.
CREATE INDEX conversations_work ON conversations (status, priority, last_inbound_ms) WHERE inbox = 1;
CREATE INDEX conversations_recent ON conversations (last_inbound_ms) WHERE inbox = 1;

CREATE TABLE users (
    id            BIGSERIAL PRIMARY KEY,
    name          TEXT    NOT NULL UNIQUE,
    display_name  TEXT    NOT NULL,
    password_hash TEXT    NOT NULL,
    role          TEXT    NOT NULL,
    -- Comma-separated team names; a team scopes the queues an agent sees.
    teams         TEXT    NOT NULL DEFAULT '',
    -- Open conversations automatic assignment may give this person at once.
    capacity      BIGINT  NOT NULL DEFAULT 10,
    last_assigned_ms BIGINT  NOT NULL DEFAULT 0,
    disabled      BIGINT  NOT NULL DEFAULT 0,
    created_ms    BIGINT  NOT NULL
);

CREATE TABLE teams (
    name   TEXT PRIMARY KEY,
    -- Comma-separated queue names this team works on.
    queues TEXT NOT NULL
);

-- Sessions and API tokens are kept as SHA-256 hashes: a copy of the database opens nothing.
CREATE TABLE sessions (
    token_hash TEXT    PRIMARY KEY,
    user_id    BIGINT  NOT NULL REFERENCES users (id),
    csrf       TEXT    NOT NULL,
    created_ms BIGINT  NOT NULL,
    expires_ms BIGINT  NOT NULL
);

CREATE TABLE api_tokens (
    token_hash TEXT    PRIMARY KEY,
    user_id    BIGINT  NOT NULL REFERENCES users (id),
    label      TEXT    NOT NULL,
    created_ms BIGINT  NOT NULL
);

CREATE TABLE notes (
    id              BIGSERIAL PRIMARY KEY,
    conversation_id TEXT    NOT NULL,
    author          TEXT    NOT NULL,
    text            TEXT    NOT NULL,
    created_ms      BIGINT  NOT NULL
);
CREATE INDEX notes_conversation ON notes (conversation_id, id);

-- One review per draft: the primary key is what makes two approvals at once send it once.
-- Drafts waiting for a human are listed and counted on every page: a partial index holds only
-- them, so the other messages cost it nothing.
CREATE INDEX messages_drafted ON messages (created_ms) WHERE outcome = 'drafted';

CREATE TABLE draft_reviews (
    external_id TEXT    NOT NULL,
    platform    TEXT    NOT NULL,
    verdict     TEXT    NOT NULL,
    reason      TEXT,
    final_text  TEXT,
    reviewer    TEXT    NOT NULL,
    at_ms       BIGINT  NOT NULL,
    PRIMARY KEY (platform, external_id)
);

-- Every outgoing action is written here before it is sent. idem_key is derived from what
-- caused it (the decision, the draft, the human's click), so the same cause never sends twice.
CREATE TABLE outbox (
    id              BIGSERIAL PRIMARY KEY,
    idem_key        TEXT    NOT NULL UNIQUE,
    action          TEXT    NOT NULL,
    platform        TEXT    NOT NULL,
    conversation_id TEXT,
    target_id       TEXT,
    text            TEXT,
    origin          TEXT    NOT NULL,
    actor           TEXT    NOT NULL,
    priority        BIGINT  NOT NULL,
    status          TEXT    NOT NULL,
    attempts        BIGINT  NOT NULL DEFAULT 0,
    next_attempt_ms BIGINT  NOT NULL,
    last_error      TEXT,
    remote_id       TEXT,
    campaign        TEXT,
    created_ms      BIGINT  NOT NULL,
    sent_ms         BIGINT
);
CREATE INDEX outbox_due ON outbox (status, priority, next_attempt_ms);
CREATE INDEX outbox_conversation ON outbox (conversation_id, id);

-- Snoozed joins the statuses (SQLite has no CHECK on this column; see 0001).
ALTER TABLE conversations DROP CONSTRAINT conversations_status_check;
ALTER TABLE conversations ADD CONSTRAINT conversations_status_check
    CHECK (status IN ('open', 'pending', 'snoozed', 'resolved'));
