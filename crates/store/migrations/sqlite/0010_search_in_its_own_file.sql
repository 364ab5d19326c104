-- The inbox's search index moves to a file of its own beside the store (`palabre.db` →
-- `palabre-search.db`), attached by the connections that search or index it (see
-- `workspace/search.rs`). In the store's file its writes took the store's write lock: FTS5's
-- segment merges held it up to 50 ms at a time, and `palabre serve`'s decisions waited behind
-- them. The new file is filled from the messages by `serve`, in the background, as before.
DROP TABLE message_search;
DROP TABLE search_cursor;
