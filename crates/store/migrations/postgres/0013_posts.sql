-- Scheduled posts of the brand's (docs/publishing.md): written, submitted, approved by one or
-- more managers, scheduled, then published through the outbox (`outbox_id`) at their time, or
-- held by the crisis brake until a person releases them. `version` grows when the text
-- changes; approvals are of one version.
CREATE TABLE posts (
    id              TEXT    NOT NULL PRIMARY KEY,
    channel         TEXT    NOT NULL,
    platform        TEXT    NOT NULL,
    text            TEXT    NOT NULL,
    lang            TEXT    NOT NULL,
    due_ms          BIGINT,
    tz              TEXT    NOT NULL,
    status          TEXT    NOT NULL,
    author          TEXT    NOT NULL,
    approvals_needed BIGINT NOT NULL,
    version         BIGINT  NOT NULL DEFAULT 1,
    note            TEXT,
    outbox_id       BIGINT,
    remote_id       TEXT,
    created_ms      BIGINT  NOT NULL,
    updated_ms      BIGINT  NOT NULL,
    published_ms    BIGINT
);
CREATE INDEX posts_due ON posts (status, due_ms);
CREATE INDEX posts_outbox ON posts (outbox_id);
CREATE TABLE post_approvals (
    post_id  TEXT    NOT NULL,
    version  BIGINT  NOT NULL,
    approver TEXT    NOT NULL,
    at_ms    BIGINT  NOT NULL,
    PRIMARY KEY (post_id, version, approver)
);
-- The brand's channel an action goes out through when it has no conversation (a post).
ALTER TABLE outbox ADD COLUMN channel TEXT;
