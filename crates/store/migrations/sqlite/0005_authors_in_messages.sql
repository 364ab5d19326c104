-- Author profiles leave the per-event write path. Each message keeps the profile it was written
-- with (what the inbox shows beside it), and `authors` becomes a view: the newest profile of each
-- author, computed when it is read. The authors table took one upsert at a random key for every
-- event: on a million events it was a third of the recorded path's time (docs/performance.md).
-- The full profile (bio, following…) stays in each message's raw payload.
ALTER TABLE messages ADD COLUMN author_handle TEXT;
ALTER TABLE messages ADD COLUMN author_name TEXT;
ALTER TABLE messages ADD COLUMN author_verified INTEGER NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN author_followers INTEGER;
UPDATE messages SET author_handle = a.handle, author_name = a.display_name,
    author_verified = a.verified, author_followers = a.followers
    FROM authors a WHERE a.key = messages.author_key;
DROP TABLE authors;
CREATE VIEW authors AS
    SELECT key, platform, id, handle, display_name, verified, followers, first_seen_ms, last_seen_ms
    FROM (SELECT author_key AS key, platform, author_id AS id, author_handle AS handle,
                 author_name AS display_name, author_verified AS verified, author_followers AS followers,
                 MIN(created_ms) OVER w AS first_seen_ms, MAX(created_ms) OVER w AS last_seen_ms,
                 ROW_NUMBER() OVER (PARTITION BY author_key ORDER BY created_ms DESC, seq DESC) AS newest
          FROM messages WINDOW w AS (PARTITION BY author_key)) ranked
    WHERE newest = 1;

-- An author's history with the brand: what they addressed to it (not the messages decided
-- `ignored`: reposts, posts about something else, half of a stream), found by author. An index on
-- messages took every event at a random place of a B-tree that grows with the store, and its
-- pages were written again at every commit (a quarter of the recorded path at 3 million events).
-- Two levels instead: the writer adds each message to `author_recent`, small enough to stay in
-- cache, and merges it into `author_history` in key order every 2^17 rows, touching each page
-- of the big tree once per merge. Readers look in both. (Not a trigger: a trigger makes every
-- insert keep a statement journal of the pages it changes, a third of the writer's work.)
DROP INDEX messages_author;
CREATE TABLE author_recent (
    author_key INTEGER NOT NULL,
    seq        INTEGER NOT NULL,
    PRIMARY KEY (author_key, seq)
) WITHOUT ROWID;
CREATE TABLE author_history (
    author_key INTEGER NOT NULL,
    seq        INTEGER NOT NULL,
    PRIMARY KEY (author_key, seq)
) WITHOUT ROWID;
INSERT INTO author_history (author_key, seq)
    SELECT author_key, seq FROM messages WHERE outcome <> 'ignored' ORDER BY author_key, seq;

-- The moderation queue's index tested `triage LIKE '%"toxic":true%'` on every insert (6% of the
-- writer's instructions): a flag set when the message is written replaces it.
ALTER TABLE messages ADD COLUMN toxic INTEGER NOT NULL DEFAULT 0;
UPDATE messages SET toxic = 1 WHERE triage LIKE '%"toxic":true%';
DROP INDEX messages_moderation;
CREATE INDEX messages_moderation ON messages (seq) WHERE outcome = 'hidden' OR toxic = 1;
