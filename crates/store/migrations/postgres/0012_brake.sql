-- The crisis brake: one switch that holds everything automated (the bot's answers, helps,
-- surveys, and its sends waiting in the outbox) until a person releases it. One row; who
-- turned it on or off, when and why is also in the audit log.
CREATE TABLE brake (
    id         BIGINT  NOT NULL PRIMARY KEY CHECK (id = 1),
    engaged    BIGINT  NOT NULL DEFAULT 0,
    reason     TEXT,
    actor      TEXT    NOT NULL,
    changed_ms BIGINT  NOT NULL
);
