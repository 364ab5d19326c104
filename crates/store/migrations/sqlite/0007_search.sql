-- Text search in the inbox: an index of what people wrote to the brand (messages not decided
-- `ignored`), for any substring of three characters or more, case folded. FTS5's trigram
-- tokenizer answers `"words"` as a substring match; contentless, it keeps the index and not a
-- second copy of the text (rowid = messages.seq).
--
-- Kept out of the recorded path: tokenizing every message in the writer's transaction would
-- slow ingestion, so `palabre serve` fills the index in the background from `search_cursor`,
-- a few thousand messages a transaction, and searches read the messages past the cursor
-- directly. A store recorded by `palabre replay` is indexed when `serve` first opens it.
CREATE VIRTUAL TABLE message_search USING fts5(
    text, content = '', contentless_delete = 1, tokenize = 'trigram case_sensitive 0'
);
CREATE TABLE search_cursor (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    through INTEGER NOT NULL
);
INSERT INTO search_cursor (id, through) VALUES (1, 0);
